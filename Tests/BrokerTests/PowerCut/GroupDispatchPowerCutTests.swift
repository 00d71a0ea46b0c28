import LogStore
import LogStoreTesting
import NIOConcurrencyHelpers
import Testing

@testable import Broker

/// Seeded power cuts under a consumer group at work (``GroupDispatchNode``: the real dispatcher,
/// group state log and dead-letter writer on the simulated disk): random deliveries to two
/// members, acks, nacks, rejects, ack timeouts and members leaving run one after the other in a
/// task, and the power is cut at a random point of each round, often with one in flight. After
/// each cut and reopen (and after the restored dispatcher has written again the dead letters it
/// decides on, as a restarted runtime does):
/// - every ack answered is finished, and the restored dispatcher never delivers it again;
/// - the committed offset and the finished offsets never go back behind the last answer, and no
///   unfinished message's delivery or failure count goes below what the last answer had made
///   durable, nor above the deliveries handed out;
/// - every dead letter appended or answered is in the dead-letter partition, and every message
///   there is there exactly once (by its message id), is finished, and was never acknowledged.
/// A failure names its seed and round; `SLUICE_PROPERTY_SEED` replays it (the cut's instant may
/// still vary with timing), `SLUICE_PROPERTY_SEEDS` runs more.
@Suite("Power cuts under group state and dead letters", .serialized)
struct GroupDispatchPowerCutTests {
    static let seeds = PowerCutSeeds.seeds(default: 12)

    /// How often each kind of operation comes, in percent (the rest: ack timeouts and members
    /// leaving).
    struct Mix: Sendable {
        var deliver: Int
        var ack: Int
        var nack: Int
        var reject: Int
    }

    @Test("acks, delivery counts and committed offsets acknowledged survive any power cut", arguments: seeds)
    func groupState(seed: UInt64) async throws {
        try await Self.run(seed: seed, mix: Mix(deliver: 35, ack: 35, nack: 15, reject: 5), maxDeliveries: 4...8)
    }

    @Test("every dead letter is in the dead-letter topic exactly once across any power cut", arguments: seeds)
    func deadLetters(seed: UInt64) async throws {
        try await Self.run(seed: seed, mix: Mix(deliver: 35, ack: 15, nack: 25, reject: 20), maxDeliveries: 1...3)
    }

    static func run(seed: UInt64, mix: Mix, maxDeliveries: ClosedRange<Int>) async throws {
        var random = SeededGenerator(seed: seed)
        var settings = GroupSettings()
        settings.ordering = OrderingMode.allCases.randomElement(using: &random)!
        settings.maxDeliveries = Int.random(in: maxDeliveries, using: &random)
        settings.ackTimeoutMilliseconds = 100
        settings.backoffInitialMilliseconds = Int64.random(in: 0...20, using: &random)
        settings.backoffMaxMilliseconds = 50
        var configuration = GroupStateStore.Configuration()
        configuration.snapshotEveryEvents = Int.random(in: 5...60, using: &random)
        configuration.checkpointBatchBytes = Int.random(in: 100...2_000, using: &random)
        configuration.segmentBytes = Int.random(in: 1024...8192, using: &random)
        configuration.clock = { 1_000 }
        let sourceCount = Int64.random(in: 30...80, using: &random)
        let keys = Int.random(in: 2...8, using: &random)
        let disk = PowerCutDisk()
        defer { disk.tearDown() }
        try await withPowerCutTopics([]) { topics in
            func open() async throws -> GroupDispatchNode {
                try await GroupDispatchNode(
                    disk: disk,
                    settings: settings,
                    stateConfiguration: configuration,
                    sourceCount: sourceCount,
                    keys: keys,
                    topics: topics
                )
            }
            var node = try await open()
            let ledger = NIOLockedValueBox(GroupDispatchLedger())
            for round in 0..<5 {
                let context =
                    "group power-cut seed \(seed), round \(round), \(settings.ordering), maxDeliveries \(settings.maxDeliveries)"
                let count = Int.random(in: 10...60, using: &random)
                // The cut falls before a random changing call of the disk.
                let cutAt = Int.random(in: 1...(count * 4), using: &random)
                let cutSeed = random.next()
                let progress = OperationProgress()
                let atCut = NIOLockedValueBox<GroupDispatchLedger?>(nil)
                disk.arm(after: cutAt, seed: cutSeed) { atCut.withLockedValue { $0 = ledger.withLockedValue { $0 } } }
                let operationSeed = random.next()
                let runner = Task { [node] in
                    var random = SeededGenerator(seed: operationSeed)
                    for _ in 0..<count where !progress.shouldStop {
                        progress.start()
                        try await Self.step(node, mix: mix, ledger: ledger, using: &random)
                        progress.answer()
                    }
                }
                try await progress.wait { disk.afterCut != nil || progress.answered == count }
                // Whatever was answered before the cut must survive it.
                let after = disk.cut(seed: cutSeed) { atCut.withLockedValue { $0 = ledger.withLockedValue { $0 } } }
                progress.stop()
                try await runner.value
                let before = atCut.withLockedValue { $0! }
                // What the old node answered after the cut never happened (but the deliveries it
                // handed out still bound the counts).
                ledger.withLockedValue { ledger in
                    let issued = ledger.deliveriesIssued
                    ledger = before
                    ledger.deliveriesIssued = issued
                }
                await node.close()
                disk.replace(with: after)
                node = try await open()
                try await Self.check(node, before: before, ledger: ledger, context)
            }
            await node.close()
        }
    }

    /// One random operation, answered as the runtime answers it.
    static func step(
        _ node: GroupDispatchNode,
        mix: Mix,
        ledger: NIOLockedValueBox<GroupDispatchLedger>,
        using random: inout SeededGenerator
    ) async throws {
        node.now += 7
        let member = UInt64.random(in: 1...2, using: &random)
        let heldByMember = node.held.filter { $0.value == member }.keys.sorted()
        let roll = Int.random(in: 0..<100, using: &random)
        var answersDurably = false
        var acknowledged: [Int64] = []
        if roll < mix.deliver {
            for revoked in node.dispatch.expire(now: node.now) { node.held[revoked.offset] = nil }
            let deliveries = node.dispatch.take(
                upTo: Int.random(in: 1...4, using: &random),
                for: member,
                now: node.now,
                wallClock: GroupDispatchNode.epoch + node.now
            )
            // Counted before they are written: an upper bound whatever the cut keeps.
            ledger.withLockedValue { ledger in
                for delivery in deliveries { ledger.deliveriesIssued[delivery.offset, default: 0] += 1 }
            }
            for delivery in deliveries { node.held[delivery.offset] = member }
        } else if roll < mix.deliver + mix.ack, !heldByMember.isEmpty {
            let chosen = heldByMember.filter { _ in Bool.random(using: &random) }
            let offsets = chosen.isEmpty ? [heldByMember[0]] : chosen
            let outcomes = node.dispatch.ack(offsets.map { $0...$0 }, by: member)
            for (offset, outcome) in zip(offsets, outcomes) where outcome == .accepted {
                acknowledged.append(offset)
                node.held[offset] = nil
            }
            answersDurably = true
        } else if roll < mix.deliver + mix.ack + mix.nack, let offset = heldByMember.randomElement(using: &random) {
            let delay: Int64? = Bool.random(using: &random) ? nil : Int64.random(in: 0...30, using: &random)
            _ = node.dispatch.nack(offset: offset, by: member, delay: delay, reason: "nack", now: node.now)
            node.held[offset] = nil
            answersDurably = true
        } else if roll < mix.deliver + mix.ack + mix.nack + mix.reject,
            let offset = heldByMember.randomElement(using: &random)
        {
            _ = node.dispatch.reject(offset: offset, by: member, reason: "poison")
            node.held[offset] = nil
            answersDurably = true
        } else if Bool.random(using: &random) {
            node.now += 150
            for revoked in node.dispatch.expire(now: node.now) { node.held[revoked.offset] = nil }
        } else {
            for offset in node.dispatch.memberLeft(member, failed: true, now: node.now) { node.held[offset] = nil }
        }
        var last = try node.persist()
        if let written = try await node.writeDeadLetters(written: { offset in
            ledger.withLockedValue { _ = $0.deadLetterAppended.insert(offset) }
        }) {
            last = written
        }
        guard answersDurably || last != nil else { return }
        if let last { try await node.store.waitUntilDurable(last) }
        // Everything recorded so far is durable now: the answer may go out.
        let state = node.dispatch.persistedState
        ledger.withLockedValue { ledger in
            ledger.acknowledged.formUnion(acknowledged)
            ledger.durable = state
            if let last { ledger.durableOffset = max(ledger.durableOffset, last) }
            for offset in ledger.deadLetterAppended where state.isFinished(offset) {
                ledger.deadLettered.insert(offset)
            }
        }
    }

    /// The checks after a cut; then the ledger continues from the reopened state.
    static func check(
        _ node: GroupDispatchNode,
        before: GroupDispatchLedger,
        ledger: NIOLockedValueBox<GroupDispatchLedger>,
        _ context: String
    ) async throws {
        let reopened = node.store.state(of: GroupDispatchNode.source) ?? PersistedPartitionState(committedOffset: 0)
        let issued = ledger.withLockedValue { $0.deliveriesIssued }
        let statistics = node.store.currentStatistics
        let dlq = node.deadLetters
        let dlqEnd = try await dlq.eventLoop.submit { (dlq.log.logStartOffset, dlq.log.logEndOffset) }.get()
        let context =
            context
            + " (state log end \(node.store.log.logEndOffset), last waited durable \(before.durableOffset), checkpoint \(String(describing: statistics.checkpointOffset)), dropped at open \(String(describing: statistics.offsetsDroppedAtOpen)), damaged \(statistics.offsetsDamagedAtOpen), dead-letter log \(dlqEnd))"
        for offset in before.acknowledged.sorted() {
            #expect(reopened.isFinished(offset), "\(context): the ack of \(offset) was answered, but it is unfinished")
        }
        #expect(
            reopened.committedOffset >= before.durable.committedOffset,
            "\(context): the committed offset went back from \(before.durable.committedOffset) to \(reopened.committedOffset)"
        )
        for range in before.durable.finished {
            for offset in range where !reopened.isFinished(offset) {
                Issue.record("\(context): \(offset) was finished durably, and is unfinished after the cut")
            }
        }
        for (offset, durable) in before.durable.deliveries where !reopened.isFinished(offset) {
            let record = reopened.deliveries[offset]
            #expect(
                (record?.deliveryCount ?? 0) >= durable.deliveryCount
                    && (record?.failureCount ?? 0) >= durable.failureCount,
                "\(context): \(offset) had \(durable.deliveryCount) deliveries and \(durable.failureCount) failures durably, \(String(describing: record)) after the cut"
            )
        }
        for (offset, record) in reopened.deliveries {
            #expect(
                record.deliveryCount <= issued[offset] ?? 0,
                "\(context): \(offset) counts \(record.deliveryCount) deliveries, \(issued[offset] ?? 0) were handed out"
            )
        }
        // The restored dispatcher writes again the dead letters it decides on, as a restart does.
        if let last = try await node.writeDeadLetters(written: { offset in
            ledger.withLockedValue { _ = $0.deadLetterAppended.insert(offset) }
        }) {
            try await node.store.waitUntilDurable(last)
        }
        let state = node.dispatch.persistedState
        let deadLetters = try await node.deadLetterOffsets()
        var copies: [Int64: Int] = [:]
        for offset in deadLetters { copies[offset, default: 0] += 1 }
        for (offset, count) in copies.sorted(by: { $0.key < $1.key }) {
            #expect(
                count == 1,
                "\(context): the dead letter of \(offset) is in the dead-letter topic \(count) times (the topic holds \(deadLetters); appended before the cut \(before.deadLetterAppended.sorted()))"
            )
            #expect(
                state.isFinished(offset),
                "\(context): \(offset) is in the dead-letter topic but unfinished (it would be delivered again); reopened \(String(describing: reopened.deliveries[offset])), finished \(reopened.isFinished(offset)); at the last answer \(String(describing: before.durable.deliveries[offset])), finished \(before.durable.isFinished(offset)); appended before the cut \(before.deadLetterAppended.contains(offset)), answered \(before.deadLettered.contains(offset)); maxDeliveries \(node.dispatch.maxDeliveries)"
            )
            #expect(
                !before.acknowledged.contains(offset),
                "\(context): \(offset) is in the dead-letter topic, but its ack was answered"
            )
        }
        for offset in before.deadLetterAppended.union(before.deadLettered).sorted() {
            #expect(copies[offset] != nil, "\(context): the dead letter of \(offset) was written durably and is gone")
        }
        // No message whose ack was answered is delivered again.
        var probe = node.dispatch
        _ = probe.expire(now: node.now + 1_000_000)
        let redelivered = probe.take(upTo: 10_000, for: 99, now: node.now + 1_000_000, wallClock: 0).map(\.offset)
        let again = Set(redelivered).intersection(before.acknowledged)
        #expect(again.isEmpty, "\(context): acknowledged \(again.sorted()) are delivered again after the cut")
        ledger.withLockedValue { ledger in
            ledger.durable = state
            ledger.deadLettered.formUnion(Set(copies.keys).filter { state.isFinished($0) })
        }
        print(
            "\(context): committed \(state.committedOffset), \(copies.count) dead letters, \(before.acknowledged.count) acks answered"
        )
    }
}
