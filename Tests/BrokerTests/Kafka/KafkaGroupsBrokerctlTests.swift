import BrokerClient
import Foundation
import Testing

@testable import Broker

/// `brokerctl groups list / describe` (the real executables) show a Kafka group beside a Sluice
/// group: its kind, its committed offsets and lag. Kafka offsets can only be committed through the
/// Kafka listener or ``KafkaOffsetStore``, so an embedded broker writes them into a data directory
/// first; the real `brokerd` then serves that directory to the real `brokerctl`.
@Suite("brokerctl shows Kafka groups", .serialized)
struct KafkaGroupsBrokerctlTests {
    @Test("groups list has a KIND column; groups describe of a Kafka group shows committed offsets and lag")
    func listAndDescribe() async throws {
        let directory = NSTemporaryDirectory() + "sluice-kafka-brokerctl-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await BrokerServer.withServer(configuration: BrokerConfiguration(dataDirectory: directory, port: 0)) {
            server in
            let port = try #require(server.localPort)
            try await produceJobs(port: port, topic: "orders", partitions: 1, count: 10, keys: 1)
            let member = try await RawMember(port: port)
            try await member.subscribe(group: "sluice-app", topics: ["orders"])
            let offsets = try #require(try server.kafkaOffsetStore())
            let results = try await offsets.commitOffsets(
                group: "kafka-app",
                offsets: [KafkaOffsetCommit(KafkaTopicPartition(topic: "orders", partition: 0), offset: 4)]
            )
            #expect(results == [.committed])
        }
        let broker = try await BrokerdChild(dataDirectory: directory)
        defer { broker.child.kill() }
        let address = "127.0.0.1:\(broker.port)"

        let list = try await Self.brokerctl(["--broker", address, "groups", "list"])
        let rows = list.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        #expect(rows.first == ["GROUP", "KIND", "TOPICS", "MEMBERS"], "\(list)")
        #expect(
            rows.dropFirst().map { Array($0) } == [
                ["kafka-app", "kafka", "orders", "0"], ["sluice-app", "sluice", "orders", "0"],
            ],
            "\(list)"
        )
        let json = try await Self.brokerctl(["--broker", address, "groups", "list", "--json"])
        #expect(json.contains(#""kind":"kafka""#), "\(json)")

        let described = try await Self.brokerctl(["--broker", address, "groups", "describe", "kafka-app"])
        #expect(described.contains("kind: kafka"), "\(described)")
        #expect(!described.contains("ack timeout"), "a Kafka group has no Sluice settings: \(described)")
        let partitionRow = described.split(separator: "\n").first { $0.hasPrefix("orders") }
        #expect(
            partitionRow?.split(separator: " ", omittingEmptySubsequences: true) == ["orders", "0", "4", "10", "6"],
            "\(described)"
        )
        let describedJSON = try await Self.brokerctl(["--broker", address, "groups", "describe", "kafka-app", "--json"])
        #expect(describedJSON.contains(#""kind":"kafka""#) && describedJSON.contains(#""lag":6"#), "\(describedJSON)")
        let sluice = try await Self.brokerctl(["--broker", address, "groups", "describe", "sluice-app"])
        #expect(sluice.contains("kind: sluice") && sluice.contains("ack timeout"), "\(sluice)")
    }

    /// Runs the real `brokerctl` and returns its standard output, failing on a non-zero exit.
    static func brokerctl(_ arguments: [String]) async throws -> String {
        let child = try await ToolChildProcess("brokerctl", arguments)
        let output = await child.output.fileHandleForReading.readToEndOfFile()
        let status = try await child.waitForExit()
        guard status == 0 else { throw TestFailure("brokerctl \(arguments) exited \(status): \(child.standardError)") }
        return String(decoding: output, as: UTF8.self)
    }
}
