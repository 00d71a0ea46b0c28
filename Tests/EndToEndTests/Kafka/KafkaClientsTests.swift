import Foundation
import Testing

/// Unmodified Kafka clients against `brokerd --kafka-listen`: kafka-python 2.x and
/// confluent-kafka 2.x (librdkafka) produce and consume, and what they write is what Sluice's own
/// tools read, and the other way round. Needs python3 with both packages (.ci/run installs them).
@Suite(.serialized) struct KafkaClientsTests {
    static func withBroker(_ body: (_ native: String, _ kafka: String) async throws -> Void) async throws {
        let directory = try TemporaryDirectory()
        let broker = try await BrokerdProcess(
            dataDirectory: directory.path + "/data",
            extraArguments: ["--kafka-listen", "127.0.0.1:0"]
        )
        try await body(broker.address, try await KafkaClients.kafkaAddress(of: broker))
        #expect(try await broker.stop() == 0)
    }

    @Test(arguments: ["0", "1", "all"])
    func kafkaPythonProducesAndSluiceReadsTheSameRecords(acks: String) async throws {
        try await Self.withBroker { native, kafka in
            let topic = "kp-acks-\(acks)"
            try await KafkaClients.createTopic(topic, partitions: 3, broker: native)
            let deliveries = try await KafkaClients.run(
                ["kp-produce", kafka, topic, acks, "8"],
                as: [KafkaClients.Delivery].self
            )
            #expect(deliveries.count == 8)
            for (i, delivery) in deliveries.enumerated() {
                // kafka-python's default partitioner is murmur2, as Sluice's.
                #expect(delivery.partition == KafkaClients.murmur2Partition(i, partitionCount: 3))
                #expect(acks == "0" ? delivery.offset == -1 : delivery.offset >= 0)
            }
            let read = try await KafkaClients.sluiceMessages(broker: native, topic: topic, count: 8)
            let expected = deliveries.enumerated().map { i, delivery in
                KafkaClients.sent(i, partition: delivery.partition, offset: delivery.offset)
            }
            if acks == "0" {
                // No offsets come back with acks 0: compare everything else.
                let withoutOffsets = { (m: KafkaClients.Message) in
                    [m.key, m.value, "\(m.partition)", "\(m.timestamp)"]
                }
                #expect(Set(read.map(withoutOffsets)) == Set(expected.map(withoutOffsets)))
                #expect(read.allSatisfy { $0.headers.count == 1 })
            } else {
                let sorted = expected.sorted { ($0.partition, $0.offset) < ($1.partition, $1.offset) }
                #expect(read == sorted)
            }
        }
    }

    @Test func sluiceKeysLandOnKafkaPythonsPartitionsAndKafkaPythonReadsSluicesRecords() async throws {
        try await Self.withBroker { native, kafka in
            try await KafkaClients.createTopic("mixed", partitions: 4, broker: native)
            // Sluice's producer, keyed: the same partition kafka-python's murmur2 picks.
            for i in 0..<6 {
                let run = try await runTool(
                    "producer",
                    ["--broker", native, "--topic", "mixed", "--key", "key-\(i)", "--header", "h=\(i)", "value-\(i)"]
                )
                #expect(run.status == 0, "\(run.standardError)")
                let partition = KafkaClients.murmur2Partition(i, partitionCount: 4)
                #expect(run.standardOutput.hasPrefix("mixed/\(partition)@"), "\(run.standardOutput)")
            }
            let byKafkaPython = try await KafkaClients.run(
                ["kp-consume", kafka, "mixed", "6"],
                as: [KafkaClients.Message].self
            )
            let bySluice = try await KafkaClients.sluiceMessages(broker: native, topic: "mixed", count: 6)
            let sortedKafka = byKafkaPython.sorted { ($0.partition, $0.offset) < ($1.partition, $1.offset) }
            // Key, value, headers, timestamp, partition and offset: the same record both ways.
            #expect(sortedKafka == bySluice)
            #expect(Set(bySluice.compactMap(\.value)) == Set((0..<6).map { "value-\($0)" }))
        }
    }

    @Test func confluentKafkaProducesIdempotentlyWithMurmur2AndConsumesWithAssign() async throws {
        try await Self.withBroker { native, kafka in
            try await KafkaClients.createTopic("ck", partitions: 3, broker: native)
            let deliveries = try await KafkaClients.run(
                ["ck-produce", kafka, "ck", "10"],
                as: [KafkaClients.Delivery].self
            )
            #expect(deliveries.count == 10)
            for (i, delivery) in deliveries.enumerated() {
                #expect(delivery.error == nil)
                #expect(delivery.partition == KafkaClients.murmur2Partition(i, partitionCount: 3))
            }
            let expected = deliveries.enumerated().map { i, delivery in
                KafkaClients.sent(i, partition: delivery.partition, offset: delivery.offset)
            }.sorted { ($0.partition, $0.offset) < ($1.partition, $1.offset) }
            let bySluice = try await KafkaClients.sluiceMessages(broker: native, topic: "ck", count: 10)
            #expect(bySluice == expected)
            let byConfluent = try await KafkaClients.run(
                ["ck-consume", kafka, "ck", "10"],
                as: [KafkaClients.Message].self
            )
            #expect(byConfluent.sorted { ($0.partition, $0.offset) < ($1.partition, $1.offset) } == expected)
        }
    }

    /// brokerd as uid 65534 (its Kafka listener, auto-created topic and logs); the client runs as
    /// the test's user, whose Python installation uid 65534 may not be able to read.
    @Test func kafkaPythonGzipBatchesAreStoredAndReadBySluice() async throws {
        try await Self.withBroker { native, kafka in
            try await KafkaClients.createTopic("zipped", partitions: 2, broker: native)
            let deliveries = try await KafkaClients.run(
                ["kp-produce", kafka, "zipped", "all", "40", "gzip"],
                as: [KafkaClients.Delivery].self
            )
            #expect(deliveries.count == 40)
            let read = try await KafkaClients.sluiceMessages(broker: native, topic: "zipped", count: 40)
            let expected = deliveries.enumerated().map { i, delivery in
                KafkaClients.sent(i, partition: delivery.partition, offset: delivery.offset)
            }
            #expect(read == expected.sorted { ($0.partition, $0.offset) < ($1.partition, $1.offset) })
        }
    }

    /// A consumer group of `client` (kp or ck) reads what was produced, commits, and a new
    /// consumer of the group continues after the committed offsets; brokerctl shows the group.
    @Test(arguments: ["kp", "ck"])
    func aGroupConsumerCommitsAndTheNextOneContinuesFromItsOffsets(client: String) async throws {
        try await Self.withBroker { native, kafka in
            let topic = "grouped-\(client)"
            try await KafkaClients.createTopic(topic, partitions: 3, broker: native)
            _ = try await KafkaClients.run(["kp-produce", kafka, topic, "all", "12"], as: [KafkaClients.Delivery].self)
            let first = try await KafkaClients.run(
                ["\(client)-group", kafka, topic, "billing", "12"],
                as: [KafkaClients.Message].self
            )
            #expect(Set(first.map(\.value)) == Set((0..<12).map { "value-\($0)" }))
            // Six more; the group's next consumer reads only those.
            _ = try await KafkaClients.run(["kp-produce", kafka, topic, "all", "18"], as: [KafkaClients.Delivery].self)
            let second = try await KafkaClients.run(
                ["\(client)-group", kafka, topic, "billing", "18"],
                as: [KafkaClients.Message].self
            )
            let seen = Set(first.map { "\($0.partition)/\($0.offset)" })
            #expect(second.count == 18, "the second consumer reads the 18 of the second produce")
            #expect(
                second.allSatisfy { !seen.contains("\($0.partition)/\($0.offset)") },
                "nothing committed is read again"
            )
            let described = try await runTool("brokerctl", ["--broker", native, "groups", "describe", "billing"])
            #expect(described.status == 0)
            #expect(described.standardOutput.contains("kafka"), "brokerctl describe: \(described.standardOutput)")
        }
    }

    /// What kp-rebalance reports: partitions owned by each consumer at each step.
    struct Rebalance: Decodable {
        var alone: [Int32]
        var first: [Int32]
        var second: [Int32]
        var after_leave: [Int32]
    }

    @Test func aSecondMemberJoiningAndLeavingRebalancesTheGroup() async throws {
        try await Self.withBroker { native, kafka in
            try await KafkaClients.createTopic("rebalanced", partitions: 4, broker: native)
            let report = try await KafkaClients.run(
                ["kp-rebalance", kafka, "rebalanced", "shared"],
                as: Rebalance.self
            )
            #expect(report.alone == [0, 1, 2, 3])
            #expect(!report.first.isEmpty && !report.second.isEmpty)
            #expect(Set(report.first).isDisjoint(with: report.second))
            #expect((report.first + report.second).sorted() == [0, 1, 2, 3])
            #expect(report.after_leave == [0, 1, 2, 3])
        }
    }

    /// What kafka-python's admin client reports.
    struct AdminReport: Decodable {
        var created: [[Value]]
        var configs: [String: String]
        var listed: Bool
        var after_delete: Bool

        enum Value: Decodable, Equatable {
            case text(String)
            case number(Int)

            init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let number = try? container.decode(Int.self) {
                    self = .number(number)
                } else {
                    self = .text(try container.decode(String.self))
                }
            }
        }
    }

    @Test func kafkaPythonAdminCreatesDescribesAndDeletesATopic() async throws {
        try await Self.withBroker { native, kafka in
            let report = try await KafkaClients.run(["kp-admin", kafka, "admin-made", "4"], as: AdminReport.self)
            #expect(report.created == [[.text("admin-made"), .number(0)]])
            #expect(report.configs["retention.ms"] == "3600000")
            #expect(report.configs["cleanup.policy"] == "delete")
            #expect(report.listed)
            #expect(!report.after_delete)
        }
    }

    @Test func kafkaPythonAgainstAnUnprivilegedBroker() async throws {
        guard Unprivileged.isAvailable else {
            print(Unprivileged.unavailableReason)
            return
        }
        let directory = try Unprivileged.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let broker = try await unprivilegedBrokerd(
            dataDirectory: directory + "/data",
            extraArguments: ["--kafka-listen", "127.0.0.1:0", "--auto-create-topics"]
        )
        let kafka = try await KafkaClients.kafkaAddress(of: broker)
        let deliveries = try await KafkaClients.run(
            ["kp-produce", kafka, "plain", "1", "3"],
            as: [KafkaClients.Delivery].self
        )
        #expect(deliveries.map(\.offset) == [0, 1, 2])
        let read = try await KafkaClients.run(
            ["kp-consume", kafka, "plain", "3"],
            as: [KafkaClients.Message].self
        )
        #expect(read == (0..<3).map { KafkaClients.sent($0, partition: 0, offset: Int64($0)) })
        #expect(try await broker.stop() == 0)
    }
}
