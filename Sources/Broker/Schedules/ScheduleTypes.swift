import NIOCore
import RecordCodec

/// When a schedule is due: at a wall-clock time, or after a delay from when the broker takes it.
enum ScheduleTime: Hashable, Sendable {
    case at(Int64)
    case after(Int64)
}

/// One message to schedule, as a request carries it.
struct ScheduleInput: Hashable, Sendable {
    /// The partition, or `nil` to choose it like a produce would (murmur2 of the key, else
    /// round-robin).
    var partition: Int32?
    var time: ScheduleTime
    /// The schedule id, or `nil` to generate one.
    var scheduleID: String?
    /// The message's produce time (epoch ms), or `nil` for the broker's clock.
    var timestamp: Int64?
    var key: ByteBuffer?
    var value: ByteBuffer?
    var headers: [RecordHeader]
}

/// What a schedule was answered.
struct ScheduleAccepted: Hashable, Sendable {
    var scheduleID: String
    var partition: Int32
    var due: Int64
    /// An earlier pending schedule with this id was replaced.
    var replaced: Bool
}

/// The answer to a cancel.
enum CancelAnswer: Hashable, Sendable {
    /// It was pending and will never be delivered.
    case cancelled
    /// It was delivered, once.
    case alreadyDelivered
    /// No pending or delivered schedule has this id (or it was cancelled, or delivered longer ago
    /// than ``ScheduleSettings/firedIDRetentionMilliseconds``).
    case unknown
}

/// One pending schedule in a listing.
struct ListedSchedule: Hashable, Sendable {
    var scheduleID: String
    var partition: Int32
    var due: Int64
    var producedAt: Int64
    var key: ByteBuffer?
    /// The value's size; -1 for a null value.
    var valueBytes: Int32
}

/// One page of a listing.
struct ScheduleListing: Hashable, Sendable {
    /// The topic's pending schedules.
    var pending: Int64
    var entries: [ListedSchedule]
    /// Where the next page starts; `nil` on the last page.
    var next: DueKey?
}

/// A partition that schedules fire into.
struct FireTarget: Hashable, Sendable {
    var topic: String
    var partition: Int32
}

/// A due schedule taken from the window, with its message, waiting for its partition.
///
/// The message is shared, not copied field by field, as the fire moves from its partition's
/// queue to a batch and to its `fired` record: a copy costs one retain.
struct ReadyFire: Sendable {
    var entry: DueEntry
    /// About how many bytes the message takes in a batch (``Scheduler/approximateBytes(_:)``).
    let approximateBytes: Int
    /// The topic's incarnation when the schedule was taken.
    let topicIncarnation: UInt64
    private let message: Message

    init(entry: DueEntry, scheduled: ScheduleRecord.Scheduled) {
        self.entry = entry
        self.approximateBytes = Scheduler.approximateBytes(scheduled)
        self.topicIncarnation = scheduled.topicIncarnation
        self.message = Message(scheduled)
    }

    /// Whether it was taken for an earlier topic of the same name (deleted since).
    func predates(_ topic: Topic) -> Bool {
        topicIncarnation != (topic.settings.incarnation ?? 0)
    }

    var scheduled: ScheduleRecord.Scheduled { message.scheduled }

    private final class Message: Sendable {
        let scheduled: ScheduleRecord.Scheduled
        init(_ scheduled: ScheduleRecord.Scheduled) { self.scheduled = scheduled }
    }
}

/// The headers a fired message gets after its own.
enum ScheduleHeader {
    /// The schedule id.
    static let id = "sluice.schedule.id"
    /// The due time, epoch milliseconds.
    static let due = "sluice.schedule.due"
    /// When the message was produced (scheduled), epoch milliseconds.
    static let produced = "sluice.schedule.produced"
    /// The schedule's sequence number in the broker's schedule log: how a start-up after a crash
    /// finds out whether a fire in progress reached its partition.
    static let seq = "sluice.schedule.seq"
}
