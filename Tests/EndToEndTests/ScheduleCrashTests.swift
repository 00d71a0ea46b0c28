import BrokerClient
import BrokerProtocol
import Foundation
import NIOCore
import Testing

/// Delayed delivery across `kill -9` (and SIGTERM) of a real `brokerd`: a client schedules,
/// reschedules and cancels through the protocol while the broker is killed at a random moment;
/// after the restarts every answer is checked against the topic (``ScheduleLedger``).
@Suite("Schedules across kill -9 of brokerd", .serialized)
struct ScheduleCrashTests {
    static let topic = "timeouts"

    /// Schedules `count` ids `<prefix><n>` due `earliest ... latest` ms from now (in requests of
    /// 100, four at a time), then reschedules every tenth (n % 10 == 3) 700 ms later and cancels
    /// another tenth (n % 10 == 7), recording every answer. Stops at the first connection error
    /// (the broker was killed): what was sent and not answered is recorded as unanswered.
    static func work(
        _ ledger: ScheduleLedger,
        prefix: String,
        count: Int,
        dues earliest: Int64,
        _ latest: Int64,
        at address: String,
        seed: UInt64
    ) async {
        guard let connection = try? BrokerdClient.connection(address) else { return }
        defer { Task { await connection.close() } }
        let client = ScheduleClient(transport: connection)
        let start = BrokerdClient.now
        var generator = SeededGenerator(seed: seed)
        let dues = (0..<count).map { _ in start + Int64.random(in: earliest...latest, using: &generator) }
        let batches = stride(from: 0, to: count, by: 100).map { $0..<min(count, $0 + 100) }
        let failed = ManagedFlag()
        await withTaskGroup(of: Void.self) { group in
            var next = 0
            func add() {
                guard next < batches.count else { return }
                let batch = batches[next]
                next += 1
                group.addTask {
                    guard !failed.isSet else { return }
                    let messages = batch.map { n in
                        DelayedMessage(
                            key: "order-\(n)",
                            value: "timeout \(n)",
                            deliver: .at(epochMilliseconds: dues[n]),
                            scheduleID: "\(prefix)\(n)"
                        )
                    }
                    for n in batch { ledger.scheduled("\(prefix)\(n)", due: dues[n], partition: nil) }
                    do {
                        let answers = try await client.schedule(topic: topic, messages)
                        for (n, answer) in zip(batch, answers) {
                            if case .success(let scheduled) = answer {
                                ledger.scheduled("\(prefix)\(n)", due: dues[n], partition: scheduled.partition)
                            }
                        }
                    } catch {
                        failed.set()
                    }
                }
            }
            for _ in 0..<4 { add() }
            while await group.next() != nil { add() }
        }
        guard !failed.isSet else { return }
        let acknowledged = Set(ledger.ids.filter { ledger.partition(of: $0) != nil })
        let reschedule = (0..<count).filter { $0 % 10 == 3 && acknowledged.contains("\(prefix)\($0)") }
        let cancel = (0..<count).filter { $0 % 10 == 7 && acknowledged.contains("\(prefix)\($0)") }
        for chunk in stride(from: 0, to: max(reschedule.count, cancel.count), by: 100) {
            let moved = reschedule[min(chunk, reschedule.count)..<min(reschedule.count, chunk + 100)]
            let gone = cancel[min(chunk, cancel.count)..<min(cancel.count, chunk + 100)]
            for n in moved { ledger.rescheduled("\(prefix)\(n)", due: dues[n] + 700, replaced: nil) }
            for n in gone { ledger.cancelled("\(prefix)\(n)", outcome: nil) }
            do {
                if !moved.isEmpty {
                    let answers = try await client.schedule(
                        topic: topic,
                        moved.map { n in
                            DelayedMessage(
                                key: "order-\(n)",
                                value: "timeout \(n), moved",
                                deliver: .at(epochMilliseconds: dues[n] + 700),
                                scheduleID: "\(prefix)\(n)"
                            )
                        }
                    )
                    for (n, answer) in zip(moved, answers) {
                        if case .success(let scheduled) = answer {
                            ledger.rescheduled("\(prefix)\(n)", due: dues[n] + 700, replaced: scheduled.replaced)
                        }
                    }
                }
                if !gone.isEmpty {
                    let answers = try await client.cancel(topic: topic, scheduleIDs: gone.map { "\(prefix)\($0)" })
                    for (n, answer) in zip(gone, answers) {
                        if case .success(let outcome) = answer { ledger.cancelled("\(prefix)\(n)", outcome: outcome) }
                    }
                }
            } catch {
                return
            }
        }
    }

    /// `VmHWM` of a running process: its peak resident set, in KiB.
    static func peakResidentKiB(of pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        }
        return nil
    }

    /// Waits (bounded) for a child process that was sent SIGKILL.
    static func reap(_ broker: BrokerdProcess) async {
        broker.kill()
        let deadline = Date().addingTimeInterval(60)
        while broker.process.isRunning && Date() < deadline { try? await Task.sleep(for: .seconds(0.01)) }
    }

    @Test(
        "pending schedules, reschedules and cancels survive kill -9 at random moments, each delivered once",
        arguments: [1 as UInt64, 2]
    )
    func pendingSchedulesSurviveKill9(seed: UInt64) async throws {
        let directory = try TemporaryDirectory()
        let data = directory.path + "/data"
        var broker = try await BrokerdProcess(dataDirectory: data)
        try await BrokerdClient.createTopic(Self.topic, partitions: 4, at: broker.address)
        var generator = SeededGenerator(seed: seed)
        let ledger = ScheduleLedger()
        for round in 0..<4 {
            if round > 0 { broker = try await BrokerdProcess(dataDirectory: data) }
            let address = broker.address
            let roundSeed = generator.next()
            let work = Task {
                await Self.work(
                    ledger,
                    prefix: "r\(round)-",
                    count: 2_500,
                    dues: 5_000,
                    20_000,
                    at: address,
                    seed: roundSeed
                )
            }
            // Killed at a random moment once the round's first schedules are answered (so that a
            // slow machine still kills it while it works).
            let deadline = Date().addingTimeInterval(60)
            while !ledger.ids.contains(where: { $0.hasPrefix("r\(round)-") && ledger.partition(of: $0) != nil }),
                Date() < deadline
            {
                try await Task.sleep(for: .milliseconds(5))
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...1_500, using: &generator)))
            await Self.reap(broker)
            await work.value
        }
        broker = try await BrokerdProcess(dataDirectory: data)
        defer { broker.kill() }
        let fired = try await BrokerdClient.drained(Self.topic, at: broker.address, seconds: 90)
        let counts = ledger.counts
        print(
            "kill -9 rounds (seed \(seed)): \(counts.scheduled) scheduled, \(counts.rescheduled) rescheduled, "
                + "\(counts.cancelled) cancelled, \(counts.unanswered) unanswered; \(fired.count) delivered"
        )
        #expect(counts.scheduled > 0)
        ledger.check(fired)
    }

    @Test("a clean SIGTERM restart with pending schedules delivers each once, cancelled ones never")
    func pendingSchedulesSurviveSIGTERM() async throws {
        let directory = try TemporaryDirectory()
        let data = directory.path + "/data"
        var broker = try await BrokerdProcess(dataDirectory: data)
        try await BrokerdClient.createTopic(Self.topic, partitions: 4, at: broker.address)
        let ledger = ScheduleLedger()
        for round in 0..<2 {
            if round > 0 { broker = try await BrokerdProcess(dataDirectory: data) }
            await Self.work(ledger, prefix: "t\(round)-", count: 3_000, dues: 2_000, 8_000, at: broker.address, seed: 7)
            // Some fire before the stop, the rest after the restart.
            try await Task.sleep(for: .milliseconds(2_500))
            await #expect(try broker.stop(signal: SIGTERM) == 0, "\(broker.logText)")
        }
        broker = try await BrokerdProcess(dataDirectory: data)
        defer { broker.kill() }
        let fired = try await BrokerdClient.drained(Self.topic, at: broker.address, seconds: 90)
        let counts = ledger.counts
        #expect(counts.scheduled == 6_000)
        #expect(counts.unanswered == 0)
        #expect(
            fired.count == 6_000 - counts.cancelled
                + ledger.ids.filter { ledger.allowedDues($0).first?.count == 2 }.count
        )
        ledger.check(fired)
    }

    /// 50,000 schedules due within 20 ms of one instant on 4 partitions: the broker is killed
    /// before the instant (so all fall due while it is down), restarted after it, and killed
    /// again at a random moment while the burst fires. After the last restart every schedule is
    /// in its partition exactly once, and what was appended after the first restart is in due
    /// order per partition (due, then seq: they were scheduled in random due order).
    @Test("kill -9 before and in the middle of a burst of 20,000: none lost, none twice, in due order per partition")
    func burstSurvivesKill9() async throws {
        let directory = try TemporaryDirectory()
        let data = directory.path + "/data"
        var broker = try await BrokerdProcess(dataDirectory: data)
        try await BrokerdClient.createTopic(Self.topic, partitions: 4, at: broker.address)
        let count = 20_000
        let ledger = ScheduleLedger()
        var generator = SeededGenerator(seed: 11)
        let instant = BrokerdClient.now + 15_000
        let dues = (0..<count).map { _ in instant + Int64.random(in: 0..<20, using: &generator) }
        let connection = try BrokerdClient.connection(broker.address)
        let client = ScheduleClient(transport: connection)
        let batches = stride(from: 0, to: count, by: 1_000).map { $0..<min(count, $0 + 1_000) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            func add() {
                guard next < batches.count else { return }
                let batch = batches[next]
                next += 1
                group.addTask {
                    let answers = try await client.schedule(
                        topic: Self.topic,
                        batch.map { n in
                            DelayedMessage(
                                key: "k\(n)",
                                value: "burst \(n)",
                                deliver: .at(epochMilliseconds: dues[n]),
                                scheduleID: "b\(n)"
                            )
                        }
                    )
                    for (n, answer) in zip(batch, answers) {
                        ledger.scheduled("b\(n)", due: dues[n], partition: try answer.get().partition)
                    }
                }
            }
            for _ in 0..<4 { add() }
            while try await group.next() != nil { add() }
        }
        await connection.close()
        await Self.reap(broker)
        // Down while the burst falls due.
        while BrokerdClient.now < instant + 500 { try await Task.sleep(for: .milliseconds(50)) }
        let firstRestart = BrokerdClient.now
        broker = try await BrokerdProcess(dataDirectory: data)
        // Killed as soon as the first fired messages are in their partitions, while the rest of the
        // burst is still firing (bounded: 10 s of polling the end offsets, on one connection).
        let watcher = try BrokerdClient.connection(broker.address)
        let admin = Admin(transport: watcher)
        let pollUntil = Date().addingTimeInterval(10)
        while Date() < pollUntil {
            let ends = try? await admin.listOffsets(topic: Self.topic, partitions: [0, 1, 2, 3], at: .latest)
            if let ends, ends.contains(where: { $0.logEndOffset > 0 }) { break }
            try await Task.sleep(for: .milliseconds(1))
        }
        await Self.reap(broker)
        await watcher.close()
        let secondRestart = BrokerdClient.now
        broker = try await BrokerdProcess(dataDirectory: data)
        defer { broker.kill() }
        let fired = try await BrokerdClient.drained(Self.topic, at: broker.address, seconds: 120)
        // Each queued fire once pinned a 1 MiB read of the schedule log: gigabytes for this burst.
        let peak = try #require(Self.peakResidentKiB(of: broker.process.processIdentifier))
        #expect(peak < 1 << 20, "brokerd's peak RSS while firing 50,000: \(peak) KiB")
        #expect(fired.count == count)
        ledger.check(fired)
        let lives = [
            ("after the first restart", fired.filter { $0.timestamp >= firstRestart }),
            ("after the second restart", fired.filter { $0.timestamp >= secondRestart }),
        ]
        print(
            "burst: \(fired.filter { $0.timestamp < firstRestart }.count) fired before the first kill, "
                + "\(lives[0].1.count - lives[1].1.count) between the restarts, \(lives[1].1.count) after the second; "
                + "peak RSS after the second restart \(peak / 1024) MiB"
        )
        for (life, records) in lives {
            for partition in Int32(0)..<4 {
                let ordered = records.filter { $0.partition == partition }.sorted { $0.offset < $1.offset }
                for (earlier, later) in zip(ordered, ordered.dropFirst())
                where (earlier.due, earlier.seq) > (later.due, later.seq) {
                    let message =
                        "\(life), partition \(partition): \(later.id) (due \(later.due), seq \(later.seq)) at offset "
                        + "\(later.offset) after \(earlier.id) (due \(earlier.due), seq \(earlier.seq))"
                    Issue.record(Comment(rawValue: message))
                    break
                }
            }
        }
    }
}

/// A flag set once, read from any task.
final class ManagedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    var isSet: Bool { lock.withLock { value } }

    func set() { lock.withLock { value = true } }
}
