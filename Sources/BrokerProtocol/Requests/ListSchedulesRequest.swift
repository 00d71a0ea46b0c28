import NIOCore

/// `listSchedules` v0 request: one page of a topic's pending schedules, in due order.
/// ```
/// topic               string
/// dueBefore           int64       only schedules due before this time (epoch ms); -1: any
/// idPrefix            nullable string   only ids that start with it (at most 1,024 bytes); null: any
/// cursor              nullable bytes    the previous page's cursor (opaque, at most 4,096 bytes); null: from the start
/// limit               int32       the most schedules on the page, 1 ... 1,000
/// ```
/// A `limit` out of range, an `idPrefix` longer than ``ScheduleLimits/maxScheduleIDBytes`` (it could
/// match no id) or a `cursor` over ``ScheduleLimits/maxCursorBytes`` fails to decode with `invalidRequest` (the connection stays open).
public struct ListSchedulesRequest: WireMessage, Hashable {
    public static let apiKey = APIKey.listSchedules

    public var topic: String
    /// Only schedules due before this time (epoch milliseconds); `nil` (-1): any.
    public var dueBefore: Int64?
    /// Only schedules whose id starts with this; `nil`: any.
    public var idPrefix: String?
    /// Where the page starts: the previous page's ``ListSchedulesResponse/cursor``; `nil`: at the
    /// first schedule.
    public var cursor: ByteBuffer?
    /// The most schedules on the page, 1 ... ``ScheduleLimits/maxListLimit``.
    public var limit: Int32

    /// Creates a request.
    public init(
        topic: String,
        dueBefore: Int64? = nil,
        idPrefix: String? = nil,
        cursor: ByteBuffer? = nil,
        limit: Int32 = ScheduleLimits.maxListLimit
    ) {
        self.topic = topic
        self.dueBefore = dueBefore
        self.idPrefix = idPrefix
        self.cursor = cursor
        self.limit = limit
    }

    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeWireString(topic)
        buffer.writeWireOptional(dueBefore)
        buffer.writeWireNullableString(idPrefix)
        buffer.writeWireBytes(cursor)
        buffer.writeInteger(limit)
    }

    public init(decoding buffer: inout ByteBuffer) throws {
        topic = try buffer.readWireString("topic")
        dueBefore = try buffer.readWireOptional(Int64.self, "dueBefore")
        idPrefix = try buffer.readWireNullableString("idPrefix")
        if let idPrefix, idPrefix.utf8.count > ScheduleLimits.maxScheduleIDBytes {
            throw ProtocolError(
                .invalidRequest,
                "idPrefix: \(idPrefix.utf8.count) bytes, longer than any schedule id "
                    + "(\(ScheduleLimits.maxScheduleIDBytes))"
            )
        }
        cursor = try buffer.readScheduleCursor(code: .invalidRequest)
        limit = try buffer.readWire(Int32.self, "limit")
        if let problem = ScheduleLimits.problem(withListLimit: limit) {
            throw ProtocolError(.invalidRequest, problem)
        }
    }
}
