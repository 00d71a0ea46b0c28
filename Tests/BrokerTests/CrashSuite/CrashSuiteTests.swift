import BrokerProtocol
import Foundation
import KafkaProtocol
import LogStore
import NIOConcurrencyHelpers
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The mixed-load crash suite (docs/TESTING.md, "The crash suite"): the real `brokerd` under every
/// kind of load at once — durable keyed produce on several partitions through the Sluice protocol
/// (two producers) and the Kafka listener, a Sluice consumer group acknowledging with random
/// nacks, rejects and slow handlers, a Kafka classic group committing, schedules created,
/// rescheduled and cancelled with due times around the kill points — killed with `kill -9` at a
/// random moment of each round (one round in five stops cleanly with SIGTERM instead), restarted on
/// the same data directory and checked against what every client was told:
///
/// - every message acknowledged durable is in its partition exactly once, at the offset answered,
///   and each producer's messages are in order; no message is in a log twice;
/// - no message is delivered to the group again after its ack (or reject) was answered, after a
///   clean stop or a crash; delivery counts only go up; every dead letter exists once, and every
///   answered reject has one;
/// - no schedule fires twice or early, none fires once cancelled or replaced, every schedule an
///   answer said had fired did, and at the end every live schedule has fired;
/// - the Kafka group's committed offsets never go behind an answered commit;
/// - at the end the group finishes every message (acknowledged or dead-lettered), and after a last
///   clean stop nothing is delivered again.
///
/// Seeded: `SLUICE_CRASH_SEED` (default 1) and `SLUICE_CRASH_ROUNDS` (default 20) replay the same
/// operations, stop kinds and kill times (the interleaving of the drivers with the broker's threads
/// is the machine's). `scripts/crash-suite.sh` runs many rounds.
@Suite struct CrashSuiteTests {
    static let events = "events"
    static let kafkaEvents = "kevents"
    static let timers = "timers"
    static let deadLetters = "dlq.\(CrashGroupMember.group).\(events)"

    @Test(
        "mixed load through both protocols, brokerd killed -9 at random moments: nothing acknowledged is lost or repeated"
    )
    func crashSuite() async throws {
        let environment = ProcessInfo.processInfo.environment
        let seed = environment["SLUICE_CRASH_SEED"].flatMap { UInt64($0) } ?? 1
        let rounds = environment["SLUICE_CRASH_ROUNDS"].flatMap { Int($0) } ?? 20
        report(
            "crash suite: seed \(seed), \(rounds) rounds "
                + "(replay: SLUICE_CRASH_SEED=\(seed) SLUICE_CRASH_ROUNDS=\(rounds) swift test --filter CrashSuiteTests)"
        )
        let directory = NSTemporaryDirectory() + "sluice-crash-suite-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let suite = CrashSuite(seed: seed)
        let started = ContinuousClock.now
        for round in 0..<rounds {
            let broker = try await CrashSuiteBrokerd(dataDirectory: directory)
            defer { broker.child.kill() }
            if round == 0 { try await suite.createTopics(port: broker.port) }
            let findings = try await suite.verify(broker)
            guard findings.isEmpty else {
                Issue.record("seed \(seed), after round \(round - 1): \(findings.prefix(20).joined(separator: "\n"))")
                return
            }
            try await suite.runRound(round, on: broker)
            if (round + 1) % 50 == 0 {
                report(suite.summary(rounds: round + 1, elapsed: ContinuousClock.now - started))
            }
        }
        let broker = try await CrashSuiteBrokerd(dataDirectory: directory)
        defer { broker.child.kill() }
        var findings = try await suite.verify(broker)
        if findings.isEmpty { findings = try await suite.finish(broker, directory: directory) }
        #expect(findings.isEmpty, "seed \(seed), the end: \(findings.prefix(20).joined(separator: "\n"))")
        report(suite.summary(rounds: rounds, elapsed: ContinuousClock.now - started))
    }
}

/// The crash suite's clients and what they were told, across rounds.
final class CrashSuite {
    let seed: UInt64
    var events = ProduceLedger(topic: CrashSuiteTests.events, partitions: 4)
    var kafkaEvents = ProduceLedger(topic: CrashSuiteTests.kafkaEvents, partitions: 3)
    let producers = [
        CrashProducer(name: "n0", wire: .sluice, topic: CrashSuiteTests.events, partitions: 4),
        CrashProducer(name: "n1", wire: .sluice, topic: CrashSuiteTests.events, partitions: 4),
        CrashProducer(name: "k0", wire: .kafka, topic: CrashSuiteTests.kafkaEvents, partitions: 3),
    ]
    let group = NIOLockedValueBox(GroupLedger())
    lazy var member = CrashGroupMember(topic: CrashSuiteTests.events, ledger: group)
    /// A second member, in the group for part of each round, leaving abruptly.
    lazy var visitor = CrashGroupMember(topic: CrashSuiteTests.events, ledger: group)
    let kafkaGroup = CrashKafkaGroup(topic: CrashSuiteTests.kafkaEvents, partitions: 3)
    let scheduler = CrashScheduler(topic: CrashSuiteTests.timers)
    var kills = 0
    var cleanStops = 0

    init(seed: UInt64) { self.seed = seed }

    func createTopics(port: Int) async throws {
        let connection = try await TestConnection(port: port)
        for (topic, partitions) in [
            (CrashSuiteTests.events, 4), (CrashSuiteTests.kafkaEvents, 3), (CrashSuiteTests.timers, 2),
        ] {
            let answer = try await connection.call(
                CreateTopicRequest(topic: topic, partitionCount: Int32(partitions)),
                as: CreateTopicResponse.self
            )
            guard answer.result.errorCode == .none else { throw TestFailure("create \(topic): \(answer)") }
        }
    }

    /// One round: every driver against `broker` until the seeded moment, then `kill -9` (or, one
    /// round in five, a clean stop: the drivers finish what they hold, then SIGTERM).
    func runRound(_ round: Int, on broker: CrashSuiteBrokerd) async throws {
        var generator = crashGenerator(seed: seed, round: round, stream: 0)
        let runMilliseconds = Int.random(in: 200...1_500, using: &generator)
        let clean = Int.random(in: 0..<5, using: &generator) == 0
        let context = CrashRound(kafkaEnds: kafkaEvents.frontier)
        let logValues = events.located
        await withTaskGroup(of: Void.self) { group in
            for (index, producer) in producers.enumerated() {
                let port = producer.wire == .sluice ? broker.port : broker.kafkaPort
                let seed = seed
                let generator = crashGenerator(seed: seed, round: round, stream: UInt64(1 + index))
                group.addTask { await producer.run(context, port: port, generator: generator) }
            }
            let member = member, visitor = visitor, kafkaGroup = kafkaGroup, scheduler = scheduler, seed = seed
            let port = broker.port, kafkaPort = broker.kafkaPort
            group.addTask {
                await member.run(
                    context,
                    port: port,
                    generator: crashGenerator(seed: seed, round: round, stream: 10),
                    logValues: logValues
                )
            }
            // The visitor joins at a seeded moment of the round and leaves at another, with its
            // messages in hand (or stays to the end).
            let joining = Int.random(in: 0...runMilliseconds, using: &generator)
            let leaving = Int.random(in: joining...(runMilliseconds + 500), using: &generator)
            group.addTask {
                try? await Task.sleep(for: .milliseconds(joining))
                await visitor.run(
                    context,
                    port: port,
                    generator: crashGenerator(seed: seed, round: round, stream: 13),
                    logValues: logValues,
                    leavingAt: leaving < runMilliseconds ? ContinuousClock.now + .milliseconds(leaving - joining) : nil
                )
            }
            group.addTask {
                await kafkaGroup.run(
                    context,
                    port: kafkaPort,
                    generator: crashGenerator(seed: seed, round: round, stream: 11)
                )
            }
            group.addTask {
                await scheduler.run(
                    context,
                    port: port,
                    generator: crashGenerator(seed: seed, round: round, stream: 12)
                )
            }
            try? await Task.sleep(for: .milliseconds(runMilliseconds))
            if clean {
                context.stop()
            } else {
                context.markKilled()
                broker.child.process.signal(SIGKILL)
            }
            await group.waitForAll()
        }
        if clean {
            let status = try await broker.child.stop(signal: SIGTERM)
            if status != 0 {
                throw TestFailure("brokerd exited \(status) after SIGTERM: \(broker.child.standardError)")
            }
            cleanStops += 1
        } else {
            _ = try await broker.child.waitForExit()
            kills += 1
        }
        for producer in producers {
            for (value, position) in producer.acknowledged {
                if producer.wire == .sluice {
                    events.acknowledge(value, at: position)
                } else {
                    kafkaEvents.acknowledge(value, at: position)
                }
            }
            producer.acknowledged = []
        }
    }

    /// Everything written since the last check, read back after a restart, against the ledgers.
    func verify(_ broker: CrashSuiteBrokerd) async throws -> [String] {
        var findings = producers.flatMap(\.findings) + member.findings + visitor.findings + kafkaGroup.findings
        findings += scheduler.findings
        let connection = try await TestConnection(port: broker.port)
        findings += try await Self.readBack(&events, on: connection)
        findings += try await Self.readBack(&kafkaEvents, on: connection)
        findings += try await readDeadLetters(connection)
        findings += group.withLockedValue { $0.checkRejects() }
        for partition in Int32(0)..<2 {
            let records = try await readPartition(
                CrashSuiteTests.timers,
                partition: partition,
                from: scheduler.ledger.frontier[partition] ?? 0,
                on: connection
            )
            findings += scheduler.ledger.absorb(records, partition: partition)
        }
        findings += scheduler.ledger.checkFired(dueBefore: nil)
        findings += try await kafkaGroup.fetchAndCheck(try await KafkaTestConnection(port: broker.kafkaPort))
        return findings
    }

    /// A produce ledger's topic read past its frontier, then its acknowledgements checked.
    private static func readBack(_ ledger: inout ProduceLedger, on connection: TestConnection) async throws -> [String]
    {
        var findings: [String] = []
        for partition in Int32(0)..<ledger.partitions {
            let records = try await readPartition(
                ledger.topic,
                partition: partition,
                from: ledger.frontier[partition] ?? 0,
                on: connection
            )
            findings += ledger.absorb(records, partition: partition)
        }
        return findings + ledger.checkAcknowledged()
    }

    private func readDeadLetters(_ connection: TestConnection) async throws -> [String] {
        var findings: [String] = []
        for partition in Int32(0)..<4 {
            let records = try await readPartition(
                CrashSuiteTests.deadLetters,
                partition: partition,
                from: group.withLockedValue { $0.deadLetterFrontier[partition] ?? 0 },
                on: connection
            )
            findings += group.withLockedValue { $0.absorbDeadLetters(records, partition: partition) }
        }
        return findings
    }

    /// The end: the group finishes every message (acknowledging all it gets), every schedule falls
    /// due and fires, then a clean stop and a restart deliver nothing again.
    func finish(_ broker: CrashSuiteBrokerd, directory: String) async throws -> [String] {
        let connection = try await TestConnection(port: broker.port)
        var remaining: [LogPosition] = []
        let member = member, port = broker.port, seed = seed, located = events.located
        for slice in 0..<120 {
            let context = CrashRound(kafkaEnds: [:])
            async let draining: Void = member.run(
                context,
                port: port,
                generator: crashGenerator(seed: seed, round: 100_000 + slice, stream: 10),
                logValues: located,
                draining: true
            )
            try? await Task.sleep(for: .seconds(1))
            context.stop()
            await draining
            var findings = member.findings + (try await readDeadLetters(connection))
            if !findings.isEmpty { return findings }
            // An ack sent but never answered (the broker was killed) may have been taken: such a
            // message may be finished without this member knowing.
            remaining = group.withLockedValue { ledger in
                events.located.values.filter { !ledger.isFinished($0) && !ledger.ackedUnanswered.contains($0) }
            }
            if remaining.isEmpty { break }
            findings = []
        }
        guard remaining.isEmpty else {
            return ["group: \(remaining.count) messages never finished, e.g. \(remaining.prefix(5))"]
        }
        let lastDue = scheduler.ledger.lastDue
        while currentTimeMilliseconds() < lastDue + 1_000 { try await Task.sleep(for: .milliseconds(100)) }
        var findings: [String] = []
        for _ in 0..<100 {
            findings = try await verify(broker) + scheduler.ledger.checkFired(dueBefore: lastDue + 1)
            if findings.isEmpty { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        guard findings.isEmpty else { return findings }
        // A clean stop: nothing acknowledged, rejected or dead-lettered comes back, and nothing is left.
        let status = try await broker.child.stop(signal: SIGTERM)
        guard status == 0 else { return ["brokerd exited \(status) after SIGTERM"] }
        let again = try await CrashSuiteBrokerd(dataDirectory: directory)
        defer { again.child.kill() }
        findings = try await verify(again)
        let probe = try await RawMember(port: again.port)
        try await probe.subscribe(
            group: CrashGroupMember.group,
            topics: [CrashSuiteTests.events],
            settings: CrashGroupMember.settings,
            credits: 64
        )
        try await Task.sleep(for: .milliseconds(500))
        while probe.hasPendingPush {
            // Only a message whose ack a kill left unanswered, and never delivered since, may come:
            // that ack was not taken after all.
            let unexpected = try await probe.nextPush().filter { message in
                group.withLockedValue {
                    !$0.ackedUnanswered.contains(LogPosition(partition: message.partition, offset: message.offset))
                }
            }
            if !unexpected.isEmpty {
                findings.append(
                    "group: after the last clean stop \(unexpected.count) delivered again: \(unexpected.prefix(3))"
                )
            }
        }
        return findings
    }

    func summary(rounds: Int, elapsed: Duration) -> String {
        let group = group.withLockedValue { $0 }
        let schedules = scheduler.ledger
        return """
            crash suite: seed \(seed), \(rounds) rounds (\(kills) kill -9, \(cleanStops) SIGTERM) in \(elapsed): \
            Sluice produce: \(events.acknowledged) acknowledged, \
            \(events.located.count) in the log; Kafka produce: \(kafkaEvents.acknowledged) acknowledged, \
            \(kafkaEvents.located.count) in the log; group: \(group.deliveries) deliveries \
            (\(group.redeliveries) again), \(group.acked.count) acks answered, \(group.nacks) nacks, \
            \(group.slowAcks) slow acks, \(group.rejected.count) rejects, \(group.deadLetters.count) dead letters; \
            Kafka group: \(kafkaGroup.ledger.joins) joins, \(kafkaGroup.ledger.commits) commits answered; \
            schedules: \(schedules.created) created, \(schedules.rescheduled) rescheduled, \(schedules.cancels) \
            cancels, \(schedules.fired.count) fired, \(schedules.uncertain.count) left unanswered by a kill
            """
    }
}

/// A line on standard output at once (`print` is block-buffered through a pipe, and a long run
/// reports its progress).
func report(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
