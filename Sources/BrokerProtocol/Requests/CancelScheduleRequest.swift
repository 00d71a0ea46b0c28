import NIOCore

/// `cancelSchedule` v0 request: cancel pending schedules of one topic by id.
/// ```
/// topic               string
/// scheduleIds         array<string>   each 1 ... 1,024 bytes
/// ```
/// An id that is empty or longer than ``ScheduleLimits/maxScheduleIDBytes`` fails to decode with
/// `invalidRequest` (the whole request; the connection stays open).
public struct CancelScheduleRequest: WireMessage, Hashable {
    public static let apiKey = APIKey.cancelSchedule

    public var topic: String
    /// The ids to cancel; the response has one result per id, in this order.
    public var scheduleIDs: [String]

    /// Creates a request.
    public init(topic: String, scheduleIDs: [String]) {
        self.topic = topic
        self.scheduleIDs = scheduleIDs
    }

    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeWireString(topic)
        buffer.writeWireArray(scheduleIDs) { $0.writeWireString($1) }
    }

    public init(decoding buffer: inout ByteBuffer) throws {
        topic = try buffer.readWireString("topic")
        // Counted at 2 bytes an id (its length): an empty id must reach the id check below and be
        // refused as invalidRequest, not fail the count check as malformed (which closes the connection).
        scheduleIDs = try buffer.readWireArray("scheduleIds", minimumElementBytes: 2) { buffer in
            try buffer.readScheduleID("scheduleId", code: .invalidRequest)
        }
    }
}
