import Foundation
import Testing

/// The command lines of `producer`, `consumer`, `brokerctl` and `broker-bench` against a real
/// `brokerd`: negative numbers, `--version`, `--msg-id`, duplicates, partial failures, `--json`.
@Suite("the tools' command lines", .serialized)
struct ToolSyntaxTests {
    /// Runs a tool against `broker`.
    static func run(
        _ name: String,
        _ broker: String,
        _ arguments: [String],
        input: String? = nil
    ) async throws -> ToolRun {
        try await runTool(name, arguments, input: input, environment: ["SLUICE_BROKER": broker])
    }

    /// The one error line of a failed run.
    static func errorLine(_ run: ToolRun) -> String {
        let lines = run.standardError.split(separator: "\n")
        #expect(lines.count == 1, "expected one error line: \(run.standardError)")
        return lines.first.map(String.init) ?? ""
    }

    static func jsonObject(_ text: String) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw CrashTestError("not a JSON object: \(text)")
        }
        return object
    }

    @Test("every tool answers --version")
    func versions() async throws {
        for tool in ["producer", "consumer", "brokerctl", "broker-bench"] {
            let run = try await runTool(tool, ["--version"])
            #expect(run.status == 0, "\(tool): \(run.standardError)")
            #expect(run.lines == ["0.1.0"], "\(tool): \(run.standardOutput)")
        }
    }

    @Test("negative numbers reach validation, --from -N reads the last N, an offset past the end says so")
    func negativeNumbersAndOffsets() async throws {
        let directory = try TemporaryDirectory()
        let broker = try await BrokerdProcess(dataDirectory: directory.path + "/data")
        await #expect(
            try Self.run("brokerctl", broker.address, ["topics", "create", "t", "--partitions", "1"]).status == 0
        )
        await #expect(try Self.run("producer", broker.address, ["--topic", "t", "a", "b", "c", "d"]).lines.count == 4)

        let partition = try await Self.run("producer", broker.address, ["--topic", "t", "--partition", "-1", "x"])
        #expect(partition.status != 0)
        #expect(Self.errorLine(partition) == "producer: --partition -1: partitions are numbered from 0")
        let consumerPartition = try await Self.run("consumer", broker.address, ["--topic", "t", "--partition", "-1"])
        #expect(Self.errorLine(consumerPartition) == "consumer: --partition -1: partitions are numbered from 0")

        let last = try await Self.run("consumer", broker.address, ["--topic", "t", "--from", "-2", "--until-end"])
        #expect(last.status == 0, "\(last.standardError)")
        #expect(last.lines == ["c", "d"])
        let more = try await Self.run("consumer", broker.address, ["--topic", "t", "--from", "-10", "--until-end"])
        #expect(more.lines == ["a", "b", "c", "d"])

        let past = try await Self.run("consumer", broker.address, ["--topic", "t", "--from", "100", "--until-end"])
        #expect(past.status != 0)
        #expect(Self.errorLine(past) == "consumer: --from 100 is past the end of t/0, whose next offset is 4")
        let atEnd = try await Self.run("consumer", broker.address, ["--topic", "t", "--from", "4", "--until-end"])
        #expect(atEnd.status == 0 && atEnd.lines.isEmpty, "\(atEnd.standardError)")

        let retention = try await Self.run(
            "brokerctl",
            broker.address,
            ["topics", "create", "u", "--partitions", "1", "--retention", "-1"]
        )
        #expect(retention.status != 0)
        #expect(Self.errorLine(retention).hasPrefix("brokerctl: --retention -1 is not"), "\(retention.standardError)")
        let partitions = try await Self.run(
            "brokerctl",
            broker.address,
            ["topics", "create", "u", "--partitions", "-3"]
        )
        #expect(Self.errorLine(partitions) == "brokerctl: --partitions -3: a topic has at least 1 partition")
        _ = try await broker.stop(signal: SIGTERM)
    }

    @Test("--msg-id names one message; a duplicate says of which record; a bad line says what was sent")
    func messageIDsAndPartialFailures() async throws {
        let directory = try TemporaryDirectory()
        let broker = try await BrokerdProcess(dataDirectory: directory.path + "/data")
        await #expect(
            try Self.run("brokerctl", broker.address, ["topics", "create", "t", "--partitions", "1"]).status == 0
        )

        let two = try await Self.run("producer", broker.address, ["--topic", "t", "--msg-id", "m2", "x", "y"])
        #expect(two.status != 0)
        #expect(Self.errorLine(two).contains("--msg-id names one message"), "\(two.standardError)")
        let twoLines = try await Self.run(
            "producer",
            broker.address,
            ["--topic", "t", "--msg-id", "m2"],
            input: "x\ny\n"
        )
        #expect(twoLines.status != 0)
        #expect(Self.errorLine(twoLines).contains("more than one line"), "\(twoLines.standardError)")
        await #expect(try BrokerdTests.consumeAll(broker.address, topic: "t").isEmpty, "nothing may be sent")

        let first = try await Self.run("producer", broker.address, ["--topic", "t", "--msg-id", "m3", "x"])
        #expect(first.lines == ["t/0@0"], "\(first.standardError)")
        let again = try await Self.run("producer", broker.address, ["--topic", "t", "--msg-id", "m3", "x"])
        #expect(again.status == 0)
        #expect(again.lines == ["duplicate of t/0@0"], "\(again.standardOutput)")

        let keyed = try await Self.run(
            "producer",
            broker.address,
            ["--topic", "t", "--key-separator", ":"],
            input: "k:1\nk:2\nbad\nk:4\n"
        )
        #expect(keyed.status != 0)
        #expect(keyed.lines == ["t/0@1", "t/0@2"])
        #expect(
            Self.errorLine(keyed)
                == "producer: line 3 has no key separator \":\" "
                + "(acknowledged and printed: messages 1-2; nothing after message 2 was sent)"
        )

        // A record over the broker's batch limit: the reason, without internal names.
        let large = String(repeating: "a", count: 9_000_000)
        let refused = try await Self.run("producer", broker.address, ["--topic", "t"], input: large + "\n")
        #expect(refused.status != 0)
        let line = Self.errorLine(refused)
        #expect(line.hasPrefix("producer: message 1: record batch too large: batch of "), "\(line)")
        #expect(!line.contains("batchTooLarge"), "\(line)")
        #expect(line.hasSuffix("(no message was acknowledged; not acknowledged: 1)"), "\(line)")
        _ = try await broker.stop(signal: SIGTERM)
    }

    @Test("brokerctl --json for status, topics list and describe; sizes with units")
    func brokerctlJSON() async throws {
        let directory = try TemporaryDirectory()
        let broker = try await BrokerdProcess(dataDirectory: directory.path + "/data")
        let created = try await Self.run(
            "brokerctl",
            broker.address,
            ["topics", "create", "t", "--partitions", "2", "--segment-bytes", "64MiB", "--retention-bytes", "1GiB"]
        )
        #expect(created.status == 0, "\(created.standardError)")

        let status = try await Self.jsonObject(
            try Self.run("brokerctl", broker.address, ["status", "--json"]).standardOutput
        )
        #expect(status["topics"] as? Int == 1)
        #expect(status["partitions"] as? Int == 2)
        #expect(status["broker"] as? String == broker.address)

        let list = try await Self.run("brokerctl", broker.address, ["topics", "list", "--json"])
        let topics = try JSONSerialization.jsonObject(with: Data(list.standardOutput.utf8)) as? [[String: Any]]
        #expect(topics?.count == 1)
        #expect(topics?.first?["topic"] as? String == "t")
        #expect(topics?.first?["partitions"] as? Int == 2)

        let describe = try await Self.jsonObject(
            try Self.run("brokerctl", broker.address, ["topics", "describe", "t", "--json"]).standardOutput
        )
        #expect(describe["segment_bytes"] as? Int == 64 << 20)
        #expect(describe["retention_bytes"] as? Int == 1 << 30)
        let partitions = describe["partitions"] as? [[String: Any]]
        #expect(partitions?.map { $0["partition"] as? Int } == [0, 1])
        #expect(partitions?.first?["end_offset"] as? Int == 0)
        _ = try await broker.stop(signal: SIGTERM)
    }

    @Test("broker-bench consume --json is a flag, and topping the topic up is announced")
    func brokerBenchJSON() async throws {
        let directory = try TemporaryDirectory()
        let broker = try await BrokerdProcess(dataDirectory: directory.path + "/data")
        let run = try await runTool(
            "broker-bench",
            ["consume", "--broker", broker.address, "--topic", "b", "--count", "100", "--json"]
        )
        #expect(run.status == 0, "\(run.standardError)")
        #expect(try Self.jsonObject(run.standardOutput).isEmpty == false)
        #expect(
            run.standardError.contains("topic b holds 0 of the 100 messages to read: producing 100 first"),
            "\(run.standardError)"
        )
        _ = try await broker.stop(signal: SIGTERM)
    }
}
