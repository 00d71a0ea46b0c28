import BrokerClient
import BrokerProtocol
import Foundation
import LogStore
import LogStoreTesting
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

@testable import Broker

/// Seeded power cuts under the scheduler: its schedule log, runs and manifest on the simulated
/// disk, firing into the topic of an embedded broker, driven by a clock the test moves. Random
/// schedules (durable, and `written` ones that only a later durable answer makes durable),
/// cancels, reschedules and clock advances, and power cuts: while idle (runs and merges may be
/// under way), and in the middle of fires. After every step that lets time pass, the topic must
/// hold every schedule acknowledged durable and due exactly once, none cancelled or replaced, none
/// before its due time; a `written` schedule the cut may have taken fires at most once; every
/// cancel answers what the model says. A failure names its seed and step; `SLUICE_PROPERTY_SEEDS`
/// sets how many seeds run (default 6), `SLUICE_PROPERTY_SEED` replays one.
@Suite("Power cuts under the scheduler", .serialized)
struct SchedulePowerCutTests {
    typealias Support = ScheduleTestSupport

    static let seeds = PowerCutSeeds.seeds(default: 6)

    /// What the model knows about one durable schedule id.
    enum IDState {
        case pending(due: Int64, value: String)
        case fired
        case cancelled
    }

    @Test("acknowledged schedules and cancels survive any power cut; nothing fires twice", arguments: seeds)
    func powerCuts(seed: UInt64) async throws {
        try await withBroker { server, port in
            try await Self.run(seed: seed, server: server, port: port)
        }
    }

    /// The scheduler on `disk`, with a clock the test moves.
    final class Harness: Sendable {
        let disk = PowerCutDisk()
        let clock = NIOLockedValueBox<Int64>(ScheduleTestSupport.now)
        let settings: ScheduleSettings
        let registry: TopicRegistry
        let loop = MultiThreadedEventLoopGroup.singleton.next()

        init(registry: TopicRegistry, settings: ScheduleSettings) {
            self.registry = registry
            self.settings = settings
        }

        func open() async throws -> Scheduler {
            // The data directory exists and is durable before the broker starts.
            if !disk.disk.exists("/data") {
                try disk.disk.mkdir("/data")
                try disk.disk.syncDirectory("/")
            }
            let clock = self.clock
            let scheduler = try Scheduler.open(
                directory: "/data/" + Scheduler.directoryName,
                settings: settings,
                limits: BrokerLimits(),
                registry: registry,
                issued: { IssuedProducers(idBound: 0, epoch: 0) },
                loop: loop,
                flushScheduler: disk.scheduler,
                io: disk.disk,
                logger: Logger(label: "power-cut-scheduler"),
                clock: { clock.withLockedValue { $0 } }
            )
            await scheduler.settle()
            return scheduler
        }

        /// Cuts the power under `scheduler` now: on its loop, it stops (no fire starts its append
        /// any more, the log takes no write) at the instant the disk is taken as a cut leaves it.
        /// What still runs (appends already started, whose `firing` is durable; background run
        /// writes) finishes against the old disk; then the next open finds the new one.
        func powerCut(_ scheduler: Scheduler, seed: UInt64) async throws {
            let disk = self.disk
            let after = try await scheduler.loop.submit {
                scheduler.isClosed = true
                scheduler.halted.withLockedValue { $0 = true }
                scheduler.timer?.cancel()
                scheduler.timer = nil
                let after = disk.cut(seed: seed)
                scheduler.log.abandon()
                return after
            }.get()
            while (try? await scheduler.loop.submit({ scheduler.appendsInFlight }).get()) ?? 0 > 0 {
                try await Task.sleep(for: .milliseconds(1))
            }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                scheduler.background.async { continuation.resume() }
            }
            disk.replace(with: after)
        }
    }

    static func run(seed: UInt64, server: BrokerServer, port: Int) async throws {
        print("scheduler power-cut seed \(seed)")
        var random = SeededGenerator(seed: seed)
        let topic = "p\(seed)"
        try await Support.createTopic(topic, partitions: 2, on: server)
        var settings = ScheduleSettings()
        settings.memtableEntries = Int.random(in: 4...16, using: &random)
        settings.runsBeforeMerge = 2
        settings.logSegmentBytes = 2048
        settings.fireBatchSize = 3
        if Bool.random(using: &random) {
            settings.windowEntries = 3
            settings.windowMilliseconds = 1_500
        }
        let harness = Harness(registry: try #require(server.topicRegistry), settings: settings)
        defer { harness.disk.tearDown() }
        let clock = harness.clock
        var scheduler = try await harness.open()
        var model: [String: IDState] = [:]
        /// Value → times it must be in the topic (1 once due).
        var expected: [String: Int] = [:]
        /// `written` schedules not yet made durable by a later durable answer: value → due.
        var unconfirmed: [String: Int64] = [:]
        /// Confirmed `written` schedules: value → due (they fire exactly once).
        var confirmed: [String: Int64] = [:]
        /// `written` schedules a cut may have taken: in the topic at most once.
        var maybe: Set<String> = []
        var trace: [String] = []
        var valueNumber = 0
        var writtenNumber = 0
        let ids = (0..<6).map { "id\($0)" }

        func confirmWritten() {
            confirmed.merge(unconfirmed) { first, _ in first }
            unconfirmed = [:]
        }

        func quiesce(_ step: Int) async throws {
            try await Support.waitIdle(scheduler)
            let now = clock.withLockedValue { $0 }
            for (id, state) in model {
                if case .pending(let due, let value) = state, due <= now {
                    model[id] = .fired
                    expected[value] = 1
                }
            }
            for (value, due) in confirmed where due <= now { expected[value] = 1 }
            try await check(step)
        }

        func check(_ step: Int) async throws {
            let records = try await Support.read(topic, port: port)
            var counts: [String: Int] = [:]
            for record in records { counts[record.valueString ?? "", default: 0] += 1 }
            let context = "scheduler power-cut seed \(seed), step \(step)"
            for value in Set(counts.keys).union(expected.keys) {
                let count = counts[value] ?? 0
                if maybe.contains(value) || unconfirmed[value] != nil {
                    #expect(
                        count <= 1,
                        "\(context): \(value) fired \(count) times; steps:\n\(trace.joined(separator: "\n"))"
                    )
                } else if confirmed[value] != nil, expected[value] == nil {
                    #expect(count == 0, "\(context): \(value) fired before its due time")
                } else {
                    #expect(
                        count == (expected[value] ?? 0),
                        "\(context): \(value) is in the topic \(count) times, the model says \(expected[value] ?? 0); steps:\n\(trace.joined(separator: "\n"))"
                    )
                }
            }
            for record in records {
                let due = Int64(Support.header(ScheduleHeader.due, of: record) ?? "") ?? .max
                #expect(record.timestamp >= due, "\(context): \(record.valueString ?? "") fired before its due time")
            }
        }

        /// A durable schedule of a new id in flight, and the power cut before a random write or
        /// sync of the disk (of its record, of its fsync, or of a run, manifest or merge it
        /// starts): answered before the cut, it fires once when due; otherwise at most once.
        /// Nothing is due meanwhile (the clock stands still), so no fire is under way.
        func cutMidRequest(_ step: Int) async throws {
            writtenNumber += 1
            let value = "c#\(writtenNumber)"
            let delay = Int64.random(in: 1...4_000, using: &random)
            let answered = NIOLockedValueBox(false)
            let answeredAtCut = NIOLockedValueBox<Bool?>(nil)
            let cutAt = Int.random(in: 1...10, using: &random)
            harness.disk.arm(after: cutAt, seed: random.next()) {
                answeredAtCut.withLockedValue { $0 = answered.withLockedValue { $0 } }
            }
            let current = scheduler
            let input = Support.input(value, key: value, id: "c\(writtenNumber)", at: .after(delay))
            let request = Task {
                _ = try await current.schedule(topic: topic, [input], acks: .durable).get()[0].get()
                answered.withLockedValue { $0 = true }
            }
            let progress = OperationProgress()
            try await progress.wait {
                harness.disk.afterCut != nil || answered.withLockedValue { $0 }
            }
            try await harness.powerCut(current, seed: random.next())
            _ = try? await request.value
            let wasAnswered = answeredAtCut.withLockedValue { $0 } ?? answered.withLockedValue { $0 }
            trace.append("\(step) power cut at the \(cutAt)th write while scheduling \(value): answered \(wasAnswered)")
            if wasAnswered {
                confirmWritten()
                confirmed[value] = clock.withLockedValue { $0 } + delay
            } else {
                maybe.insert(value)
                maybe.formUnion(unconfirmed.keys)
                unconfirmed = [:]
            }
            scheduler = try await harness.open()
        }

        for step in 0..<50 {
            let choice = Int.random(in: 0..<100, using: &random)
            let now = clock.withLockedValue { $0 }
            if choice < 30 {
                var inputs: [ScheduleInput] = []
                var expectReplaced: [Bool] = []
                var taken: [String: (Int64, String)] = [:]
                var anyDueNow = false
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    let id = ids.randomElement(using: &random)!
                    let delay = Int64.random(in: -500...4_000, using: &random)
                    valueNumber += 1
                    let value = "\(id)#\(valueNumber)"
                    var wasPending = taken[id] != nil
                    if case .pending = model[id] { wasPending = true }
                    expectReplaced.append(wasPending)
                    taken[id] = (now + delay, value)
                    if delay <= 0 { anyDueNow = true }
                    inputs.append(
                        Support.input(value, key: value, id: id, at: delay >= 0 ? .after(delay) : .at(now + delay))
                    )
                }
                let answers = try await Support.schedule(inputs, topic: topic, on: scheduler)
                trace.append("\(step) schedule \(inputs.map { $0.value.map { String(buffer: $0) } ?? "" })")
                #expect(
                    answers.map(\.replaced) == expectReplaced,
                    "scheduler power-cut seed \(seed), step \(step): replaced flags"
                )
                for (id, pending) in taken { model[id] = .pending(due: pending.0, value: pending.1) }
                confirmWritten()
                if anyDueNow { try await quiesce(step) }
            } else if choice < 40 {
                // Taken without waiting for the disk: durable only once a later durable answer is.
                writtenNumber += 1
                let value = "w#\(writtenNumber)"
                let delay = Int64.random(in: 0...4_000, using: &random)
                let answers = try await scheduler.schedule(
                    topic: topic,
                    [Support.input(value, key: value, id: "w\(writtenNumber)", at: .after(delay))],
                    acks: .written
                ).get()
                _ = try answers[0].get()
                unconfirmed[value] = now + delay
                trace.append("\(step) schedule written \(value) due now+\(delay)")
            } else if choice < 52 {
                let id = ids.randomElement(using: &random)!
                let answer = try await scheduler.cancel(topic: topic, ids: [id]).get().first?.get()
                let wanted: CancelAnswer
                switch model[id] {
                case .pending: wanted = .cancelled
                case .fired: wanted = .alreadyDelivered
                case .cancelled, nil: wanted = .unknown
                }
                trace.append("\(step) cancel \(id) → \(String(describing: answer))")
                #expect(answer == wanted, "scheduler power-cut seed \(seed), step \(step): cancel \(id)")
                if case .pending = model[id] {
                    model[id] = .cancelled
                    confirmWritten()
                }
            } else if choice < 72 {
                let advance = Int64.random(in: 0...3_000, using: &random)
                clock.withLockedValue { $0 += advance }
                trace.append("\(step) advance \(advance)")
                if Int.random(in: 0..<3, using: &random) == 0 {
                    // The cut comes while the fires of this advance are under way.
                    let current = scheduler
                    _ = try await current.loop.submit { current.pumpSoon() }.get()
                    let pause = Int.random(in: 0...5, using: &random)
                    try await Task.sleep(for: .milliseconds(pause))
                    trace.append("\(step) power cut mid-fire after \(pause) ms")
                    try await harness.powerCut(current, seed: random.next())
                    maybe.formUnion(unconfirmed.keys)
                    unconfirmed = [:]
                    scheduler = try await harness.open()
                }
                try await quiesce(step)
            } else if choice < 80 {
                try await cutMidRequest(step)
                try await quiesce(step)
            } else if choice < 92 {
                trace.append("\(step) power cut")
                try await harness.powerCut(scheduler, seed: random.next())
                maybe.formUnion(unconfirmed.keys)
                unconfirmed = [:]
                scheduler = try await harness.open()
                try await quiesce(step)
            } else {
                trace.append("\(step) restart")
                await scheduler.close()
                confirmWritten()
                scheduler = try await harness.open()
                try await quiesce(step)
            }
        }
        clock.withLockedValue { $0 += 10_000 }
        try await quiesce(50)
        await scheduler.close()
        let cuts = trace.filter { $0.contains("power cut") }
        print(
            "scheduler power-cut seed \(seed): \(cuts.count) cuts, \(cuts.filter { $0.contains("answered false") }.count) with a schedule in flight unanswered, \(expected.count) fired"
        )
    }
}
