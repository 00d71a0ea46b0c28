import Foundation
import ProcessTesting
import Testing

/// `kill -9` of `brokerd` while a kafka-python classic group rebalances (docs/KAFKA.md, "Offsets";
/// DURABILITY.md, "Kafka committed offsets"): two members consume and commit after every poll, a
/// third joins, and the broker is killed at a seeded random moment after the join began. After the
/// restart the group's committed offsets are at least every commit that was answered (never
/// behind one), two members rejoin and each partition is consumed from its committed offset, and
/// the group commits every partition to its end. Needs python3 with kafka-python 2.x (.ci/run).
@Suite(.serialized) struct KafkaRebalanceCrashTests {
    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .appendingPathComponent("Scripts")
        .appendingPathComponent("kafka_rebalance_crash.py")
        .path
    static let partitions = 3
    static let messages = 300

    /// What `kafka_rebalance_crash.py check` prints (partitions as strings: JSON object keys).
    struct Check: Decodable {
        var before: [String: Int64?]
        var first: [String: Int64]
        var after: [String: Int64?]
        var ends: [String: Int64]
    }

    @Test(
        "kill -9 during a Kafka rebalance: committed offsets never go back, members rejoin from them",
        arguments: [1, 2, 3] as [UInt64]
    )
    func rebalanceOverKill(seed: UInt64) async throws {
        var random = SeededGenerator(seed: seed)
        let killDelayMilliseconds = Int.random(in: 0...1_500, using: &random)
        print("KafkaRebalanceCrashTests seed \(seed): kill \(killDelayMilliseconds) ms after the third member starts")
        let directory = try TemporaryDirectory()
        let progress = directory.path + "/progress"
        FileManager.default.createFile(atPath: progress, contents: nil)
        let first = try await BrokerdProcess(
            dataDirectory: directory.path + "/data",
            extraArguments: ["--kafka-listen", "127.0.0.1:0"]
        )
        let kafka = try await KafkaClients.kafkaAddress(of: first)
        try await KafkaClients.createTopic("jobs", partitions: Self.partitions, broker: first.address)
        let produced = try await KafkaClients.run(
            ["kp-produce", kafka, "jobs", "all", "\(Self.messages)"],
            as: [KafkaClients.Delivery].self
        )
        #expect(produced.allSatisfy { $0.error == nil })

        let group = ChildProcess()
        group.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        group.arguments = ["python3", Self.script, "run", kafka, "jobs", "workers", progress]
        group.standardOutput = FileHandle.nullDevice
        group.standardError = FileHandle.nullDevice
        try group.run()
        defer { group.signal(SIGKILL) }
        let deadline = Date().addingTimeInterval(90)
        while !(try Self.progressLines(progress).contains("joining")) {
            guard Date() < deadline, group.isRunning else {
                first.kill()
                throw CrashTestError("the group never started its third member: \(try Self.progressLines(progress))")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        try await Task.sleep(for: .milliseconds(killDelayMilliseconds))
        #expect(try await first.stop(signal: SIGKILL) == SIGKILL)
        group.signal(SIGKILL)
        _ = await group.waitForExit(upTo: 30)

        // Every commit answered before the kill, the highest per partition.
        var answered: [String: Int64] = [:]
        for line in try Self.progressLines(progress) where line.hasPrefix("commit ") {
            let fields = line.split(separator: " ")
            guard fields.count == 3, let offset = Int64(fields[2]) else { continue }
            answered[String(fields[1])] = max(answered[String(fields[1])] ?? 0, offset)
        }
        #expect(!answered.isEmpty, "commits were answered before the kill")
        let lines = try Self.progressLines(progress)
        let joinedAt = lines.firstIndex(of: "joining") ?? lines.count
        print(
            "KafkaRebalanceCrashTests seed \(seed): \(joinedAt) commits answered before the third member, "
                + "\(lines.count - joinedAt - 1) after; committed \(answered.sorted { $0.key < $1.key }) of \(Self.messages)"
        )

        let second = try await BrokerdProcess(
            dataDirectory: directory.path + "/data",
            extraArguments: ["--kafka-listen", "127.0.0.1:0"]
        )
        let check = try await Self.check(try await KafkaClients.kafkaAddress(of: second))
        #expect(try await second.stop() == 0)
        for partition in (0..<Self.partitions).map(String.init) {
            let committed = check.before[partition] ?? nil
            if let acknowledged = answered[partition] {
                #expect(
                    (committed ?? -1) >= acknowledged,
                    "partition \(partition): \(committed ?? -1) < \(acknowledged)"
                )
            }
            let end = try #require(check.ends[partition])
            if (committed ?? 0) < end {
                #expect(check.first[partition] == committed ?? 0, "partition \(partition) consumed from its commit")
            }
            #expect(check.after[partition] == end, "partition \(partition) committed to its end")
        }
    }

    /// Runs `kafka_rebalance_crash.py check` (bounded) and decodes what it prints.
    static func check(_ kafka: String) async throws -> Check {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, "check", kafka, "jobs", "workers", "\(partitions)"]
        let run = try await runToCompletion(process, timeoutSeconds: 150, describedAs: "kafka_rebalance_crash.py check")
        guard run.status == 0 else {
            throw CrashTestError("kafka_rebalance_crash.py check exited \(run.status): \(run.standardError)")
        }
        return try JSONDecoder().decode(Check.self, from: Data(run.standardOutput.utf8))
    }

    static func progressLines(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }
}
