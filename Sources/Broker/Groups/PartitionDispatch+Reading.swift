import DequeModule

/// Feeding the dispatcher from the partition log, and moving its committed offset.
extension PartitionDispatch {
    /// Takes in records read from the partition log from ``nextReadOffset``.
    ///
    /// Records are taken in, in order, while the window has room; the first record that does not
    /// fit stays unread (``nextReadOffset`` stops at it; read it again later). Records below
    /// ``nextReadOffset`` (already read, or below the committed offset), out of order, negative or
    /// at `Int64.max` are ignored; a record the restored state marks finished is skipped. Offsets
    /// missing between the records (compacted or lost) are finished: they are recorded in one
    /// `acknowledged` event so that the committed offset can pass them.
    /// - Parameters:
    ///   - records: The records' offsets, increasing, and the 64-bit hash of each one's key (nil:
    ///     no key).
    ///   - nextOffset: The offset after the last one read: every offset below it that is not in
    ///     `records` is absent from the log. Used only if every record was taken in.
    /// - Complexity: O(records), plus O(log window) per dispatchable record.
    public mutating func add(records: [(offset: Int64, keyHash: UInt64?)], readUpTo nextOffset: Int64) {
        var gaps: [ClosedRange<Int64>] = []
        var isWindowFull = false
        for (offset, keyHash) in records {
            guard offset >= nextReadOffset, offset < Int64.max else { continue }
            if offset > nextReadOffset {
                appendGap(before: offset, to: &gaps)
                advanceRead(to: offset)
            }
            guard messages.count < window else {
                isWindowFull = true
                break
            }
            let isFinished = restoredFinished.first?.contains(offset) ?? false
            var record: DeliveryRecord?
            if let restored = restoredDeliveries.first, restored.offset == offset {
                record = restored.record
                restoredDeliveries.removeFirst()
            }
            advanceRead(to: offset + 1)
            if !isFinished { track(offset: offset, keyHash: keyHash, record: record) }
        }
        if !isWindowFull, nextOffset > nextReadOffset {
            appendGap(before: nextOffset, to: &gaps)
            advanceRead(to: nextOffset)
        }
        if !gaps.isEmpty { events.append(.acknowledged(gaps)) }
        settleTimers()
    }

    /// Appends the offsets from ``nextReadOffset`` to `end - 1` that are not finished yet (the
    /// restored state may mark the first ones finished) to `gaps`.
    private func appendGap(before end: Int64, to gaps: inout [ClosedRange<Int64>]) {
        let start = max(nextReadOffset, committedOffset)
        if start < end { gaps.append(start...(end - 1)) }
    }

    /// Retention removed the log below `start`: the unfinished messages below it are dropped
    /// (finished without being delivered again; an in-flight one is taken back from its member,
    /// whose later ack of it is accepted as already finished, and a dead letter not yet written
    /// is no longer expected).
    ///
    /// If this moves the committed offset, it emits `acknowledged([committed...start-1])`, not
    /// `reset`: a reset would also forget the finished ranges and delivery records above `start`
    /// (finished messages would be delivered again and delivery counts lost).
    /// - Returns: The in-flight deliveries taken back.
    /// - Complexity: O(messages dropped), plus O(window) when some were dropped.
    @discardableResult
    public mutating func logStartMoved(to start: Int64) -> [Revoked] {
        let committed = committedOffset
        let start = min(start, Int64.max - 1)
        guard start > committed else { return [] }
        events.append(.acknowledged([committed...(start - 1)]))
        var revoked: [Revoked] = []
        var dropped = 0
        while let first = offsetOrder.first, first < start {
            guard let message = untrack(first) else { break }
            dropped += 1
            if case .inFlight(let member, _) = message.state { revoked.append(Revoked(offset: first, member: member)) }
        }
        if dropped > 0 {
            deadLetterOutbox.removeAll { $0.offset < start }
            readyQueue.removeAll { messages[$0]?.state != .ready }
        }
        advanceRead(to: start)
        settleTimers()
        return revoked
    }

    /// Sets the committed offset to `offset` (an administrator's reset, while no member is
    /// connected): everything is forgotten, the log is read again from `offset`. Emits `reset`.
    /// - Parameter offset: The new committed offset (clamped to `0...Int64.max - 1`).
    /// - Returns: The in-flight deliveries taken back (none when no member is connected).
    @discardableResult
    public mutating func reset(to offset: Int64) -> [Revoked] {
        let offset = min(max(0, offset), Int64.max - 1)
        var revoked: [Revoked] = []
        for tracked in offsetOrder {
            if case .inFlight(let member, _) = messages[tracked]?.state {
                revoked.append(Revoked(offset: tracked, member: member))
            }
        }
        events.append(.reset(committedOffset: offset))
        messages = [:]
        offsetOrder = []
        lanes = [:]
        readyQueue = []
        backoffTimers = TimerHeap()
        ackDeadlines = TimerHeap()
        restoredFinished = []
        restoredDeliveries = []
        deadLetterOutbox = []
        inFlightByMember = [:]
        inFlightCount = 0
        backingOffCount = 0
        deadLetteringCount = 0
        nextReadOffset = offset
        return revoked
    }
}
