import NIOCore

/// `schedule` v0 response (none for `acks` 0), one result per request entry, in request order:
/// ```
/// entries             array<{
///   errorCode         int16
///   errorMessage      nullable string
///   scheduleId        nullable string   the id (given or generated); null on error
///   partition         int32       where the message will be appended (-1 on error)
///   deliverAt         int64       when it is due, epoch ms (-1 on error)
///   replaced          int8        1: an earlier pending schedule with this id was replaced; else 0
/// }>
/// ```
public struct ScheduleResponse: WireMessage, Hashable {
    public static let apiKey = APIKey.schedule

    /// What happened to one entry.
    public struct EntryResult: Hashable, Sendable {
        public var errorCode: ErrorCode
        public var errorMessage: String?
        /// The schedule id, given or generated; `nil` on error.
        public var scheduleID: String?
        /// The partition the message will be appended to; -1 on error.
        public var partition: Int32
        /// When the message is due, epoch milliseconds; -1 on error.
        public var deliverAt: Int64
        /// Whether an earlier pending schedule with the same id was replaced.
        public var replaced: Bool

        /// A scheduled entry.
        public init(scheduleID: String, partition: Int32, deliverAt: Int64, replaced: Bool = false) {
            self.init(
                errorCode: .none,
                errorMessage: nil,
                scheduleID: scheduleID,
                partition: partition,
                deliverAt: deliverAt,
                replaced: replaced
            )
        }

        /// An entry result from its fields.
        public init(
            errorCode: ErrorCode,
            errorMessage: String?,
            scheduleID: String?,
            partition: Int32,
            deliverAt: Int64,
            replaced: Bool
        ) {
            self.errorCode = errorCode
            self.errorMessage = errorMessage
            self.scheduleID = scheduleID
            self.partition = partition
            self.deliverAt = deliverAt
            self.replaced = replaced
        }

        /// A failed entry.
        public static func failure(_ code: ErrorCode, _ message: String) -> EntryResult {
            EntryResult(
                errorCode: code,
                errorMessage: message,
                scheduleID: nil,
                partition: -1,
                deliverAt: -1,
                replaced: false
            )
        }
    }

    public var entries: [EntryResult]

    /// Creates a response.
    public init(entries: [EntryResult]) { self.entries = entries }

    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeWireArray(entries) { buffer, entry in
            buffer.writeInteger(entry.errorCode.rawValue)
            buffer.writeWireMessage(entry.errorMessage)
            buffer.writeWireNullableString(entry.scheduleID)
            buffer.writeInteger(entry.partition)
            buffer.writeInteger(entry.deliverAt)
            buffer.writeInteger(Int8(entry.replaced ? 1 : 0))
        }
    }

    public init(decoding buffer: inout ByteBuffer) throws {
        entries = try buffer.readWireArray("entries", minimumElementBytes: 19) { buffer in
            EntryResult(
                errorCode: ErrorCode(rawValue: try buffer.readWire(Int16.self, "errorCode")),
                errorMessage: try buffer.readWireNullableString("errorMessage"),
                scheduleID: try buffer.readNullableScheduleID("scheduleId", code: .malformedRequest),
                partition: try buffer.readWire(Int32.self, "partition"),
                deliverAt: try buffer.readWire(Int64.self, "deliverAt"),
                replaced: try buffer.readWireBool("replaced")
            )
        }
    }
}
