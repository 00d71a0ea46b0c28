import DequeModule

/// The bookkeeping under the public operations: tracking a message, its lane, its state changes,
/// finishing it, and keeping the lazily cleaned structures (offset order, timers) bounded.
extension PartitionDispatch {
    /// The lane of a message with `keyHash`: the key hash in `key` mode, one lane for the whole
    /// partition in `partition` mode, none (no constraint) for messages without a key and in
    /// `none` mode.
    func lane(forKeyHash keyHash: UInt64?) -> UInt64? {
        switch settings.ordering {
        case .key: return keyHash
        case .partition: return 0
        case .none: return nil
        }
    }

    /// Starts tracking the message at `offset` (read from the log, not finished), at the tail of
    /// its lane.
    mutating func track(offset: Int64, keyHash: UInt64?, record: DeliveryRecord?) {
        let lane = lane(forKeyHash: keyHash)
        var message = Message(lane: lane, previousInLane: nil, nextInLane: nil, record: record, state: .blocked)
        if let lane {
            if let existing = lanes[lane] {
                message.previousInLane = existing.tail
                messages[existing.tail]?.nextInLane = offset
                lanes[lane] = Lane(head: existing.head, tail: offset)
            } else {
                lanes[lane] = Lane(head: offset, tail: offset)
            }
        }
        messages[offset] = message
        offsetOrder.append(offset)
        if let record, record.failureCount >= maxDeliveries {
            startDeadLettering(offset)
        } else if message.previousInLane == nil {
            makeReady(offset)
        }
    }

    /// Makes the message at `offset` dispatchable (it is its lane's head and not in flight).
    mutating func makeReady(_ offset: Int64) {
        messages[offset]?.state = .ready
        readyQueue.append(offset)
    }

    /// Makes the messages whose backoff ends at or before `now` dispatchable.
    mutating func endBackoffs(now: Int64) {
        while let first = backoffTimers.first, first.due <= now {
            _ = backoffTimers.removeFirst()
            guard isLiveBackoff(first) else { continue }
            backingOffCount -= 1
            makeReady(first.offset)
        }
    }

    /// Makes the message at `offset` wait until `until` before it is dispatchable again.
    mutating func startBackoff(_ offset: Int64, until: Int64) {
        messages[offset]?.state = .backingOff(until: until)
        backingOffCount += 1
        backoffTimers.insert(due: until, offset: offset)
    }

    /// Reports the message at `offset` for dead-lettering: no longer dispatchable, still unfinished.
    mutating func startDeadLettering(_ offset: Int64) {
        guard var message = messages[offset] else { return }
        message.state = .deadLettering
        messages[offset] = message
        deadLetteringCount += 1
        deadLetterOutbox.append(deadLetter(offset: offset, message: message))
    }

    /// The dead letter of a message.
    func deadLetter(offset: Int64, message: Message) -> DeadLetter {
        let record = message.record ?? Self.emptyRecord
        return DeadLetter(offset: offset, record: record, reason: record.lastFailureReason ?? Self.maxDeliveriesReason)
    }

    /// Counts one message of `member` out of flight (the counters only; the caller sets its state).
    mutating func leaveFlight(member: Member) {
        inFlightCount -= 1
        let held = (inFlightByMember[member] ?? 1) - 1
        inFlightByMember[member] = held > 0 ? held : nil
    }

    /// Stops tracking the message at `offset` (finished, or dropped by retention): unlinks it from
    /// its lane (the next message of the lane becomes dispatchable if it was blocked) and updates
    /// the counters. Emits no event.
    /// - Returns: The message, or nil if `offset` was not tracked.
    @discardableResult
    mutating func untrack(_ offset: Int64) -> Message? {
        guard let message = messages.removeValue(forKey: offset) else { return nil }
        switch message.state {
        case .inFlight(let member, _): leaveFlight(member: member)
        case .backingOff: backingOffCount -= 1
        case .deadLettering: deadLetteringCount -= 1
        case .blocked, .ready: break
        }
        if let lane = message.lane {
            let previous = message.previousInLane
            let next = message.nextInLane
            if let previous { messages[previous]?.nextInLane = next }
            if let next { messages[next]?.previousInLane = previous }
            switch (previous, next) {
            case (nil, nil): lanes[lane] = nil
            case (nil, let next?): lanes[lane]?.head = next
            case (let previous?, nil): lanes[lane]?.tail = previous
            case (_?, _?): break
            }
            if previous == nil, let next, messages[next]?.state == .blocked { makeReady(next) }
        }
        while let first = offsetOrder.first, messages[first] == nil { offsetOrder.removeFirst() }
        if offsetOrder.count > 2 * messages.count + 64 {
            offsetOrder = Deque(offsetOrder.filter { messages[$0] != nil })
        }
        return message
    }

    /// Records a failed delivery of the in-flight message at `offset`: one `failed` event, then
    /// dead-lettering if the failures reached ``GroupSettings/maxDeliveries``, otherwise a
    /// redelivery at once or after `delay` (nil: the group's backoff).
    mutating func fail(_ offset: Int64, reason: String?, now: Int64, immediately: Bool, delay: Int64?) {
        guard var message = messages[offset], case .inFlight(let member, _) = message.state else { return }
        leaveFlight(member: member)
        var record = message.record ?? Self.emptyRecord
        record.failureCount = record.failureCount.saturatingIncrement()
        record.lastFailureReason = reason
        message.record = record
        message.state = .blocked
        messages[offset] = message
        events.append(.failed(offset: offset, reason: reason))
        if record.failureCount >= maxDeliveries {
            startDeadLettering(offset)
        } else if immediately {
            makeReady(offset)
        } else {
            let wait =
                delay.map { max(0, $0) } ?? backoff.delayMilliseconds(afterFailure: record.failureCount, using: &random)
            startBackoff(offset, until: now.saturatingAdd(wait))
        }
    }

    /// A record for a message with no deliveries (never used for a message in flight, which
    /// always has one; a fallback rather than a trap).
    static var emptyRecord: DeliveryRecord {
        DeliveryRecord(
            deliveryCount: 0,
            failureCount: 0,
            firstDeliveredAt: 0,
            lastDeliveredAt: 0,
            lastFailureReason: nil
        )
    }

    /// The message at `offset` if `member` holds it.
    func held(_ offset: Int64, by member: Member) -> Message? {
        guard let message = messages[offset], case .inFlight(let holder, _) = message.state, holder == member else {
            return nil
        }
        return message
    }

    /// Whether the ack deadline `entry` is the current deadline of an in-flight message.
    func isLiveDeadline(_ entry: TimerHeap.Entry) -> Bool {
        guard case .inFlight(_, let deadline) = messages[entry.offset]?.state else { return false }
        return deadline == entry.due
    }

    /// Whether the backoff end `entry` is the current one of a message backing off.
    func isLiveBackoff(_ entry: TimerHeap.Entry) -> Bool {
        messages[entry.offset]?.state == .backingOff(until: entry.due)
    }

    /// Drops stale timers from the top of both heaps (so that ``nextDeadline`` is exact) and
    /// rebuilds a heap whose stale entries outnumber its live ones. Called at the end of every
    /// mutating operation.
    mutating func settleTimers() {
        while let first = ackDeadlines.first, !isLiveDeadline(first) { _ = ackDeadlines.removeFirst() }
        while let first = backoffTimers.first, !isLiveBackoff(first) { _ = backoffTimers.removeFirst() }
        if ackDeadlines.count > 2 * inFlightCount + 64 {
            var timers = ackDeadlines
            timers.removeAll { !isLiveDeadline($0) }
            ackDeadlines = timers
        }
        if backoffTimers.count > 2 * backingOffCount + 64 {
            var timers = backoffTimers
            timers.removeAll { !isLiveBackoff($0) }
            backoffTimers = timers
        }
        if readyQueue.count > 2 * messages.count + 64 {
            readyQueue = Deque(readyQueue.filter { messages[$0]?.state == .ready })
        }
    }

    /// Moves the read position forward to `offset`, dropping the restored finished ranges and
    /// delivery records below it.
    mutating func advanceRead(to offset: Int64) {
        guard offset > nextReadOffset else { return }
        nextReadOffset = offset
        while let first = restoredFinished.first, first.lowerBound < offset {
            if first.upperBound < offset {
                restoredFinished.removeFirst()
            } else {
                restoredFinished[restoredFinished.startIndex] = offset...first.upperBound
                break
            }
        }
        while let first = restoredDeliveries.first, first.offset < offset { restoredDeliveries.removeFirst() }
    }

    /// Whether the sorted, disjoint `ranges` contain `offset`.
    /// - Complexity: O(log n).
    static func ranges(_ ranges: some RandomAccessCollection<ClosedRange<Int64>>, contain offset: Int64) -> Bool {
        guard let index = indexOfRange(in: ranges, endingAtOrAfter: offset) else { return false }
        return ranges[index].contains(offset)
    }

    /// The first of the sorted, disjoint `ranges` whose upper bound is at or above `offset`.
    /// - Complexity: O(log n).
    static func indexOfRange<Ranges: RandomAccessCollection<ClosedRange<Int64>>>(
        in ranges: Ranges,
        endingAtOrAfter offset: Int64
    ) -> Ranges.Index? {
        var low = ranges.startIndex
        var high = ranges.endIndex
        while low < high {
            let middle = ranges.index(low, offsetBy: ranges.distance(from: low, to: high) / 2)
            if ranges[middle].upperBound < offset {
                low = ranges.index(after: middle)
            } else {
                high = middle
            }
        }
        return low < ranges.endIndex ? low : nil
    }
}
