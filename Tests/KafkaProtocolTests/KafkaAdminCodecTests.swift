import NIOCore
import Testing

@testable import KafkaProtocol

/// CreateTopics, DeleteTopics and DescribeConfigs: every version round-trips, every truncation throws, hostile
/// counts throw before allocating.
@Suite struct KafkaAdminCodecTests {
    @Test(arguments: KafkaCreateTopicsRequest.versions)
    func createTopics(version: Int16) throws {
        try checkCodecRequest(
            KafkaCreateTopicsRequest(
                topics: [
                    .init(
                        name: "orders",
                        numPartitions: 3,
                        replicationFactor: 1,
                        configs: [
                            .init(name: "retention.ms", value: "60000"), .init(name: "cleanup.policy", value: nil),
                        ]
                    ),
                    .init(
                        name: "placed",
                        numPartitions: -1,
                        replicationFactor: -1,
                        assignments: [
                            .init(partitionIndex: 0, brokerIDs: [0]), .init(partitionIndex: 1, brokerIDs: []),
                        ]
                    ),
                ],
                timeoutMs: 30_000,
                validateOnly: version >= 1
            ),
            version: version
        )
        try checkResponse(
            KafkaCreateTopicsResponse(
                throttleTimeMs: version >= 2 ? 1 : 0,
                topics: [
                    .init(name: "orders"),
                    .init(
                        name: "dup",
                        errorCode: KafkaErrorCode(rawValue: 36),
                        errorMessage: version >= 1 ? "Topic 'dup' already exists." : nil
                    ),
                ]
            ),
            version: version
        )
    }

    @Test(arguments: KafkaDeleteTopicsRequest.versions)
    func deleteTopics(version: Int16) throws {
        try checkCodecRequest(KafkaDeleteTopicsRequest(topicNames: ["a", "b"], timeoutMs: 5_000), version: version)
        try checkCodecRequest(KafkaDeleteTopicsRequest(topicNames: [], timeoutMs: 0), version: version)
        try checkResponse(
            KafkaDeleteTopicsResponse(
                throttleTimeMs: version >= 1 ? 2 : 0,
                responses: [.init(name: "a"), .init(name: "zzz", errorCode: KafkaErrorCode(rawValue: 3))]
            ),
            version: version
        )
    }

    @Test(arguments: KafkaDescribeConfigsRequest.versions)
    func describeConfigs(version: Int16) throws {
        try checkCodecRequest(
            KafkaDescribeConfigsRequest(
                resources: [
                    .init(resourceType: 2, resourceName: "orders", configurationKeys: ["retention.ms"]),
                    .init(resourceType: 4, resourceName: "0", configurationKeys: nil),
                ],
                includeSynonyms: version >= 1
            ),
            version: version
        )
        try checkResponse(
            KafkaDescribeConfigsResponse(
                throttleTimeMs: 3,
                results: [
                    .init(
                        resourceType: 2,
                        resourceName: "orders",
                        configs: [
                            .init(
                                name: "retention.ms",
                                value: "604800000",
                                readOnly: false,
                                isDefault: version == 0,
                                configSource: version >= 1 ? 5 : -1,
                                isSensitive: false,
                                synonyms: version >= 1 ? [.init(name: "log.retention.ms", value: nil, source: 5)] : []
                            )
                        ]
                    ),
                    .init(
                        errorCode: KafkaErrorCode(rawValue: 3),
                        errorMessage: "unknown topic",
                        resourceType: 2,
                        resourceName: "gone",
                        configs: []
                    ),
                ]
            ),
            version: version
        )
    }

    @Test func describeConfigsV0CarriesIsDefaultAndV1TheSource() {
        let resources = [KafkaDescribeConfigsRequest.Resource(resourceType: 2, resourceName: "t")]
        var v0 = ByteBuffer()
        KafkaDescribeConfigsRequest(resources: resources, includeSynonyms: true).encode(into: &v0, version: 0)
        #expect(bytes(v0) == int32Bytes(1) + [2] + kafkaString("t") + int32Bytes(-1))  // no IncludeSynonyms
        let config = KafkaDescribeConfigsResponse.Config(name: "n", value: nil, isDefault: true, configSource: 5)
        var response0 = ByteBuffer()
        KafkaDescribeConfigsResponse(results: [.init(resourceType: 2, resourceName: "t", configs: [config])])
            .encode(into: &response0, version: 0)
        let head = int32Bytes(0) + int32Bytes(1) + [0, 0, 0xFF, 0xFF, 2] + kafkaString("t") + int32Bytes(1)
        #expect(bytes(response0) == head + kafkaString("n") + [0xFF, 0xFF, 0, 1, 0])
        var response1 = ByteBuffer()
        KafkaDescribeConfigsResponse(results: [.init(resourceType: 2, resourceName: "t", configs: [config])])
            .encode(into: &response1, version: 1)
        #expect(bytes(response1) == head + kafkaString("n") + [0xFF, 0xFF, 0, 5, 0] + int32Bytes(0))
    }

    @Test func hostileCountsThrowWithoutAllocating() {
        #expect(
            bodyDecodingError(KafkaCreateTopicsRequest.self, version: 4, int32Bytes(Int32.max) + [0, 0, 0, 0])?.code
                == .invalidLength
        )
        let configs = int32Bytes(1) + kafkaString("t") + int32Bytes(1) + [0, 1] + int32Bytes(0) + int32Bytes(1 << 20)
        #expect(bodyDecodingError(KafkaCreateTopicsRequest.self, version: 1, configs)?.code == .invalidLength)
        #expect(
            bodyDecodingError(KafkaDeleteTopicsRequest.self, version: 3, int32Bytes(1_000_000) + [0, 0, 0, 0])?.code
                == .invalidLength
        )
        let keys = int32Bytes(1) + [2] + kafkaString("t") + int32Bytes(Int32.max)
        #expect(bodyDecodingError(KafkaDescribeConfigsRequest.self, version: 2, keys)?.code == .invalidLength)
        let results = int32Bytes(0) + int32Bytes(500_000) + Array(repeating: 0, count: 32)
        #expect(
            decodingError(results) { try KafkaDescribeConfigsResponse(from: &$0, version: 1) }?.code == .invalidLength
        )
    }

    @Test func versionsOutsideTheCodecsRangesThrow() {
        #expect(bodyDecodingError(KafkaCreateTopicsRequest.self, version: 5, [])?.code == .invalidValue)
        #expect(bodyDecodingError(KafkaDeleteTopicsRequest.self, version: 4, [])?.code == .invalidValue)
        #expect(bodyDecodingError(KafkaDescribeConfigsRequest.self, version: 3, [])?.code == .invalidValue)
    }
}
