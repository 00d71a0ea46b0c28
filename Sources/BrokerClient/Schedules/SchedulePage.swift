/// One pending schedule, as `listSchedules` reports it.
public struct PendingSchedule: Hashable, Sendable {
    public var scheduleID: String
    public var partition: Int32
    /// When it is due, epoch milliseconds.
    public var deliverAt: Int64
    /// The message's produce time, epoch milliseconds.
    public var producedAt: Int64
    /// The message's key.
    public var key: ByteBuffer?
    /// The size of the message's value in bytes; `nil` for a null value.
    public var valueBytes: Int?

    /// Creates a description of a pending schedule.
    public init(
        scheduleID: String,
        partition: Int32,
        deliverAt: Int64,
        producedAt: Int64,
        key: ByteBuffer?,
        valueBytes: Int?
    ) {
        self.scheduleID = scheduleID
        self.partition = partition
        self.deliverAt = deliverAt
        self.producedAt = producedAt
        self.key = key
        self.valueBytes = valueBytes
    }
}

/// Where the next page of a listing starts: the broker's opaque position, passed back unchanged.
public struct ScheduleCursor: Hashable, Sendable {
    let bytes: ByteBuffer
}

/// One page of pending schedules.
public struct SchedulePage: Hashable, Sendable {
    /// The topic's pending schedules, all pages together (not only those the filters pass).
    public var pending: Int64
    /// This page's schedules, in due order.
    public var schedules: [PendingSchedule]
    /// The next page's start; `nil` on the last page.
    public var next: ScheduleCursor?
}
