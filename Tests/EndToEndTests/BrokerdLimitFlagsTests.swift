import BrokerClient
import Foundation
import Testing

/// `brokerd`'s flags for the group, fetch, id and Kafka limits: a broker started with a small
/// value refuses at that value with the limit named; a value that is not positive stops the start
/// with a one-line error naming the flag and exit status 64.
@Suite("brokerd limit flags", .serialized)
struct BrokerdLimitFlagsTests {
    static let positiveFlags = [
        "--max-groups", "--max-members-per-group", "--max-subscriptions-per-connection", "--max-credits-per-member",
        "--max-fetch-bytes",
        "--max-fetch-wait-ms", "--max-decompressed-batch-bytes", "--max-message-id-bytes",
        "--max-message-id-bytes-per-partition", "--max-producers-per-partition", "--max-schedule-id-bytes",
        "--kafka-max-groups", "--kafka-max-members-per-group", "--kafka-max-member-metadata-bytes",
        "--kafka-max-offset-groups", "--kafka-max-committed-partitions-per-group",
    ]

    @Test("0, -1 and a word are refused at start-up with the flag named and status 64", arguments: positiveFlags)
    func badValues(_ flag: String) async throws {
        let directory = try TemporaryDirectory()
        for value in ["0", "-1", "many"] {
            let run = try await runTool(
                "brokerd",
                [
                    "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--data-dir", directory.path + "/d",
                    flag, value,
                ]
            )
            #expect(run.status == 64, "\(flag) \(value): \(run.standardError)")
            let expected = value == "many" ? "invalid for '\(flag)" : "\(flag) must be positive, got \(value)"
            #expect(run.standardError.contains(expected), "\(flag) \(value): \(run.standardError)")
            #expect(!FileManager.default.fileExists(atPath: directory.path + "/d"), "\(flag) \(value) touched the disk")
        }
    }

    @Test(
        "a fetch limit not below the frame limit, a wait past 32 bits or a retention out of range is refused at start-up"
    )
    func crossChecks() async throws {
        let directory = try TemporaryDirectory()
        for (arguments, message) in [
            (["--max-fetch-bytes", "16777216"], "--max-fetch-bytes must be below --max-frame-bytes"),
            (["--max-fetch-wait-ms", "4294967296"], "--max-fetch-wait-ms must be at most 4294967295"),
            (["--schedule-fired-id-retention", "999ms"], "--schedule-fired-id-retention must be "),
            (["--kafka-max-offset-groups", "1000001"], "--kafka-max-offset-groups must be from 1 to 1000000"),
            (["--kafka-max-offset-metadata-bytes", "-1"], "--kafka-max-offset-metadata-bytes must be from 0 to "),
            (["--schedule-fired-id-retention", "366d"], "from 1s to 365d, got '366d'"),
            (["--schedule-fired-id-retention", "soon"], "a number and a unit"),
        ] {
            let run = try await runTool(
                "brokerd",
                ["--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--data-dir", directory.path + "/d"]
                    + arguments
            )
            #expect(run.status == 64, "\(arguments): \(run.standardError)")
            #expect(run.standardError.contains(message), "\(arguments): \(run.standardError)")
        }
    }

    /// A value for every limit flag, none the default (the descriptor budget keeps the ones given).
    static let everyLimit: [(flag: String, value: String)] = [
        ("--max-connections", "51"), ("--max-topics", "41"), ("--max-partitions-total", "61"),
        ("--max-partitions", "7"), ("--max-frame-bytes", "3000000"), ("--max-message-bytes", "2000000"),
        ("--max-in-flight-bytes", "9000000"), ("--max-in-flight-requests", "33"),
        ("--max-entries-per-request", "444"), ("--min-segment-bytes", "65536"), ("--max-groups", "12"),
        ("--max-members-per-group", "13"), ("--max-subscriptions-per-connection", "14"),
        ("--max-credits-per-member", "15000"),
        ("--max-fetch-bytes", "1500000"), ("--max-fetch-wait-ms", "1600"),
        ("--max-decompressed-batch-bytes", "1700000"), ("--max-message-id-bytes", "18"),
        ("--max-message-id-bytes-per-partition", "190000"), ("--max-producers-per-partition", "20"),
        ("--max-schedule-id-bytes", "21"), ("--max-pending-schedules", "2200"), ("--idle-timeout-ms", "23000"),
        ("--frame-timeout-ms", "24000"), ("--schedule-fired-id-retention", "2h"), ("--kafka-max-groups", "25"),
        ("--kafka-max-members-per-group", "26"),
        ("--kafka-max-member-metadata-bytes", "2700"), ("--kafka-max-offset-groups", "28"),
        ("--kafka-max-committed-partitions-per-group", "29"), ("--kafka-max-offset-metadata-bytes", "0"),
    ]

    @Test("every limit flag reaches the broker: the start-up line \"limits in force\" has each value given")
    func limitsInForce() async throws {
        let directory = try TemporaryDirectory()
        let broker = try await BrokerdProcess(
            dataDirectory: directory.path + "/data",
            extraArguments: ["--kafka-listen", "127.0.0.1:0"] + Self.everyLimit.flatMap { [$0.flag, $0.value] }
        )
        defer { broker.kill() }
        let line = try #require(
            broker.logText.split(separator: "\n").first { $0.contains("limits in force") },
            "\(broker.logText)"
        )
        for (flag, value) in Self.everyLimit {
            #expect(line.contains(" \(flag.dropFirst(2))=\(value) "), "\(flag) \(value) is not in force: \(line)")
        }
        // Without a Kafka listener there are no Kafka limits to report.
        let plain = try await BrokerdProcess(dataDirectory: directory.path + "/plain")
        defer { plain.kill() }
        let plainLine = try #require(plain.logText.split(separator: "\n").first { $0.contains("limits in force") })
        #expect(plainLine.contains(" max-groups=10000 "), "the default: \(plainLine)")
        #expect(!plainLine.contains("kafka-max"), "\(plainLine)")
    }

    @Test("--max-groups 1: a second group is refused, naming maxGroups")
    func maxGroups() async throws {
        try await withLimitedBroker(["--max-groups", "1"]) { _, connection in
            #expect(try await join(connection, group: "first") == nil)
            let refused = try #require(try await join(connection, group: "second"))
            #expect(refused.contains("maxGroups"), "\(refused)")
        }
    }

    @Test("--max-members-per-group 1: a second member is refused, naming maxMembersPerGroup")
    func maxMembersPerGroup() async throws {
        try await withLimitedBroker(["--max-members-per-group", "1"]) { _, connection in
            #expect(try await join(connection, group: "workers") == nil)
            let other = BrokerConnection(address: connection.address)
            let refused = try await join(other, group: "workers")
            #expect(refused?.contains("maxMembersPerGroup") == true, "\(String(describing: refused))")
            await other.close()
        }
    }

    @Test("--max-subscriptions-per-connection 1: a second subscription on a connection is refused, naming the limit")
    func maxSubscriptionsPerConnection() async throws {
        try await withLimitedBroker(["--max-subscriptions-per-connection", "1"]) { _, connection in
            #expect(try await join(connection, group: "first") == nil)
            let refused = try #require(try await join(connection, group: "second"))
            #expect(refused.contains("maxSubscriptionsPerConnection"), "\(refused)")
            // Another connection may still subscribe.
            let other = BrokerConnection(address: connection.address)
            #expect(try await join(other, group: "second") == nil)
            await other.close()
        }
    }

    @Test("--max-schedule-id-bytes 4 and --max-message-id-bytes 4: ids of 4 bytes pass, of 5 are refused")
    func idLengths() async throws {
        try await withLimitedBroker(["--max-schedule-id-bytes", "4", "--max-message-id-bytes", "4"]) { broker, _ in
            func produce(_ arguments: [String]) async throws -> ToolRun {
                try await runTool("producer", ["--broker", broker.address, "--topic", "limited"] + arguments + ["v"])
            }
            await #expect(try produce(["--delay", "1h", "--schedule-id", "abcd"]).status == 0)
            let longSchedule = try await produce(["--delay", "1h", "--schedule-id", "abcde"])
            #expect(longSchedule.status != 0)
            #expect(longSchedule.standardError.contains("1 to 4 bytes"), "\(longSchedule.standardError)")
            await #expect(try produce(["--msg-id", "abcd"]).status == 0)
            let longID = try await produce(["--msg-id", "abcde"])
            #expect(longID.status != 0)
            #expect(longID.standardError.contains("maxMessageIDBytes"), "\(longID.standardError)")
        }
    }

    @Test("--max-decompressed-batch-bytes 4096: a gzip batch inflating past it is refused, a small one is taken")
    func decompressedBatchBytes() async throws {
        try await withLimitedBroker(["--max-decompressed-batch-bytes", "4096"]) { broker, _ in
            func produce(_ value: String) async throws -> ToolRun {
                try await runTool(
                    "producer",
                    ["--broker", broker.address, "--topic", "limited", "--compression", "gzip", value]
                )
            }
            await #expect(try produce("small").status == 0)
            // 8 KiB of one letter: a few dozen bytes compressed, twice the limit inflated.
            let large = try await produce(String(repeating: "a", count: 8192))
            #expect(large.status != 0)
            #expect(
                large.standardError.contains("more than 4096 bytes (maxDecompressedBatchBytes)"),
                "\(large.standardError)"
            )
        }
    }

    /// Runs `body` against a `brokerd` started with `arguments` whose topic `limited` holds one message.
    private func withLimitedBroker(
        _ arguments: [String],
        _ body: (BrokerdProcess, BrokerConnection) async throws -> Void
    ) async throws {
        let directory = try TemporaryDirectory()
        let broker = try await BrokerdProcess(dataDirectory: directory.path + "/data", extraArguments: arguments)
        defer { broker.kill() }
        let created = try await runTool(
            "brokerctl",
            ["--broker", broker.address, "topics", "create", "limited", "--partitions", "1"]
        )
        try #require(created.status == 0, "\(created.standardError)")
        let produced = try await runTool("producer", ["--broker", broker.address, "--topic", "limited", "one"])
        try #require(produced.status == 0, "\(produced.standardError)")
        let port = try #require(Int(broker.address.split(separator: ":").last ?? ""))
        let connection = BrokerConnection(address: BrokerAddress(host: "127.0.0.1", port: port))
        try await body(broker, connection)
        await connection.close()
    }

    /// Joins `group` on `connection` as a member that stays: `nil` once the topic's message
    /// arrives, or the error's text if the join is refused (bounded).
    private func join(_ connection: BrokerConnection, group: String) async throws -> String? {
        var configuration = GroupConsumerConfiguration()
        configuration.startAtEarliest = true
        let consumer = GroupConsumer(
            connection: connection,
            group: group,
            topics: ["limited"],
            configuration: configuration
        )
        let messages = consumer.messages()
        let outcome = try await withTimeout(seconds: 60) { () -> String? in
            do {
                for try await _ in messages { return nil }
                return "the messages ended"
            } catch {
                return "\(error)"
            }
        }
        Self.members.append((consumer, messages))
        return outcome
    }

    /// Members kept joined until the process ends (a test's members must outlive `join`).
    nonisolated(unsafe) private static var members: [(GroupConsumer, AsyncThrowingStream<GroupMessage, any Error>)] = []
}
