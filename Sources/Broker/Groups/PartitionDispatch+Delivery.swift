/// Handing messages to members and taking in what they answer.
extension PartitionDispatch {
    /// Hands up to `count` dispatchable messages to `member`, and records them in one `delivered`
    /// event (write it before sending the deliveries).
    ///
    /// A message is dispatchable when it is the first unfinished message of its lane (`key` mode:
    /// its key hash; `partition` mode: the partition; messages without a key and `none` mode: no
    /// lane), is not in flight or being dead-lettered, and its backoff (if any) ended at or before
    /// `now`. Messages go out in the order they became dispatchable.
    /// - Parameters:
    ///   - count: The most messages to hand out (the member's credits); 0 or less hands none.
    ///   - member: Who receives them.
    ///   - now: The monotonic clock, in milliseconds (ack deadlines and backoffs).
    ///   - wallClock: The wall clock, in epoch milliseconds (recorded as the delivery time).
    /// - Returns: The deliveries, each with its delivery count.
    /// - Complexity: O(log window) per message handed out or whose backoff ended.
    public mutating func take(upTo count: Int, for member: Member, now: Int64, wallClock: Int64) -> [Delivery] {
        endBackoffs(now: now)
        var deliveries: [Delivery] = []
        let deadline = now.saturatingAdd(max(0, settings.ackTimeoutMilliseconds))
        while deliveries.count < count, let offset = readyQueue.popFirst() {
            guard var message = messages[offset], message.state == .ready else { continue }
            var record =
                message.record
                ?? DeliveryRecord(
                    deliveryCount: 0,
                    failureCount: 0,
                    firstDeliveredAt: wallClock,
                    lastDeliveredAt: wallClock,
                    lastFailureReason: nil
                )
            record.deliveryCount = record.deliveryCount.saturatingIncrement()
            record.lastDeliveredAt = wallClock
            message.record = record
            message.state = .inFlight(member: member, deadline: deadline)
            messages[offset] = message
            ackDeadlines.insert(due: deadline, offset: offset)
            inFlightCount += 1
            inFlightByMember[member, default: 0] += 1
            deliveries.append(Delivery(offset: offset, deliveryCount: record.deliveryCount))
        }
        if !deliveries.isEmpty { events.append(.delivered(offsets: deliveries.map(\.offset), at: wallClock)) }
        settleTimers()
        return deliveries
    }

    /// Acknowledges the offsets of `ranges` that `member` holds, and records them in one
    /// `acknowledged` event (answer the member once it is durable).
    /// - Returns: One outcome per range: ``Outcome/accepted`` when every offset of the range is
    ///   finished now, ``Outcome/notDelivered`` when some offset was not held by `member` (never
    ///   delivered, negative, not read yet, held by another member, waiting for redelivery); the
    ///   offsets it held are acknowledged either way. Overlapping ranges are fine.
    /// - Complexity: O(r log r + window + r log window) for r ranges, however long they are: the
    ///   ranges are merged and the tracked messages they cover are visited once.
    public mutating func ack(_ ranges: [ClosedRange<Int64>], by member: Member) -> [Outcome] {
        guard !ranges.isEmpty else { return [] }
        // The tracked messages lie in committed...nextReadOffset-1; merge the ranges clipped to it.
        let trackedSpan = committedOffset...max(committedOffset, nextReadOffset - 1)
        var merged: [ClosedRange<Int64>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            let low = max(range.lowerBound, trackedSpan.lowerBound)
            let high = min(range.upperBound, trackedSpan.upperBound)
            guard low <= high else { continue }
            if let last = merged.last, low <= last.upperBound {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, high)
            } else {
                merged.append(low...high)
            }
        }
        // Visit the tracked offsets the merged ranges cover (each once): held ones are
        // acknowledged, the others make their ranges incomplete.
        var acknowledged: [Int64] = []
        var notHeld: [Int64] = []
        for range in merged {
            var index = firstOrderIndex(atOrAfter: range.lowerBound)
            while index < offsetOrder.endIndex, offsetOrder[index] <= range.upperBound {
                let offset = offsetOrder[index]
                index += 1
                guard messages[offset] != nil else { continue }
                if held(offset, by: member) != nil {
                    acknowledged.append(offset)
                } else {
                    notHeld.append(offset)
                }
            }
        }
        for offset in acknowledged { untrack(offset) }
        let outcomes = ranges.map { range -> Outcome in
            isComplete(range, notHeld: notHeld) ? .accepted : .notDelivered
        }
        if !acknowledged.isEmpty {
            var compressed: [ClosedRange<Int64>] = []
            for offset in acknowledged {
                if let last = compressed.last, last.upperBound + 1 == offset {
                    compressed[compressed.count - 1] = last.lowerBound...offset
                } else {
                    compressed.append(offset...offset)
                }
            }
            events.append(.acknowledged(compressed))
        }
        settleTimers()
        return outcomes
    }

    /// The index of the first entry of `offsetOrder` at or above `offset` (the deque is sorted,
    /// finished entries included).
    /// - Complexity: O(log window).
    private func firstOrderIndex(atOrAfter offset: Int64) -> Int {
        var low = offsetOrder.startIndex
        var high = offsetOrder.endIndex
        while low < high {
            let middle = low + (high - low) / 2
            if offsetOrder[middle] < offset {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low
    }

    /// Whether every offset of `range` is finished once the held ones are acknowledged: none is
    /// negative, in `notHeld` (sorted), or unread and not marked finished by the restored state.
    private func isComplete(_ range: ClosedRange<Int64>, notHeld: [Int64]) -> Bool {
        guard range.lowerBound >= 0 else { return false }
        if range.upperBound >= nextReadOffset {
            let unread = max(range.lowerBound, nextReadOffset)...range.upperBound
            guard let index = Self.indexOfRange(in: restoredFinished, endingAtOrAfter: unread.lowerBound),
                restoredFinished[index].lowerBound <= unread.lowerBound,
                restoredFinished[index].upperBound >= unread.upperBound
            else { return false }
        }
        // The first offset of `notHeld` at or above the range's start must be beyond its end.
        var low = 0
        var high = notHeld.count
        while low < high {
            let middle = low + (high - low) / 2
            if notHeld[middle] < range.lowerBound {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low == notHeld.count || notHeld[low] > range.upperBound
    }

    /// A failed delivery: `member` gives back the message at `offset`. It is delivered again after
    /// `delay` (replacing the group's backoff for this failure) or, without a delay, after the
    /// backoff; or dead-lettered if its failures reach ``GroupSettings/maxDeliveries``. Records a
    /// `failed` event.
    /// - Parameters:
    ///   - delay: Milliseconds to wait before the redelivery (negative counts as 0), or nil.
    ///   - reason: Why it failed (kept as the message's last failure reason).
    ///   - now: The monotonic clock, in milliseconds.
    /// - Returns: ``Outcome/notDelivered`` if `member` does not hold the message.
    public mutating func nack(offset: Int64, by member: Member, delay: Int64?, reason: String?, now: Int64) -> Outcome {
        guard held(offset, by: member) != nil else { return .notDelivered }
        fail(offset, reason: reason, now: now, immediately: false, delay: delay)
        settleTimers()
        return .accepted
    }

    /// `member` rejects the message at `offset`: it goes to dead-lettering at once. Records as
    /// many `failed` events as the failures it had left before ``GroupSettings/maxDeliveries``
    /// (at least one), so that after a restart it is dead-lettered again, not delivered.
    /// - Returns: ``Outcome/notDelivered`` if `member` does not hold the message.
    public mutating func reject(offset: Int64, by member: Member, reason: String?) -> Outcome {
        guard var message = held(offset, by: member), case .inFlight(let holder, _) = message.state else {
            return .notDelivered
        }
        leaveFlight(member: holder)
        let reason = reason ?? Self.rejectedReason
        var record = message.record ?? Self.emptyRecord
        repeat {
            record.failureCount = record.failureCount.saturatingIncrement()
            events.append(.failed(offset: offset, reason: reason))
        } while record.failureCount < maxDeliveries
        record.lastFailureReason = reason
        message.record = record
        message.state = .blocked
        messages[offset] = message
        startDeadLettering(offset)
        settleTimers()
        return .accepted
    }

    /// `member` is still working on the message at `offset`: its ack deadline becomes `now` plus
    /// the ack timeout. Records no event.
    /// - Returns: ``Outcome/notDelivered`` if `member` does not hold the message.
    public mutating func extend(offset: Int64, by member: Member, now: Int64) -> Outcome {
        guard held(offset, by: member) != nil else { return .notDelivered }
        let deadline = now.saturatingAdd(max(0, settings.ackTimeoutMilliseconds))
        messages[offset]?.state = .inFlight(member: member, deadline: deadline)
        ackDeadlines.insert(due: deadline, offset: offset)
        settleTimers()
        return .accepted
    }

    /// `member` is gone: every message it holds is dispatchable again at once. If `failed` (its
    /// connection dropped), each counts as a failed delivery (`failed` event, reason
    /// ``connectionClosedReason``; dead-lettered if that was the last one allowed); a clean leave
    /// is not a failure and records no event.
    /// - Returns: The offsets `member` held, increasing.
    /// - Complexity: O(window).
    @discardableResult
    public mutating func memberLeft(_ member: Member, failed: Bool, now: Int64) -> [Int64] {
        guard inFlightByMember[member] != nil else { return [] }
        var released: [Int64] = []
        for offset in offsetOrder where held(offset, by: member) != nil {
            released.append(offset)
        }
        for offset in released {
            if failed {
                fail(offset, reason: Self.connectionClosedReason, now: now, immediately: true, delay: nil)
            } else {
                leaveFlight(member: member)
                makeReady(offset)
            }
        }
        settleTimers()
        return released
    }

    /// Fails every delivery whose ack deadline is at or before `now` (reason
    /// ``ackTimeoutReason``, then the group's backoff or dead-lettering), with a `failed` event
    /// each, and makes the messages whose backoff ended dispatchable (``hasReady``).
    /// - Returns: The deliveries that timed out, in deadline order.
    /// - Complexity: O(log window) per delivery timed out.
    @discardableResult
    public mutating func expire(now: Int64) -> [Revoked] {
        var expired: [Revoked] = []
        while let first = ackDeadlines.first, first.due <= now {
            _ = ackDeadlines.removeFirst()
            guard isLiveDeadline(first), case .inFlight(let member, _) = messages[first.offset]?.state else { continue }
            expired.append(Revoked(offset: first.offset, member: member))
            fail(first.offset, reason: Self.ackTimeoutReason, now: now, immediately: false, delay: nil)
        }
        endBackoffs(now: now)
        settleTimers()
        return expired
    }

    /// The dead letter of the message at `offset` is durable: the message is finished. Records a
    /// `deadLettered` event.
    /// - Returns: false (and nothing changes) if the message is not being dead-lettered.
    @discardableResult
    public mutating func deadLetterWritten(offset: Int64) -> Bool {
        guard messages[offset]?.state == .deadLettering else { return false }
        untrack(offset)
        events.append(.deadLettered(offset: offset))
        settleTimers()
        return true
    }
}
