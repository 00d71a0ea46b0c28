import BrokerClient
import BrokerProtocol
import Foundation
import LogStore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

@testable import Broker

/// Seeded random runs of schedules, cancels, reschedules, clock advances, crashes (the scheduler
/// abandoned as `kill -9` would leave it, also in the middle of fires) and clean restarts, against
/// a model. After every step that lets time pass, the topic must hold exactly the messages the
/// model says fired, each once, none before its due time, each partition's in due order; every
/// cancel must answer what the model says. Small memtables and segments make flushes, merges and
/// segment deletion happen all the time. A failure names its seed and step; `SLUICE_PROPERTY_SEEDS`
/// sets how many seeds run (default 12).
@Suite("Scheduler properties")
struct SchedulerPropertyTests {
    typealias Support = ScheduleTestSupport

    static var seeds: [UInt64] {
        if let one = ProcessInfo.processInfo.environment["SLUICE_PROPERTY_SEED"].flatMap({ UInt64($0) }) {
            return [one]
        }
        let count = ProcessInfo.processInfo.environment["SLUICE_PROPERTY_SEEDS"].flatMap { Int($0) } ?? 12
        return (0..<UInt64(count)).map { $0 &* 0x9e37_79b9 &+ 7 }
    }

    @Test("schedule, cancel, reschedule, advance the clock, crash and restart against a model")
    func againstModel() async throws {
        for seed in Self.seeds {
            try await withBroker { server, port in
                try await Self.run(seed: seed, server: server, port: port)
            }
        }
    }

    /// What the model knows about one schedule id.
    enum IDState {
        case pending(due: Int64, value: String)
        case fired
        case cancelled
    }

    static func run(seed: UInt64, server: BrokerServer, port: Int) async throws {
        var random = SeededGenerator(seed: seed)
        let topic = "t\(seed)"
        try await Support.createTopic(topic, partitions: 2, on: server)
        let manual = try ManualClockScheduler(
            server: server,
            settings: {
                var settings = ScheduleSettings()
                settings.memtableEntries = 16
                settings.runsBeforeMerge = 2
                settings.logSegmentBytes = 4096
                settings.fireBatchSize = 3
                if seed % 2 == 1 {
                    // A tiny window: loaded in chunks, trimmed when schedules due soon pile up.
                    settings.windowEntries = 3
                    settings.windowMilliseconds = 1_500
                }
                return settings
            }()
        )
        let clock = manual.clock
        func open() async throws -> Scheduler { try await manual.open() }
        var scheduler = try await open()
        var model: [String: IDState] = [:]
        var expected: [String: Int] = [:]  // value → times it must appear (1)
        var checked: [Int32: Int64] = [:]
        var trace: [String] = []
        var valueNumber = 0
        let ids = (0..<6).map { "id\($0)" }

        func quiesce() async throws {
            try await Support.waitIdle(scheduler)
            let now = clock.withLockedValue { $0 }
            for (id, state) in model {
                if case .pending(let due, let value) = state, due <= now {
                    model[id] = .fired
                    expected[value] = 1
                }
            }
            try await check()
        }

        func check() async throws {
            let records = try await Support.read(topic, port: port)
            let current = scheduler
            let state = try await current.loop.submit { current.stateDescription }.get()
            var counts: [String: Int] = [:]
            for record in records { counts[record.valueString ?? "", default: 0] += 1 }
            #expect(
                counts == expected,
                "seed \(seed): the topic holds \(counts.filter { expected[$0.key] != $0.value }), the model \(expected.filter { counts[$0.key] != $0.value }); steps:\n\(trace.joined(separator: "\n"))\n\(state)"
            )
            for record in records {
                let due = Int64(Support.header(ScheduleHeader.due, of: record) ?? "") ?? .max
                #expect(record.timestamp >= due, "seed \(seed): \(record.valueString ?? "") fired before its due time")
            }
            // What fired since the last check, per partition, in due order.
            for partition in [Int32(0), 1] {
                let fresh = records.filter { $0.partition == partition && $0.offset >= (checked[partition] ?? 0) }
                    .sorted { $0.offset < $1.offset }
                let keys = fresh.map {
                    DueKey(
                        due: Int64(Support.header(ScheduleHeader.due, of: $0) ?? "") ?? 0,
                        seq: Int64(Support.header(ScheduleHeader.seq, of: $0) ?? "") ?? 0
                    )
                }
                #expect(keys == keys.sorted(), "seed \(seed): partition \(partition) fired out of due order")
                if let last = fresh.last { checked[partition] = last.offset + 1 }
            }
        }

        for step in 0..<60 {
            let choice = Int.random(in: 0..<100, using: &random)
            let now = clock.withLockedValue { $0 }
            if choice < 40 {
                var inputs: [ScheduleInput] = []
                var expectReplaced: [Bool] = []
                var taken: [String: (Int64, String)] = [:]
                var anyDueNow = false
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    let id = ids[Int.random(in: 0..<ids.count, using: &random)]
                    let delay = Int64.random(in: -500...4_000, using: &random)
                    valueNumber += 1
                    let value = "\(id)#\(valueNumber)"
                    let wasPending: Bool
                    if taken[id] != nil {
                        wasPending = true
                    } else if case .pending = model[id] {
                        wasPending = true
                    } else {
                        wasPending = false
                    }
                    expectReplaced.append(wasPending)
                    taken[id] = (now + delay, value)
                    if delay <= 0 { anyDueNow = true }
                    inputs.append(
                        Support.input(value, key: value, id: id, at: delay >= 0 ? .after(delay) : .at(now + delay))
                    )
                }
                let answers = try await Support.schedule(inputs, topic: topic, on: scheduler)
                trace.append(
                    "\(step) schedule \(zip(inputs, answers).map { "\($0.0.scheduleID ?? "-")=\($0.0.value.map { String(buffer: $0) } ?? "") due \($0.1.due - now) seq? replaced \($0.1.replaced)" })"
                )
                #expect(answers.map(\.replaced) == expectReplaced, "seed \(seed) step \(step): replaced flags")
                for (id, pending) in taken { model[id] = .pending(due: pending.0, value: pending.1) }
                if anyDueNow { try await quiesce() }
            } else if choice < 60 {
                let id = ids[Int.random(in: 0..<ids.count, using: &random)]
                let answer = try await scheduler.cancel(topic: topic, ids: [id]).get().first?.get()
                let wanted: CancelAnswer
                switch model[id] {
                case .pending: wanted = .cancelled
                case .fired: wanted = .alreadyDelivered
                case .cancelled, nil: wanted = .unknown
                }
                trace.append("\(step) cancel \(id) → \(String(describing: answer))")
                #expect(answer == wanted, "seed \(seed) step \(step): cancel \(id)")
                if case .pending = model[id] { model[id] = .cancelled }
            } else if choice < 85 {
                let advance = Int64.random(in: 0...3_000, using: &random)
                clock.withLockedValue { $0 += advance }
                trace.append("\(step) advance \(advance) to now+\(advance)")
                if Int.random(in: 0..<4, using: &random) == 0 {
                    trace.append("\(step) crash mid-fire")
                    // Crash while the fires of this advance are under way.
                    let current = scheduler
                    _ = try await current.loop.submit { current.pumpSoon() }.get()
                    try await Task.sleep(for: .milliseconds(Int.random(in: 0...5, using: &random)))
                    await current.crashForTesting()
                    scheduler = try await open()
                }
                try await quiesce()
            } else if choice < 93 {
                trace.append("\(step) crash")
                await scheduler.crashForTesting()
                scheduler = try await open()
                try await quiesce()
            } else {
                trace.append("\(step) restart")
                await scheduler.close()
                scheduler = try await open()
                try await quiesce()
            }
        }
        clock.withLockedValue { $0 += 10_000 }
        try await quiesce()
        await scheduler.close()
    }
}
