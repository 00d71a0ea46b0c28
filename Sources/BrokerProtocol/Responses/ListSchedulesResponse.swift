import NIOCore

/// `listSchedules` v0 response: one page of pending schedules.
/// ```
/// pending             int64       the topic's pending schedules (all of them, not only this page's)
/// entries             array<{     at most the request's limit (and 1,000), in due order
///   scheduleId        string
///   partition         int32
///   deliverAt         int64       due time, epoch ms
///   producedAt        int64       the message's produce time, epoch ms
///   key               nullable bytes
///   valueBytes        int32       the size of the value (-1: null)
/// }>
/// cursor              nullable bytes    pass it back for the next page; null on the last page
/// ```
public struct ListSchedulesResponse: WireMessage, Hashable {
    public static let apiKey = APIKey.listSchedules

    /// One pending schedule.
    public struct Entry: Hashable, Sendable {
        public var scheduleID: String
        public var partition: Int32
        /// When it is due, epoch milliseconds.
        public var deliverAt: Int64
        /// The message's produce time, epoch milliseconds.
        public var producedAt: Int64
        public var key: ByteBuffer?
        /// The size of the message's value in bytes; -1 for a null value.
        public var valueBytes: Int32

        /// Creates an entry.
        public init(
            scheduleID: String,
            partition: Int32,
            deliverAt: Int64,
            producedAt: Int64,
            key: ByteBuffer?,
            valueBytes: Int32
        ) {
            self.scheduleID = scheduleID
            self.partition = partition
            self.deliverAt = deliverAt
            self.producedAt = producedAt
            self.key = key
            self.valueBytes = valueBytes
        }
    }

    /// The topic's pending schedules, all pages together.
    public var pending: Int64
    public var entries: [Entry]
    /// The next page's start; `nil` on the last page.
    public var cursor: ByteBuffer?

    /// Creates a response.
    public init(pending: Int64, entries: [Entry], cursor: ByteBuffer?) {
        self.pending = pending
        self.entries = entries
        self.cursor = cursor
    }

    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeInteger(pending)
        buffer.writeWireArray(entries) { buffer, entry in
            buffer.writeWireString(entry.scheduleID)
            buffer.writeInteger(entry.partition)
            buffer.writeInteger(entry.deliverAt)
            buffer.writeInteger(entry.producedAt)
            buffer.writeWireBytes(entry.key)
            buffer.writeInteger(entry.valueBytes)
        }
        buffer.writeWireBytes(cursor)
    }

    public init(decoding buffer: inout ByteBuffer) throws {
        pending = try buffer.readWire(Int64.self, "pending")
        // An entry is at least a 1-byte id with its length, then 28 bytes of fields and a null key.
        let countIndex = buffer.readerIndex
        if let count = buffer.getInteger(at: countIndex, as: UInt32.self), count > UInt32(ScheduleLimits.maxListLimit) {
            throw ProtocolError(
                .malformedRequest,
                "entries: \(count) schedules, over the page limit of \(ScheduleLimits.maxListLimit)"
            )
        }
        entries = try buffer.readWireArray("entries", minimumElementBytes: 31) { buffer in
            Entry(
                scheduleID: try buffer.readScheduleID("scheduleId", code: .malformedRequest),
                partition: try buffer.readWire(Int32.self, "partition"),
                deliverAt: try buffer.readWire(Int64.self, "deliverAt"),
                producedAt: try buffer.readWire(Int64.self, "producedAt"),
                key: try buffer.readWireBytes("key"),
                valueBytes: try buffer.readWire(Int32.self, "valueBytes")
            )
        }
        cursor = try buffer.readScheduleCursor(code: .malformedRequest)
    }
}
