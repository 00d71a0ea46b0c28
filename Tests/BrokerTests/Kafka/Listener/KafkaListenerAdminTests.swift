import KafkaProtocol
import NIOCore
import Testing

@testable import Broker

/// CreateTopics, DeleteTopics and DescribeConfigs through the Kafka listener (what admin clients
/// send), against an embedded broker: the topics are Sluice's own.
@Suite struct KafkaListenerAdminTests {
    static func topic(
        _ name: String,
        partitions: Int32 = 3,
        replication: Int16 = 1,
        configs: [KafkaCreateTopicsRequest.Config] = [],
        assignments: [KafkaCreateTopicsRequest.Assignment] = []
    ) -> KafkaCreateTopicsRequest.Topic {
        KafkaCreateTopicsRequest.Topic(
            name: name,
            numPartitions: partitions,
            replicationFactor: replication,
            assignments: assignments,
            configs: configs
        )
    }

    @Test func createTopicsCreatesSluiceTopicsAndRefusesWhatItCannotDo() async throws {
        try await withKafkaBroker { server, _, kafkaPort in
            let connection = try await KafkaTestConnection(port: kafkaPort)
            let request = KafkaCreateTopicsRequest(
                topics: [
                    Self.topic("orders", partitions: 3, configs: [.init(name: "retention.ms", value: "3600000")]),
                    Self.topic("defaulted", partitions: -1, replication: -1),
                    Self.topic("replicated", replication: 3),
                    Self.topic("zero", partitions: 0),
                    Self.topic("compacted", configs: [.init(name: "cleanup.policy", value: "compact")]),
                    Self.topic("placed", assignments: [.init(partitionIndex: 0, brokerIDs: [0])]),
                    Self.topic("bad/name"),
                    Self.topic("twice"), Self.topic("twice"),
                ],
                timeoutMs: 10_000,
                validateOnly: false
            )
            let response = try await connection.call(request, version: 4, as: KafkaCreateTopicsResponse.self)
            let codes = Dictionary(response.topics.map { ($0.name, $0.errorCode) }, uniquingKeysWith: { a, _ in a })
            #expect(codes["orders"] == KafkaErrorCode.none)
            #expect(codes["defaulted"] == KafkaErrorCode.none)
            #expect(codes["replicated"] == .invalidReplicationFactor)
            #expect(codes["zero"] == .invalidPartitions)
            #expect(codes["compacted"] == .invalidConfig)
            #expect(codes["placed"] == .invalidRequest)
            #expect(codes["bad/name"] == .invalidTopicException)
            #expect(codes["twice"] == .invalidRequest)
            #expect(response.topics.filter { $0.errorCode != .none }.allSatisfy { $0.errorMessage?.isEmpty == false })
            let registry = try #require(server.topicRegistry)
            #expect(registry.topic(named: "orders")?.partitionCount == 3)
            #expect(registry.topic(named: "orders")?.settings.retentionMilliseconds == 3_600_000)
            #expect(registry.topic(named: "defaulted")?.partitionCount == 1)
            for refused in ["replicated", "zero", "compacted", "placed", "twice"] {
                #expect(registry.topic(named: refused) == nil, "\(refused) was created")
            }

            // Again: TOPIC_ALREADY_EXISTS. validateOnly creates nothing.
            let again = try await connection.call(
                KafkaCreateTopicsRequest(topics: [Self.topic("orders"), Self.topic("checked")], validateOnly: true),
                version: 1,
                as: KafkaCreateTopicsResponse.self
            )
            #expect(again.topics.map(\.errorCode) == [.topicAlreadyExists, .none])
            #expect(registry.topic(named: "checked") == nil)
        }
    }

    @Test func describeConfigsShowsATopicsSettingsUnderKafkaNames() async throws {
        try await withKafkaBroker { _, nativePort, kafkaPort in
            try await createTopic("events", partitions: 2, nativePort: nativePort)
            let connection = try await KafkaTestConnection(port: kafkaPort)
            let response = try await connection.call(
                KafkaDescribeConfigsRequest(resources: [
                    .init(resourceType: 2, resourceName: "events"),
                    .init(resourceType: 2, resourceName: "events", configurationKeys: ["segment.bytes"]),
                    .init(resourceType: 2, resourceName: "missing"),
                    .init(resourceType: 4, resourceName: "0"),
                    .init(resourceType: 3, resourceName: "anything"),
                ]),
                version: 2,
                as: KafkaDescribeConfigsResponse.self
            )
            #expect(response.results.count == 5)
            let all = Set(response.results[0].configs.map(\.name))
            #expect(all == ["retention.ms", "retention.bytes", "segment.bytes", "cleanup.policy", "max.message.bytes"])
            #expect(response.results[0].configs.first { $0.name == "cleanup.policy" }?.value == "delete")
            #expect(response.results[1].configs.map(\.name) == ["segment.bytes"])
            #expect(response.results[2].errorCode == .unknownTopicOrPartition)
            #expect(response.results[3].errorCode == .none)
            #expect(response.results[3].configs.contains { $0.name == "message.max.bytes" })
            #expect(response.results[4].errorCode == .invalidRequest)
        }
    }

    @Test func deleteTopicsDeletesAndAnswersUnknownForTheMissing() async throws {
        try await withKafkaBroker { server, nativePort, kafkaPort in
            try await createTopic("old", partitions: 1, nativePort: nativePort)
            let connection = try await KafkaTestConnection(port: kafkaPort)
            let response = try await connection.call(
                KafkaDeleteTopicsRequest(topicNames: ["old", "never"], timeoutMs: 10_000),
                version: 3,
                as: KafkaDeleteTopicsResponse.self
            )
            #expect(response.responses.map(\.errorCode) == [.none, .unknownTopicOrPartition])
            #expect(try #require(server.topicRegistry).topic(named: "old") == nil)
        }
    }
}
