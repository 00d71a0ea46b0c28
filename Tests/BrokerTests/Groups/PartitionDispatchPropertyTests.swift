import Foundation
import Testing

@testable import Broker

/// Seeded random runs of reads, takes, acks, nacks, rejects, extends, members leaving, timeouts,
/// time passing, dead letters written, retention and restarts, with few keys (so that they collide
/// all the time) and several members, checked after every step against ``DispatchModel``: the
/// ordering rules, the window, credits, backoffs, delivery counts, dead letters after exactly
/// `maxDeliveries` failures, and the events rebuilding the persisted state (also across restarts).
/// Each run then drains: every message must finish. A failure names its seed and step.
@Suite("PartitionDispatch properties")
struct PartitionDispatchPropertyTests {
    /// 64 seeds in every run (the suite shares 2 cores with the rest); more with
    /// `SLUICE_PROPERTY_SEEDS=N` (the dispatcher was run with 200).
    static let seeds: [UInt64] = Array(
        1...UInt64(ProcessInfo.processInfo.environment["SLUICE_PROPERTY_SEEDS"].flatMap { UInt64($0) } ?? 64)
    )
    static let steps = 2_000
    static let members = ["m0", "m1", "m2"]

    struct Failure: Error {}

    /// One run: the dispatcher, the model, the replayed state and the random source.
    struct Run {
        let seed: UInt64
        var random: SplitMixGenerator
        var settings = GroupSettings()
        var dispatch: PartitionDispatch<String>
        var model: DispatchModel
        var replayed: PersistedPartitionState
        var now: Int64 = 0
        var step = 0
        var action = "start"
        var checks = 0

        init(seed: UInt64) {
            self.seed = seed
            random = SplitMixGenerator(seed: seed)
            settings.ordering = [.key, .key, .partition, .none][Int.random(in: 0..<4, using: &random)]
            settings.maxUnfinishedPerPartition = Int.random(in: 1...12, using: &random)
            settings.maxDeliveries = Int.random(in: 1...4, using: &random)
            settings.ackTimeoutMilliseconds = Int64.random(in: 20...200, using: &random)
            settings.backoffInitialMilliseconds = [0, 1, 10, 40][Int.random(in: 0..<4, using: &random)]
            settings.backoffMultiplierPercent = [100, 150, 200, 250, 300][Int.random(in: 0..<5, using: &random)]
            settings.backoffMaxMilliseconds = [0, 50, 300][Int.random(in: 0..<3, using: &random)]
            let id = GroupPartitionID(group: "g", topic: "t", partition: 0)
            replayed = PersistedPartitionState(committedOffset: 0)
            dispatch = PartitionDispatch(id: id, settings: settings, restoring: replayed, randomSeed: seed)
            model = DispatchModel(settings: settings)
        }

        func verify(_ condition: Bool, _ message: @autoclosure () -> String) throws {
            guard !condition else { return }
            Issue.record("seed \(seed), step \(step) (\(action)), settings \(settings): \(message())")
            throw Failure()
        }

        var wallClock: Int64 { 1_000_000 + now }

        mutating func produce() {
            for _ in 0..<Int.random(in: 1...6, using: &random) {
                if Int.random(in: 0..<8, using: &random) > 0 {
                    let keyHash: UInt64? =
                        Int.random(in: 0..<5, using: &random) == 0 ? nil : UInt64.random(in: 1...3, using: &random)
                    model.log[model.logEnd] = keyHash
                }
                model.logEnd += 1
            }
        }

        mutating func read() throws {
            try verify(
                dispatch.nextReadOffset == model.readOffset,
                "read at \(dispatch.nextReadOffset), model \(model.readOffset)"
            )
            let end = min(model.logEnd, model.readOffset + Int64.random(in: 0...8, using: &random))
            let feed = model.read(upTo: end)
            dispatch.add(records: feed, readUpTo: end)
        }

        mutating func take(member: String, count: Int) throws {
            let (certain, possible) = model.candidates(now: now)
            let deliveries = dispatch.take(upTo: count, for: member, now: now, wallClock: wallClock)
            let offsets = Set(deliveries.map(\.offset))
            try verify(offsets.count == deliveries.count, "an offset delivered twice in one take")
            try verify(offsets.isSubset(of: possible), "delivered \(offsets.sorted()), allowed \(possible.sorted())")
            try verify(deliveries.count <= max(0, count), "took \(deliveries.count) of \(count)")
            try verify(
                deliveries.count >= min(max(0, count), certain.count),
                "took \(deliveries.map(\.offset)) of \(count), dispatchable for sure \(certain.sorted())"
            )
            if count >= possible.count {
                try verify(certain.isSubset(of: offsets), "left out \(certain.subtracting(offsets).sorted())")
            }
            for delivery in deliveries {
                var record =
                    model.records[delivery.offset]
                    ?? DeliveryRecord(
                        deliveryCount: 0,
                        failureCount: 0,
                        firstDeliveredAt: wallClock,
                        lastDeliveredAt: wallClock,
                        lastFailureReason: nil
                    )
                record.deliveryCount += 1
                record.lastDeliveredAt = wallClock
                model.records[delivery.offset] = record
                model.tracked[delivery.offset]!.holder = member
                model.tracked[delivery.offset]!.deadline = now + settings.ackTimeoutMilliseconds
                try verify(
                    delivery.deliveryCount == record.deliveryCount,
                    "\(delivery.offset) delivery count \(delivery.deliveryCount), model \(record.deliveryCount)"
                )
            }
        }

        mutating func randomRange(for member: String) -> ClosedRange<Int64> {
            let held = model.held(by: member)
            switch Int.random(in: 0..<10, using: &random) {
            case 0..<5 where !held.isEmpty:
                let offset = held.randomElement(using: &random)!
                return offset...offset
            case 5..<8:
                let low = model.committed + Int64.random(in: -3...6, using: &random)
                return low...(low + Int64.random(in: 0...5, using: &random))
            case 8:
                return [0...Int64.max, Int64.min...(-1), Int64.min...Int64.max, (Int64.max - 1)...Int64.max][
                    Int.random(in: 0..<4, using: &random)
                ]
            default:
                let offset = model.tracked.keys.randomElement(using: &random) ?? model.readOffset
                return offset...offset
            }
        }

        /// An offset to nack, reject or extend: mostly one the member holds.
        mutating func randomOffset(for member: String) -> Int64 {
            let held = model.held(by: member)
            if !held.isEmpty, Int.random(in: 0..<4, using: &random) > 0 { return held.randomElement(using: &random)! }
            return model.committed + Int64.random(in: -2...10, using: &random)
        }

        mutating func act() throws {
            let member = PartitionDispatchPropertyTests.members.randomElement(using: &random)!
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<10:
                action = "produce"
                produce()
            case 10..<25:
                action = "read"
                try read()
            case 25..<42:
                let count = Int.random(in: -1...4, using: &random)
                action = "take \(count) for \(member)"
                try take(member: member, count: count)
            case 42..<57:
                let ranges = (0..<Int.random(in: 1...3, using: &random)).map { _ in randomRange(for: member) }
                action = "ack \(ranges) by \(member)"
                let expected = ranges.map { model.ack($0, by: member) }
                let outcomes = dispatch.ack(ranges, by: member)
                try verify(outcomes == expected, "outcomes \(outcomes), model \(expected)")
            case 57..<64:
                let offset = randomOffset(for: member)
                let delay: Int64? =
                    Int.random(in: 0..<3, using: &random) == 0 ? Int64.random(in: -5...80, using: &random) : nil
                let reason: String? = Bool.random(using: &random) ? "nack \(step)" : nil
                action = "nack \(offset) by \(member) delay \(delay as Any)"
                let isHeld = model.tracked[offset]?.holder == member
                if isHeld { model.fail(offset, reason: reason, now: now, immediately: false, delay: delay) }
                let outcome = dispatch.nack(offset: offset, by: member, delay: delay, reason: reason, now: now)
                try verify(outcome == (isHeld ? .accepted : .notDelivered), "nack outcome \(outcome)")
            case 64..<67:
                let offset = randomOffset(for: member)
                action = "reject \(offset) by \(member)"
                let isHeld = model.tracked[offset]?.holder == member
                let reason: String? = Bool.random(using: &random) ? "reject \(step)" : nil
                if isHeld {
                    var record = model.records[offset]!
                    record.failureCount = max(record.failureCount + 1, settings.maxDeliveries)
                    record.lastFailureReason = reason ?? PartitionDispatch<String>.rejectedReason
                    model.records[offset] = record
                    model.tracked[offset]!.holder = nil
                    model.tracked[offset]!.isDeadLettering = true
                    model.expectedDeadLetters.append(offset)
                }
                let outcome = dispatch.reject(offset: offset, by: member, reason: reason)
                try verify(outcome == (isHeld ? .accepted : .notDelivered), "reject outcome \(outcome)")
            case 67..<72:
                let offset = randomOffset(for: member)
                action = "extend \(offset) by \(member)"
                let isHeld = model.tracked[offset]?.holder == member
                if isHeld { model.tracked[offset]!.deadline = now + settings.ackTimeoutMilliseconds }
                let outcome = dispatch.extend(offset: offset, by: member, now: now)
                try verify(outcome == (isHeld ? .accepted : .notDelivered), "extend outcome \(outcome)")
            case 72..<75:
                let failed = Bool.random(using: &random)
                action = "\(member) left, failed \(failed)"
                let held = model.held(by: member)
                for offset in held {
                    if failed {
                        model.fail(
                            offset,
                            reason: PartitionDispatch<String>.connectionClosedReason,
                            now: now,
                            immediately: true,
                            delay: nil
                        )
                    } else {
                        model.tracked[offset]!.holder = nil
                        model.tracked[offset]!.earliest = .min
                        model.tracked[offset]!.latest = .min
                    }
                }
                let released = dispatch.memberLeft(member, failed: failed, now: now)
                try verify(released == held, "released \(released), model \(held)")
            case 75..<83:
                action = "expire at \(now)"
                let due = model.tracked.filter { $0.value.holder != nil && $0.value.deadline <= now }
                    .map { (offset: $0.key, deadline: $0.value.deadline) }
                    .sorted { ($0.deadline, $0.offset) < ($1.deadline, $1.offset) }
                for entry in due {
                    model.fail(
                        entry.offset,
                        reason: PartitionDispatch<String>.ackTimeoutReason,
                        now: now,
                        immediately: false,
                        delay: nil
                    )
                }
                let expired = dispatch.expire(now: now).map(\.offset)
                try verify(expired == due.map(\.offset), "expired \(expired), model \(due.map(\.offset))")
            case 83..<93:
                let advance = Int64.random(in: 0...60, using: &random)
                action = "time + \(advance)"
                now += advance
            case 93..<97:
                let pending = model.tracked.filter { $0.value.isDeadLettering }.keys.sorted()
                let offset = pending.randomElement(using: &random) ?? model.committed
                action = "dead letter \(offset) written"
                let expected = model.tracked[offset]?.isDeadLettering == true
                if expected { model.finish(offset) }
                let result = dispatch.deadLetterWritten(offset: offset)
                try verify(result == expected, "dead letter written: \(result), model \(expected)")
            case 97..<99:
                let start =
                    model.committed
                    + Int64.random(in: -2...(max(0, model.readOffset - model.committed) + 5), using: &random)
                action = "log start moved to \(start)"
                var revoked: [Int64] = []
                if start > model.committed {
                    revoked = model.tracked.filter { $0.key < start && $0.value.holder != nil }.keys.sorted()
                    for offset in model.committed..<start { model.finish(offset) }
                    model.readOffset = max(model.readOffset, start)
                    model.expectedDeadLetters.removeAll { $0 < start }
                }
                model.logStart = max(model.logStart, start)
                let result = dispatch.logStartMoved(to: start).map(\.offset)
                try verify(result == revoked, "revoked \(result), model \(revoked)")
            case 99 where Int.random(in: 0..<4, using: &random) == 0:
                let offset = min(model.logEnd, max(0, model.committed + Int64.random(in: -4...4, using: &random)))
                action = "reset to \(offset)"
                let revoked = model.tracked.filter { $0.value.holder != nil }.keys.sorted()
                model.reset(to: offset)
                let result = dispatch.reset(to: offset).map(\.offset)
                try verify(result == revoked, "reset revoked \(result), model \(revoked)")
            default:
                action = "restart"
                try drainAndCheck()
                let state = dispatch.persistedState
                dispatch = PartitionDispatch(
                    id: dispatch.id,
                    settings: settings,
                    restoring: state,
                    randomSeed: random.next()
                )
                model.restart()
                try verify(dispatch.persistedState == state, "restored \(dispatch.persistedState), saved \(state)")
            }
            try drainAndCheck()
        }

        /// Drains events and dead letters and compares everything observable with the model.
        mutating func drainAndCheck() throws {
            for event in dispatch.takeEvents() { replayed.apply(event) }
            let persisted = dispatch.persistedState
            try verify(replayed == persisted, "events rebuild \(replayed), persisted \(persisted)")
            try verify(persisted == model.persistedState, "persisted \(persisted), model \(model.persistedState)")
            // The full internal check is the slowest part: every few checks (the model checks run every time).
            checks += 1
            if checks % 6 == 0 {
                let problems = dispatch.invariantViolations()
                try verify(problems.isEmpty, "\(problems)")
                // Any state reached restores to itself.
                let restored = PartitionDispatch<String>(
                    id: dispatch.id,
                    settings: settings,
                    restoring: persisted,
                    randomSeed: 0
                )
                try verify(restored.persistedState == persisted, "restores to \(restored.persistedState)")
            }
            try verify(
                dispatch.committedOffset == model.committed,
                "committed \(dispatch.committedOffset), model \(model.committed)"
            )
            try verify(
                dispatch.nextReadOffset == model.readOffset,
                "read at \(dispatch.nextReadOffset), model \(model.readOffset)"
            )
            try verify(
                dispatch.unfinishedCount == model.tracked.count,
                "unfinished \(dispatch.unfinishedCount), model \(model.tracked.count)"
            )
            try verify(dispatch.unfinishedCount <= settings.maxUnfinishedPerPartition, "window exceeded")
            try verify(
                dispatch.inFlightByMember == model.inFlightByMember,
                "in flight \(dispatch.inFlightByMember), model \(model.inFlightByMember)"
            )
            try verify(dispatch.inFlightCount == model.inFlightByMember.values.reduce(0, +), "in-flight count")
            let heldLanes = model.tracked.values.filter { $0.holder != nil }.compactMap { model.lane($0.keyHash) }
            try verify(Set(heldLanes).count == heldLanes.count, "two in flight in one lane")
            let deadLetters = dispatch.takeDeadLetters()
            try verify(
                deadLetters.map(\.offset).sorted() == model.expectedDeadLetters.sorted(),
                "dead letters \(deadLetters.map(\.offset)), model \(model.expectedDeadLetters)"
            )
            for deadLetter in deadLetters {
                let record = model.records[deadLetter.offset]
                try verify(
                    deadLetter.record == record,
                    "dead letter record \(deadLetter.record), model \(record as Any)"
                )
                try verify(
                    deadLetter.record.failureCount == settings.maxDeliveries,
                    "dead-lettered after \(deadLetter.record.failureCount) failures"
                )
                try verify(
                    deadLetter.reason == (record?.lastFailureReason ?? PartitionDispatch<String>.maxDeliveriesReason),
                    "reason \(deadLetter.reason)"
                )
            }
            model.expectedDeadLetters = []
            let heldDeadlines = model.tracked.values.filter { $0.holder != nil }.map(\.deadline)
            if let earliest = heldDeadlines.min() {
                try verify(
                    (dispatch.nextDeadline ?? .max) <= earliest,
                    "next deadline \(dispatch.nextDeadline as Any) after \(earliest)"
                )
            }
        }

        /// Delivers and acknowledges everything left; every message must finish. Each round reads,
        /// delivers, acknowledges and writes dead letters until nothing moves, then lets time pass
        /// beyond every ack timeout and backoff.
        mutating func drainAll() throws {
            let bound = 4 * settings.maxDeliveries + 10
            for round in 0..<bound {
                step = Self.drainStep + round
                var progressed = true
                while progressed {
                    let before = (model.readOffset, model.committed, model.tracked.count)
                    // The dead letters reported by the last check are written first.
                    action = "drain: dead letters"
                    let deadLettering = model.tracked.filter { $0.value.isDeadLettering }.keys.sorted()
                    for offset in deadLettering {
                        model.finish(offset)
                        try verify(dispatch.deadLetterWritten(offset: offset), "dead letter \(offset) not pending")
                    }
                    action = "drain: read"
                    while model.readOffset < model.logEnd && dispatch.wantsRecords {
                        let end = min(model.logEnd, model.readOffset + 16)
                        let feed = model.read(upTo: end)
                        dispatch.add(records: feed, readUpTo: end)
                    }
                    action = "drain: take and ack"
                    try take(member: "drainer", count: 1_000)
                    let held = model.held(by: "drainer")
                    let expected = held.map { model.ack($0...$0, by: "drainer") }
                    try verify(dispatch.ack(held.map { $0...$0 }, by: "drainer") == expected, "drain acks")
                    try drainAndCheck()
                    progressed =
                        before != (model.readOffset, model.committed, model.tracked.count) || !held.isEmpty
                        || !deadLettering.isEmpty
                }
                if model.readOffset == model.logEnd && model.tracked.isEmpty { return }
                now += 1_000
                action = "drain: expire"
                let due = model.tracked.filter { $0.value.holder != nil && $0.value.deadline <= now }
                    .map { (offset: $0.key, deadline: $0.value.deadline) }
                    .sorted { ($0.deadline, $0.offset) < ($1.deadline, $1.offset) }
                for entry in due {
                    model.fail(
                        entry.offset,
                        reason: PartitionDispatch<String>.ackTimeoutReason,
                        now: now,
                        immediately: false,
                        delay: nil
                    )
                }
                _ = dispatch.expire(now: now)
                try drainAndCheck()
            }
            try verify(
                false,
                "not drained: read at \(model.readOffset) of \(model.logEnd), \(model.tracked.count) unfinished"
            )
        }

        static let drainStep = 1_000_000
    }

    @Test("random operations agree with the model, and every message finishes", arguments: seeds)
    func randomRun(seed: UInt64) throws {
        var run = Run(seed: seed)
        do {
            for step in 0..<Self.steps {
                run.step = step
                try run.act()
            }
            try run.drainAll()
            try run.verify(
                run.dispatch.committedOffset == run.model.logEnd,
                "committed \(run.dispatch.committedOffset) of \(run.model.logEnd)"
            )
            try run.verify(
                run.dispatch.persistedState == PersistedPartitionState(committedOffset: run.model.logEnd),
                "state left"
            )
        } catch is Failure {
            return
        }
    }
}
