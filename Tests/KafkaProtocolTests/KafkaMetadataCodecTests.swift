import NIOCore
import Testing

@testable import KafkaProtocol

@Suite struct KafkaMetadataCodecTests {
    static func request(version: Int16, topics: [String]?) -> KafkaMetadataRequest {
        KafkaMetadataRequest(
            topics: topics,
            allowAutoTopicCreation: version >= 4 ? false : true,
            includeClusterAuthorizedOperations: version >= 8,
            includeTopicAuthorizedOperations: version >= 8
        )
    }

    static func response(version: Int16) -> KafkaMetadataResponse {
        let partitions = [
            KafkaMetadataResponse.Partition(
                partitionIndex: 0,
                leaderID: 1,
                leaderEpoch: version >= 7 ? 4 : -1,
                replicaNodes: [1],
                isrNodes: [1],
                offlineReplicas: version >= 5 ? [2] : []
            ),
            KafkaMetadataResponse.Partition(
                errorCode: .leaderNotAvailable,
                partitionIndex: 1,
                leaderID: -1,
                replicaNodes: [],
                isrNodes: []
            ),
        ]
        return KafkaMetadataResponse(
            throttleTimeMs: version >= 3 ? 5 : 0,
            brokers: [
                KafkaMetadataResponse.Broker(nodeID: 1, host: "127.0.0.1", port: 9092, rack: version >= 1 ? "r1" : nil)
            ],
            clusterID: version >= 2 ? "sluice" : nil,
            controllerID: version >= 1 ? 1 : -1,
            topics: [
                KafkaMetadataResponse.Topic(
                    name: "orders",
                    isInternal: version >= 1,
                    partitions: partitions,
                    topicAuthorizedOperations: version >= 8 ? 0x0F : Int32.min
                ),
                KafkaMetadataResponse.Topic(errorCode: .unknownTopicOrPartition, name: "missing", partitions: []),
            ],
            clusterAuthorizedOperations: version >= 8 ? 3 : Int32.min
        )
    }

    @Test(arguments: supportedVersions(.metadata))
    func requestRoundTrips(version: Int16) throws {
        let extract: (KafkaRequest.Body) -> KafkaMetadataRequest? = {
            if case .metadata(let r) = $0 { r } else { nil }
        }
        try checkRequest(
            Self.request(version: version, topics: ["orders", "payments"]),
            version: version,
            extract: extract
        )
        try checkRequest(Self.request(version: version, topics: nil), version: version, extract: extract)
        if version >= 1 {
            // An empty list means "no topics" from v1 (in v0 it means all topics).
            try checkRequest(Self.request(version: version, topics: []), version: version, extract: extract)
        }
    }

    @Test func allTopicsIsAnEmptyArrayInV0AndNullFromV1() throws {
        var v0 = ByteBuffer()
        KafkaMetadataRequest(topics: nil).encode(into: &v0, version: 0)
        #expect(bytes(v0) == [0, 0, 0, 0])
        var reader = KafkaReader(v0)
        #expect(try KafkaMetadataRequest(from: &reader, version: 0).topics == nil)
        var v1 = ByteBuffer()
        KafkaMetadataRequest(topics: nil).encode(into: &v1, version: 1)
        #expect(bytes(v1) == [0xFF, 0xFF, 0xFF, 0xFF])
    }

    @Test func requestGoldenBytesV1() throws {
        // Size 19; header v1: key 3, version 1, correlation 7, client id "k"; topics ["ab"].
        let golden: [UInt8] = [
            0, 0, 0, 19,
            0x00, 0x03, 0x00, 0x01, 0, 0, 0, 7, 0x00, 0x01, 0x6B,
            0, 0, 0, 1, 0x00, 0x02, 0x61, 0x62,
        ]
        let request = KafkaMetadataRequest(topics: ["ab"])
        #expect(bytes(request.encodeFrame(version: 1, correlationID: 7, clientID: "k")) == golden)
        let decoded = try KafkaRequest.decode(frame: buffer(Array(golden.dropFirst(4))))
        #expect(decoded.header == KafkaRequestHeader(apiKey: .metadata, apiVersion: 1, correlationID: 7, clientID: "k"))
        #expect(decoded.body == .metadata(request))
    }

    @Test(arguments: supportedVersions(.metadata))
    func responseRoundTrips(version: Int16) throws {
        try checkResponse(Self.response(version: version), version: version)
        try checkResponse(KafkaMetadataResponse(brokers: [], topics: []), version: version)
    }

    @Test func hostileInputThrows() {
        // 2^31-1 topics with 4 bytes left.
        let topics = bodyDecodingError(KafkaMetadataRequest.self, version: 1, [0x7F, 0xFF, 0xFF, 0xFF, 0, 1, 0x61, 0])
        #expect(topics?.field == "MetadataRequest.Topics")
        #expect(topics?.code == .invalidLength)
        // A topic name longer than what is left.
        let name = bodyDecodingError(KafkaMetadataRequest.self, version: 1, [0, 0, 0, 1, 0x7F, 0xFF, 0x61])
        #expect(name?.field == "MetadataRequest.Topics.Name")
        // Null topics in v0, where the array is not nullable.
        #expect(
            bodyDecodingError(KafkaMetadataRequest.self, version: 0, [0xFF, 0xFF, 0xFF, 0xFF])?.code == .invalidLength
        )
        // A response with 2^31-1 replica nodes.
        var body = ByteBuffer()
        body.writeBytes([0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 1])  // no brokers, controller -1, 1 topic
        body.writeBytes([0, 0, 0, 1, 0x74, 0])  // error, name "t", not internal
        body.writeBytes([0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])  // 1 partition: error, index, leader
        body.writeBytes([0x7F, 0xFF, 0xFF, 0xFF, 0, 0, 0, 1])
        var reader = KafkaReader(body)
        let error = #expect(throws: KafkaDecodingError.self) { try KafkaMetadataResponse(from: &reader, version: 1) }
        #expect(error?.field == "MetadataResponse.Topics.Partitions.ReplicaNodes")
    }
}
