import DequeModule

/// The dispatch state machine of one consumer group on one partition: which messages of the
/// partition are unfinished, which one goes to which member next, what is in flight, what waits
/// for a backoff, what must be dead-lettered, and the ``GroupStateEvent``s that record each change.
///
/// A plain struct with no I/O, clock or randomness of its own: the caller passes the time (a
/// monotonic clock for timeouts and backoffs, the wall clock for the delivery times it records)
/// and a seed for the backoff jitter, so a run is reproducible. docs/GROUPS.md ("Dispatch")
/// describes the rules; in short:
///
/// - The caller feeds it the records of the partition log from ``nextReadOffset`` while
///   ``wantsRecords`` (``add(records:readUpTo:)``), hands out messages with
///   ``take(upTo:for:now:wallClock:)``, passes on what members answer (``ack(_:by:)``,
///   ``nack(offset:by:delay:reason:now:)``, ``reject(offset:by:reason:)``, ``extend(offset:by:now:)``,
///   ``memberLeft(_:failed:now:)``), calls ``expire(now:)`` when ``nextDeadline`` passes, writes the
///   dead letters of ``takeDeadLetters()`` and then calls ``deadLetterWritten(offset:)``.
/// - After every call the caller drains ``takeEvents()`` and appends them to the group state log
///   (the `delivered` events of a `take` before sending the deliveries). Applying them in order to
///   the state the dispatcher was restored from gives ``persistedState``.
///
/// Memory is proportional to the window (``GroupSettings/maxUnfinishedPerPartition``) and the
/// number of members, never to the number of messages finished.
///
/// `Member` identifies a member of the group (whatever the coordinator uses).
public struct PartitionDispatch<Member: Hashable & Sendable>: Sendable {
    /// The group, topic and partition.
    public let id: GroupPartitionID
    /// The group's settings.
    public let settings: GroupSettings

    /// The next offset to read from the partition log: every offset below it is read (unfinished
    /// and tracked, finished, or absent from the log).
    public internal(set) var nextReadOffset: Int64

    /// The number of messages delivered and not yet acknowledged, failed or taken back.
    public internal(set) var inFlightCount = 0
    /// The number of messages waiting for their backoff to end.
    public internal(set) var backingOffCount = 0
    /// The number of messages reported for dead-lettering and not yet written.
    public internal(set) var deadLetteringCount = 0
    /// The number of messages in flight per member (members with none are absent).
    public internal(set) var inFlightByMember: [Member: Int] = [:]

    /// The unfinished messages read from the log, by offset (at most the window).
    var messages: [Int64: Message] = [:]
    /// The offsets of `messages` in increasing order, plus offsets finished since (dropped lazily;
    /// the first one is always unfinished, and the deque is compacted when mostly stale).
    var offsetOrder: Deque<Int64> = []
    /// The lanes that have unfinished messages, by key hash (`partition` mode: one lane, 0).
    var lanes: [UInt64: Lane] = [:]
    /// The dispatchable messages, in the order they became dispatchable.
    var readyQueue: Deque<Int64> = []
    /// When each message backing off becomes dispatchable (stale entries skipped).
    var backoffTimers = TimerHeap()
    /// When each in-flight delivery times out (stale entries skipped).
    var ackDeadlines = TimerHeap()
    /// Finished ranges of the restored state at or above `nextReadOffset`, sorted, disjoint and
    /// non-adjacent.
    var restoredFinished: Deque<ClosedRange<Int64>>
    /// Delivery records of the restored state at or above `nextReadOffset`, by offset.
    var restoredDeliveries: Deque<RestoredDelivery>
    /// Dead letters not yet handed to the caller.
    var deadLetterOutbox: [DeadLetter] = []
    /// Events not yet handed to the caller.
    var events: [GroupStateEvent] = []
    /// The generator of the backoff jitter.
    var random: SplitMixGenerator
    /// The backoff policy of the settings.
    let backoff: Backoff
    /// The window: the most unfinished messages tracked at once (at least 1).
    let window: Int
    /// ``GroupSettings/maxDeliveries`` within ``GroupSettings/maxDeliveriesRange`` (a reject
    /// records up to that many `failed` events).
    let maxDeliveries: Int

    /// The reason recorded for an ack timeout.
    public static var ackTimeoutReason: String { "ack timeout" }
    /// The reason recorded when a member's connection drops.
    public static var connectionClosedReason: String { "connection closed" }
    /// The reason of a reject that gave none.
    public static var rejectedReason: String { "rejected" }
    /// The dead-letter reason when the last failure has no reason.
    public static var maxDeliveriesReason: String { "max deliveries reached" }

    /// A dispatcher that continues from `state`, the group's durable state on this partition (the
    /// events of an earlier dispatcher applied to the state it started from; a new group starts
    /// from `PersistedPartitionState(committedOffset:)`).
    ///
    /// The log is read again from the committed offset: finished offsets are skipped when they come
    /// back, delivery records attach to their offsets again, and a message whose failures already
    /// reached ``GroupSettings/maxDeliveries`` goes straight to dead-lettering. Backoffs and
    /// deliveries in flight are not part of the durable state: those messages are dispatchable at
    /// once. A state that is not in normal form (ranges out of order, overlapping or below the
    /// committed offset, records of finished offsets, a negative committed offset) is normalised.
    /// - Parameters:
    ///   - id: The group, topic and partition.
    ///   - settings: The group's settings.
    ///   - state: The durable state to continue from.
    ///   - randomSeed: The seed of the backoff jitter.
    public init(
        id: GroupPartitionID,
        settings: GroupSettings,
        restoring state: PersistedPartitionState,
        randomSeed: UInt64
    ) {
        self.id = id
        self.settings = settings
        self.backoff = Backoff(settings)
        self.window = max(1, settings.maxUnfinishedPerPartition)
        self.maxDeliveries = min(
            max(settings.maxDeliveries, GroupSettings.maxDeliveriesRange.lowerBound),
            GroupSettings.maxDeliveriesRange.upperBound
        )
        self.random = SplitMixGenerator(seed: randomSeed)
        // Offsets are below Int64.max (so that `offset + 1` exists); ranges are clipped to that.
        let lastOffset = Int64.max - 1
        var committed = min(max(0, state.committedOffset), lastOffset)
        var ranges: [ClosedRange<Int64>] = []
        for range in state.finished.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            let lower = max(range.lowerBound, committed)
            let upper = min(range.upperBound, lastOffset)
            guard lower <= upper else { continue }
            if let last = ranges.last, lower <= last.upperBound + 1 {
                ranges[ranges.count - 1] = last.lowerBound...max(last.upperBound, upper)
            } else {
                ranges.append(lower...upper)
            }
        }
        while let first = ranges.first, first.lowerBound <= committed {
            committed = max(committed, first.upperBound + 1)
            ranges.removeFirst()
        }
        self.nextReadOffset = committed
        self.restoredFinished = Deque(ranges)
        let finishedRanges = ranges
        let restored = state.deliveries
            .filter { offset, _ in
                offset >= committed && offset <= lastOffset && !Self.ranges(finishedRanges, contain: offset)
            }
            .map { RestoredDelivery(offset: $0.key, record: $0.value) }
            .sorted { $0.offset < $1.offset }
        self.restoredDeliveries = Deque(restored)
    }

    /// Every offset below it is finished: the first unfinished offset, or, when none is tracked,
    /// the first offset not read yet that the restored state does not mark finished.
    public var committedOffset: Int64 {
        if let first = offsetOrder.first { return first }
        if let range = restoredFinished.first, range.lowerBound <= nextReadOffset { return range.upperBound + 1 }
        return nextReadOffset
    }

    /// The number of unfinished messages tracked (in flight, waiting to be delivered or
    /// redelivered, backing off, or being dead-lettered): at most the window.
    public var unfinishedCount: Int { messages.count }

    /// Whether the window has room for more records: read the log from ``nextReadOffset``.
    public var wantsRecords: Bool { messages.count < window }

    /// Whether some message is dispatchable now: worth a dispatch round. Backoffs that ended count
    /// once ``expire(now:)`` or ``take(upTo:for:now:wallClock:)`` has run at or after their end.
    public var hasReady: Bool { !readyQueue.isEmpty }

    /// The number of messages `member` holds.
    public func inFlightCount(of member: Member) -> Int { inFlightByMember[member] ?? 0 }

    /// The earliest ack deadline or backoff end (monotonic ms): when it passes, call
    /// ``expire(now:)`` and run a dispatch round.
    public var nextDeadline: Int64? {
        switch (ackDeadlines.first?.due, backoffTimers.first?.due) {
        case (let deadline?, let backoffEnd?): return min(deadline, backoffEnd)
        case (let deadline?, nil): return deadline
        case (nil, let backoffEnd?): return backoffEnd
        case (nil, nil): return nil
        }
    }

    /// The durable state this dispatcher stands for: what applying its events in order to the
    /// state it was restored from gives.
    /// - Complexity: O(window + restored state).
    public var persistedState: PersistedPartitionState {
        let committed = committedOffset
        var finished: [ClosedRange<Int64>] = []
        var deliveries: [Int64: DeliveryRecord] = [:]
        func appendFinished(_ range: ClosedRange<Int64>) {
            if let last = finished.last, range.lowerBound <= last.upperBound + 1 {
                finished[finished.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                finished.append(range)
            }
        }
        var previous: Int64?
        for offset in offsetOrder {
            guard let message = messages[offset] else { continue }
            if let previous, offset > previous + 1 { appendFinished((previous + 1)...(offset - 1)) }
            previous = offset
            if let record = message.record { deliveries[offset] = record }
        }
        if let previous, previous + 1 < nextReadOffset { appendFinished((previous + 1)...(nextReadOffset - 1)) }
        for range in restoredFinished { appendFinished(range) }
        while let first = finished.first, first.lowerBound <= committed { finished.removeFirst() }
        for restored in restoredDeliveries { deliveries[restored.offset] = restored.record }
        return PersistedPartitionState(committedOffset: committed, finished: finished, deliveries: deliveries)
    }

    /// Hands over the events recorded since the last call, oldest first, for the group state log.
    public mutating func takeEvents() -> [GroupStateEvent] {
        defer { events = [] }
        return events
    }

    /// Hands over the messages that became due for dead-lettering since the last call.
    public mutating func takeDeadLetters() -> [DeadLetter] {
        defer { deadLetterOutbox = [] }
        return deadLetterOutbox
    }

    /// The messages being dead-lettered (reported and not yet written), e.g. to retry writing
    /// them after an error.
    /// - Complexity: O(window).
    public func pendingDeadLetters() -> [DeadLetter] {
        offsetOrder.compactMap { offset in
            guard let message = messages[offset], message.state == .deadLettering else { return nil }
            return deadLetter(offset: offset, message: message)
        }
    }
}
