/// A full consistency check of the dispatcher's bookkeeping, for tests.
extension PartitionDispatch {
    /// What is inconsistent in the internal structures (empty when all is well): counters against
    /// states, lanes (linked in offset order, only the head dispatchable or in flight), the offset
    /// order, the ready queue, the timers, the window and the bounds of the lazily cleaned
    /// structures.
    /// - Complexity: O(window × log window).
    func invariantViolations() -> [String] {
        var problems: [String] = []
        var inFlight = 0
        var backingOff = 0
        var deadLettering = 0
        var perMember: [Member: Int] = [:]
        let liveDeadlines = Set(ackDeadlines.entries.filter(isLiveDeadline).map(\.offset))
        let liveBackoffs = Set(backoffTimers.entries.filter(isLiveBackoff).map(\.offset))
        let queued = readyQueue.filter { messages[$0]?.state == .ready }
        if Set(queued).count != queued.count { problems.append("an offset is queued twice") }
        let queuedSet = Set(queued)
        for (offset, message) in messages {
            switch message.state {
            case .inFlight(let member, _):
                inFlight += 1
                perMember[member, default: 0] += 1
                if !liveDeadlines.contains(offset) { problems.append("\(offset) in flight without a deadline") }
                if message.record == nil { problems.append("\(offset) in flight without a record") }
            case .backingOff:
                backingOff += 1
                if !liveBackoffs.contains(offset) { problems.append("\(offset) backing off without a timer") }
            case .deadLettering:
                deadLettering += 1
            case .ready:
                if !queuedSet.contains(offset) { problems.append("\(offset) ready but not queued") }
            case .blocked:
                if message.previousInLane == nil { problems.append("\(offset) blocked but first of its lane") }
            }
            if message.previousInLane != nil, message.state != .blocked, message.state != .deadLettering {
                problems.append("\(offset) is \(message.state) behind an earlier message of its lane")
            }
            if offset < 0 || offset >= nextReadOffset { problems.append("\(offset) tracked but not read") }
        }
        if inFlight != inFlightCount { problems.append("inFlightCount \(inFlightCount), counted \(inFlight)") }
        if backingOff != backingOffCount {
            problems.append("backingOffCount \(backingOffCount), counted \(backingOff)")
        }
        if deadLettering != deadLetteringCount {
            problems.append("deadLetteringCount \(deadLetteringCount), counted \(deadLettering)")
        }
        if perMember != inFlightByMember {
            problems.append("per-member counts \(inFlightByMember), counted \(perMember)")
        }
        if messages.count > window { problems.append("\(messages.count) unfinished, window \(window)") }
        var laneMembers = 0
        for (key, lane) in lanes {
            var cursor: Int64? = lane.head
            var previous: Int64?
            var steps = 0
            while let offset = cursor, steps <= messages.count {
                guard let message = messages[offset] else {
                    problems.append("lane \(key) links to untracked \(offset)")
                    break
                }
                if message.lane != key {
                    problems.append("\(offset) linked in lane \(key) but belongs to \(message.lane as Any)")
                }
                if message.previousInLane != previous { problems.append("\(offset) has a wrong previous link") }
                if let previous, previous >= offset { problems.append("lane \(key) out of order at \(offset)") }
                previous = offset
                cursor = message.nextInLane
                steps += 1
            }
            if previous != lane.tail { problems.append("lane \(key) tail \(lane.tail), walked to \(previous as Any)") }
            laneMembers += steps
        }
        if laneMembers != messages.values.filter({ $0.lane != nil }).count { problems.append("lanes miss messages") }
        let live = offsetOrder.filter { messages[$0] != nil }
        if live.count != messages.count { problems.append("offset order misses messages") }
        if zip(live, live.dropFirst()).contains(where: { $0 >= $1 }) { problems.append("offset order not increasing") }
        if let first = offsetOrder.first, messages[first] == nil { problems.append("offset order starts finished") }
        if offsetOrder.count > 2 * messages.count + 64 { problems.append("offset order holds \(offsetOrder.count)") }
        if ackDeadlines.count > 2 * inFlightCount + 64 { problems.append("ack deadlines hold \(ackDeadlines.count)") }
        if backoffTimers.count > 2 * backingOffCount + 64 { problems.append("backoffs hold \(backoffTimers.count)") }
        if readyQueue.count > 2 * messages.count + 64 { problems.append("ready queue holds \(readyQueue.count)") }
        if let first = ackDeadlines.first, !isLiveDeadline(first) { problems.append("stale ack deadline on top") }
        if let first = backoffTimers.first, !isLiveBackoff(first) { problems.append("stale backoff on top") }
        if let first = restoredFinished.first, first.lowerBound < nextReadOffset {
            problems.append("restored range read")
        }
        if let first = restoredDeliveries.first, first.offset < nextReadOffset {
            problems.append("restored record read")
        }
        return problems
    }
}
