/// The types shared by the consumer-group dispatcher (``PartitionDispatch``), the group state log
/// (``GroupStateStore``) and the request handlers. docs/GROUPS.md describes the semantics.

/// How a group orders the deliveries of one partition.
public enum OrderingMode: UInt8, Sendable, Hashable, CaseIterable {
    /// Messages with the same key are never in flight at the same time and are delivered in
    /// offset order, also across retries; a failing key holds back only itself. Messages without
    /// a key carry no ordering constraint.
    case key = 0
    /// Strict order per partition: one message in flight per partition; a failing message blocks
    /// its partition until it succeeds or is dead-lettered.
    case partition = 1
    /// Any order, as many in flight as the window allows.
    case none = 2
}

/// A group's settings, chosen when the group is created and kept with its state.
public struct GroupSettings: Sendable, Hashable {
    /// How deliveries of a partition are ordered.
    public var ordering: OrderingMode = .key
    /// How long a delivery may stay unacknowledged before it counts as failed (``extend`` resets it).
    public var ackTimeoutMilliseconds: Int64 = 30_000
    /// After this many failed deliveries a message goes to the dead-letter topic.
    public var maxDeliveries: Int = 5
    /// The most unfinished messages (delivered or waiting to be redelivered, not yet acknowledged
    /// or dead-lettered) per partition: when reached, no new message of that partition is
    /// dispatched until one finishes (like NATS's MaxAckPending, counted in messages).
    public var maxUnfinishedPerPartition: Int = 1000
    /// The wait before the first redelivery after a failed delivery.
    public var backoffInitialMilliseconds: Int64 = 1000
    /// Each further failure multiplies the wait by this (in percent: 200 is x2).
    public var backoffMultiplierPercent: Int = 200
    /// The longest wait between redeliveries.
    public var backoffMaxMilliseconds: Int64 = 300_000

    /// The defaults: ordering `key`, ack timeout 30 s, 5 deliveries, 1,000 unfinished per
    /// partition, backoff 1 s x2 up to 5 min.
    public init() {}

    /// The accepted range of each setting.
    public static let ackTimeoutRange: ClosedRange<Int64> = 100...(24 * 3_600_000)
    public static let maxDeliveriesRange: ClosedRange<Int> = 1...1000
    public static let maxUnfinishedRange: ClosedRange<Int> = 1...100_000
    public static let backoffRange: ClosedRange<Int64> = 0...(24 * 3_600_000)
    public static let backoffMultiplierRange: ClosedRange<Int> = 100...1000
}

/// One partition of one topic as seen by one group.
public struct GroupPartitionID: Sendable, Hashable, CustomStringConvertible {
    public var group: String
    public var topic: String
    public var partition: Int32

    public init(group: String, topic: String, partition: Int32) {
        self.group = group
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(group):\(topic)/\(partition)" }
}

/// What the group state log remembers about one message above the committed offset that has
/// been delivered at least once.
public struct DeliveryRecord: Sendable, Hashable {
    /// Deliveries so far (each delivery counts, whether it then failed or not).
    public var deliveryCount: Int
    /// Failed deliveries so far (nack, ack timeout, a member's connection dropping).
    public var failureCount: Int
    /// Wall-clock epoch milliseconds of the first and the latest delivery.
    public var firstDeliveredAt: Int64
    public var lastDeliveredAt: Int64
    /// Why the latest delivery failed (a nack's or reject's reason, `ack timeout`,
    /// `connection closed`), if it did.
    public var lastFailureReason: String?

    public init(
        deliveryCount: Int,
        failureCount: Int,
        firstDeliveredAt: Int64,
        lastDeliveredAt: Int64,
        lastFailureReason: String?
    ) {
        self.deliveryCount = deliveryCount
        self.failureCount = failureCount
        self.firstDeliveredAt = firstDeliveredAt
        self.lastDeliveredAt = lastDeliveredAt
        self.lastFailureReason = lastFailureReason
    }
}

/// The durable state of one group on one partition: everything below `committedOffset` is
/// finished; above it, `finished` holds the acknowledged and dead-lettered offsets, and
/// `deliveries` what is known about each unfinished message delivered at least once. Its size is
/// bounded by the window (``GroupSettings/maxUnfinishedPerPartition``): there are at most that many
/// unfinished offsets, so at most that many + 1 finished ranges and that many delivery records.
public struct PersistedPartitionState: Sendable, Hashable {
    /// Every offset below it is finished (acknowledged or dead-lettered): the committed offset.
    public var committedOffset: Int64
    /// Finished offsets at or above `committedOffset`, as disjoint, non-adjacent, sorted ranges.
    public var finished: [ClosedRange<Int64>]
    /// Unfinished offsets delivered at least once.
    public var deliveries: [Int64: DeliveryRecord]
    /// For a dead-letter partition the group redrives (docs/GROUPS.md, "Redrive"): the group reads
    /// it only below this offset. `nil` for the partitions of the group's own topics, which it
    /// reads to their end.
    public var readLimit: Int64?

    public init(
        committedOffset: Int64,
        finished: [ClosedRange<Int64>] = [],
        deliveries: [Int64: DeliveryRecord] = [:],
        readLimit: Int64? = nil
    ) {
        self.committedOffset = committedOffset
        self.finished = finished
        self.deliveries = deliveries
        self.readLimit = readLimit
    }
}

/// A change to a group's state on one partition, as the dispatcher makes it and the group state
/// log writes it. Applying the events in order to a ``PersistedPartitionState`` (see
/// ``PersistedPartitionState/apply(_:)``) yields the dispatcher's durable state.
public enum GroupStateEvent: Sendable, Hashable {
    /// These offsets were delivered at `at` (wall-clock epoch ms): each one's delivery count
    /// goes up by one.
    case delivered(offsets: [Int64], at: Int64)
    /// The delivery of `offset` failed (nack, ack timeout, connection dropped) for `reason`.
    case failed(offset: Int64, reason: String?)
    /// These offsets are acknowledged (finished).
    case acknowledged([ClosedRange<Int64>])
    /// `offset` was written to the dead-letter topic (finished).
    case deadLettered(offset: Int64)
    /// The committed offset was set (by a reset, or to the log start after retention removed
    /// unfinished messages): everything above it is forgotten.
    case reset(committedOffset: Int64)
    /// A redrive: the group reads this dead-letter partition up to `upTo` (exclusive). A later
    /// redrive only raises the limit.
    case redriven(upTo: Int64)
}

extension PersistedPartitionState {
    /// Applies `event`: the one definition of what each event means, used by the dispatcher's
    /// tests, the state log's recovery and its snapshots.
    public mutating func apply(_ event: GroupStateEvent) {
        switch event {
        case .delivered(let offsets, let at):
            for offset in offsets where !isFinished(offset) {
                if var record = deliveries[offset] {
                    record.deliveryCount = record.deliveryCount < .max ? record.deliveryCount + 1 : .max
                    record.lastDeliveredAt = at
                    deliveries[offset] = record
                } else {
                    deliveries[offset] = DeliveryRecord(
                        deliveryCount: 1,
                        failureCount: 0,
                        firstDeliveredAt: at,
                        lastDeliveredAt: at,
                        lastFailureReason: nil
                    )
                }
            }
        case .failed(let offset, let reason):
            guard !isFinished(offset), var record = deliveries[offset] else { return }
            record.failureCount = record.failureCount < .max ? record.failureCount + 1 : .max
            record.lastFailureReason = reason
            deliveries[offset] = record
        case .acknowledged(let ranges):
            for range in ranges { finish(range) }
        case .deadLettered(let offset):
            finish(offset...offset)
        case .reset(let committedOffset):
            self = PersistedPartitionState(committedOffset: committedOffset)
        case .redriven(let upTo):
            readLimit = max(readLimit ?? upTo, upTo)
        }
    }

    /// Whether `offset` is finished.
    public func isFinished(_ offset: Int64) -> Bool {
        if offset < committedOffset { return true }
        // Binary search over the sorted, disjoint ranges.
        var low = 0
        var high = finished.count
        while low < high {
            let middle = (low + high) / 2
            if finished[middle].upperBound < offset {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low < finished.count && finished[low].contains(offset)
    }

    /// Marks `range` finished, merging ranges and advancing the committed offset.
    mutating func finish(_ range: ClosedRange<Int64>) {
        // Below the committed offset is finished already; Int64.min and Int64.max are never
        // offsets (their neighbours, used for merging, would overflow).
        let lowerBound = max(range.lowerBound, committedOffset, Int64.min + 1)
        let upperBound = min(range.upperBound, Int64.max - 1)
        guard lowerBound <= upperBound else { return }
        let range = lowerBound...upperBound
        let span = range.upperBound.subtractingReportingOverflow(range.lowerBound)
        if !span.overflow, span.partialValue < Int64(deliveries.count) {
            for offset in range { deliveries[offset] = nil }
        } else {
            for offset in deliveries.keys where range.contains(offset) { deliveries[offset] = nil }
        }
        var merged = range
        var kept: [ClosedRange<Int64>] = []
        kept.reserveCapacity(finished.count + 1)
        for existing in finished {
            if existing.upperBound < merged.lowerBound - 1 || existing.lowerBound > merged.upperBound + 1 {
                kept.append(existing)
            } else {
                merged = min(existing.lowerBound, merged.lowerBound)...max(existing.upperBound, merged.upperBound)
            }
        }
        let index = kept.firstIndex { $0.lowerBound > merged.upperBound } ?? kept.count
        kept.insert(merged, at: index)
        if let first = kept.first, first.lowerBound <= committedOffset {
            committedOffset = first.upperBound + 1
            kept.removeFirst()
        }
        finished = kept
    }
}
