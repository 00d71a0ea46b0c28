import NIOCore

/// The named limits of the delayed-delivery APIs (`schedule`, `cancelSchedule`, `listSchedules`,
/// keys 40-42), checked by their decoders.
///
/// A request that breaks one decodes to a ``ProtocolError`` with code `invalidRequest`: the broker
/// answers it at the request level and the connection stays open (the bytes were well formed, a
/// value was out of range). A response that breaks one is `malformedRequest`, like any other broken
/// response.
public enum ScheduleLimits {
    /// The longest schedule id, in UTF-8 bytes; an id is 1 ... this many bytes.
    public static let maxScheduleIDBytes = 1024
    /// The most schedules one `listSchedules` page may ask for; `limit` is 1 ... this.
    public static let maxListLimit: Int32 = 1000
    /// The longest `listSchedules` cursor, in bytes: the broker's opaque position (room for a due
    /// time, a sequence number and one schedule id).
    public static let maxCursorBytes = 4096

    /// Why `id` cannot be a schedule id (empty, or over ``maxScheduleIDBytes`` bytes of UTF-8), or
    /// `nil` when it can.
    public static func problem(withScheduleID id: String) -> String? {
        let bytes = id.utf8.count
        if bytes == 0 { return "a schedule id is 1 to \(maxScheduleIDBytes) bytes of UTF-8, not empty" }
        if bytes > maxScheduleIDBytes {
            return "a schedule id is 1 to \(maxScheduleIDBytes) bytes of UTF-8, not \(bytes)"
        }
        return nil
    }

    /// Why `limit` cannot be a `listSchedules` page size, or `nil` when it can.
    public static func problem(withListLimit limit: Int32) -> String? {
        (1...maxListLimit).contains(limit) ? nil : "limit is 1 to \(maxListLimit), not \(limit)"
    }
}

extension ByteBuffer {
    /// Reads a `string` that must be a schedule id; a bad one throws `code`.
    mutating func readScheduleID(_ field: String, code: ErrorCode) throws -> String {
        let id = try readWireString(field)
        if let problem = ScheduleLimits.problem(withScheduleID: id) {
            throw ProtocolError(code, "\(field): \(problem)")
        }
        return id
    }

    /// Reads a `nullable string` that must be null or a schedule id; a bad one throws `code`.
    mutating func readNullableScheduleID(_ field: String, code: ErrorCode) throws -> String? {
        guard let id = try readWireNullableString(field) else { return nil }
        if let problem = ScheduleLimits.problem(withScheduleID: id) {
            throw ProtocolError(code, "\(field): \(problem)")
        }
        return id
    }

    /// Reads a `listSchedules` cursor: nullable `bytes` of at most ``ScheduleLimits/maxCursorBytes``.
    mutating func readScheduleCursor(code: ErrorCode) throws -> ByteBuffer? {
        guard let cursor = try readWireBytes("cursor") else { return nil }
        guard cursor.readableBytes <= ScheduleLimits.maxCursorBytes else {
            throw ProtocolError(
                code,
                "cursor: \(cursor.readableBytes) bytes, over the limit of \(ScheduleLimits.maxCursorBytes)"
            )
        }
        return cursor
    }
}
