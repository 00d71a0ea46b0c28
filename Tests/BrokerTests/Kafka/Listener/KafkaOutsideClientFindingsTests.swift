import KafkaProtocol
import NIOCore
import Testing

@testable import Broker

/// One regression test per finding of `scripts/outside-kafka-client.py` (a Kafka client written from
/// docs/KAFKA.md alone; docs/FUZZING.md, "A Kafka client written from the document alone").
@Suite struct KafkaOutsideClientFindingsTests {
    /// A fetch whose byte budget the first partition used up: the partitions after it got no
    /// records (right) but a high watermark, last stable offset and log start offset of -1, and no
    /// OFFSET_OUT_OF_RANGE for an offset past their end. KAFKA.md: the high watermark is the log end.
    @Test func partitionsPastTheFetchBudgetReportTheirOffsets() async throws {
        try await withKafkaBroker { _, nativePort, kafkaPort in
            try await createTopic("budget", partitions: 3, nativePort: nativePort)
            let connection = try await KafkaTestConnection(port: kafkaPort)
            for partition: Int32 in 0..<3 {
                let produced = try await connection.call(
                    KafkaListenerProduceFetchTests.produceRequest(
                        topic: "budget",
                        partition: partition,
                        records: batchBytes(["a", "b", "c"])
                    ),
                    version: 8,
                    as: KafkaProduceResponse.self
                )
                #expect(produced.topics.first?.partitions.first?.errorCode == KafkaErrorCode.none)
            }
            let request = KafkaFetchRequest(
                maxWaitMs: 0,
                minBytes: 0,
                maxBytes: 1,
                topics: [
                    .init(
                        name: "budget",
                        partitions: [
                            .init(partitionIndex: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20),
                            .init(partitionIndex: 1, fetchOffset: 1, partitionMaxBytes: 1 << 20),
                            .init(partitionIndex: 2, fetchOffset: 9, partitionMaxBytes: 1 << 20),
                        ]
                    )
                ]
            )
            for version: Int16 in [5, 11] {
                let response = try await connection.call(request, version: version, as: KafkaFetchResponse.self)
                let partitions = try #require(response.topics.first?.partitions)
                try #require(partitions.count == 3)
                #expect(partitions[0].errorCode == KafkaErrorCode.none)
                #expect(partitions[0].records.map { $0.readableBytes > 0 } == true)
                // Past the budget: no records, but the partition's own offsets.
                #expect(partitions[1].errorCode == KafkaErrorCode.none)
                #expect(partitions[1].records.map { $0.readableBytes } ?? 0 == 0)
                #expect(partitions[1].highWatermark == 3)
                #expect(partitions[1].lastStableOffset == 3)
                #expect(partitions[1].logStartOffset == 0)
                // An offset past the end is out of range whatever the budget.
                #expect(partitions[2].errorCode == .offsetOutOfRange)
                #expect(partitions[2].highWatermark == 3)
            }
        }
    }

    /// CreateTopics with a partition count the broker does not accept: KAFKA.md says -1 means the
    /// default from v4 on and a count of 0 or below is INVALID_PARTITIONS, but v0-3 accepted -1, and a
    /// count over `maxPartitions` was INVALID_CONFIG (the native code for a bad topic setting).
    @Test(arguments: [false, true])
    func createTopicsRefusesPartitionCountsAsInvalidPartitions(validateOnly: Bool) async throws {
        try await withKafkaBroker { configuration in
            configuration.limits.maxPartitionsPerTopic = 8
        } _: { server, _, kafkaPort in
            let connection = try await KafkaTestConnection(port: kafkaPort)
            func create(_ name: String, partitions: Int32, version: Int16) async throws -> KafkaErrorCode? {
                let request = KafkaCreateTopicsRequest(
                    topics: [KafkaListenerAdminTests.topic(name, partitions: partitions, replication: -1)],
                    timeoutMs: 10_000,
                    validateOnly: validateOnly
                )
                let response = try await connection.call(request, version: version, as: KafkaCreateTopicsResponse.self)
                return response.topics.first?.errorCode
            }
            for version: Int16 in [1, 3] {
                #expect(try await create("old\(version)", partitions: -1, version: version) == .invalidPartitions)
            }
            #expect(try await create("defaulted", partitions: -1, version: 4) == KafkaErrorCode.none)
            #expect(try await create("most", partitions: 8, version: 4) == KafkaErrorCode.none)
            #expect(try await create("toomany", partitions: 9, version: 4) == .invalidPartitions)
            #expect(try await create("huge", partitions: Int32.max, version: 2) == .invalidPartitions)
            let registry = try #require(server.topicRegistry)
            #expect(registry.topic(named: "old1") == nil)
            #expect(registry.topic(named: "toomany") == nil)
            #expect((registry.topic(named: "most") != nil) == !validateOnly)
        }
    }

    /// DescribeConfigs with an empty key list: KAFKA.md says only the keys asked for are answered
    /// "when the request names some", and Kafka lists every key for an empty list as for a null one;
    /// the listener answered none.
    @Test(arguments: [Int16(0), 1, 2])
    func describeConfigsWithAnEmptyKeyListListsEveryKey(version: Int16) async throws {
        try await withKafkaBroker { _, nativePort, kafkaPort in
            try await createTopic("described", partitions: 1, nativePort: nativePort)
            let connection = try await KafkaTestConnection(port: kafkaPort)
            let response = try await connection.call(
                KafkaDescribeConfigsRequest(resources: [
                    .init(resourceType: 2, resourceName: "described", configurationKeys: nil),
                    .init(resourceType: 2, resourceName: "described", configurationKeys: []),
                    .init(resourceType: 4, resourceName: "0", configurationKeys: []),
                ]),
                version: version,
                as: KafkaDescribeConfigsResponse.self
            )
            try #require(response.results.count == 3)
            let every = Set(response.results[0].configs.map(\.name))
            #expect(every.contains("retention.ms"))
            #expect(Set(response.results[1].configs.map(\.name)) == every)
            #expect(response.results[2].configs.contains { $0.name == "message.max.bytes" })
        }
    }
}
