/// The scheduler's limits and sizes (docs/SCHEDULES.md). Every limit is named here.
public struct ScheduleSettings: Sendable, Hashable {
    /// Pending schedules across the broker; a schedule past it is refused with `limitExceeded`
    /// (a reschedule of a pending id does not count). Bounds the disk the schedules take and the
    /// runs' Bloom filters in memory (about 1.3 bytes per pending schedule). Default 50,000,000
    /// (`brokerd --max-pending-schedules`).
    public var maxPendingSchedules: Int64 = 50_000_000
    /// The longest schedule id, in UTF-8 bytes. Default 1,024.
    public var maxScheduleIDBytes = 1024
    /// The latest due time accepted, from now: 100 years.
    public var maxDelayMilliseconds: Int64 = 100 * 365 * 86_400_000
    /// A due time this far in the past is still taken (it fires at once: clocks differ); one
    /// further back is refused with `invalidRequest`. Default 1 hour.
    public var pastAllowanceMilliseconds: Int64 = 3_600_000
    /// Changes held in memory before they are written out as runs (each schedule takes two
    /// entries: its due entry and its id entry). Default 262,144.
    public var memtableEntries = 262_144
    /// How far ahead the scheduler loads due entries into memory. Default 60 s.
    public var windowMilliseconds: Int64 = 60_000
    /// The most due entries loaded ahead into memory (a burst due at one instant is loaded in
    /// chunks of this size). Default 100,000.
    public var windowEntries = 100_000
    /// The most schedules appended to one partition in one batch. Default 4,096.
    public var fireBatchSize = 4096
    /// Fire batches in flight across partitions (one per partition at a time, so a partition
    /// receives its schedules in due order). Default 8.
    public var fireBatchesInFlight = 8
    /// Runs of a kind (due, id) before they are merged into one. Default 8.
    public var runsBeforeMerge = 8
    /// How long a fired schedule's id is remembered, so that a cancel answers `alreadyDelivered`
    /// (after that, `unknown`; forgotten at the next merge of id runs). Each id remembered keeps
    /// about 1.4 bytes in memory (its run's Bloom filter and block index), so this and the firing
    /// rate bound that memory. Default 7 days (`brokerd --schedule-fired-id-retention`).
    public var firedIDRetentionMilliseconds: Int64 = 7 * 86_400_000
    /// The schedule log's segment size. Default 64 MiB.
    public var logSegmentBytes = 64 << 20
    /// When the schedule log's first segment is kept only by pending schedules that are at most
    /// this share of its records, they are written again at the log's end (same id, due time and
    /// message) and the segment is deleted; 0 turns this off. Default 0.5: a record is rewritten
    /// only once most of its segment is dead, so rewriting costs at most as much as writing did.
    public var relocateLiveRatio = 0.5
    /// After a fire batch fails (its partition refused the append), the partition's schedules wait
    /// this long before they are tried again, doubling up to 30 s. Default 250 ms.
    public var fireRetryMilliseconds: Int64 = 250

    /// The accepted range of ``firedIDRetentionMilliseconds`` for `brokerd`: 1 second to 365 days.
    public static let firedIDRetentionMillisecondsRange: ClosedRange<Int64> = 1000...(365 * 86_400_000)

    /// The accepted range of ``maxPendingSchedules``.
    public static let maxPendingSchedulesRange: ClosedRange<Int64> = 1...1_000_000_000

    /// The defaults.
    public init() {}
}
