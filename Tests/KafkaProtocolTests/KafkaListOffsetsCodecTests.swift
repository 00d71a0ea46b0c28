import NIOCore
import Testing

@testable import KafkaProtocol

@Suite struct KafkaListOffsetsCodecTests {
    static func request(version: Int16) -> KafkaListOffsetsRequest {
        KafkaListOffsetsRequest(
            isolationLevel: version >= 2 ? 1 : 0,
            topics: [
                KafkaListOffsetsRequest.Topic(
                    name: "orders",
                    partitions: [
                        KafkaListOffsetsRequest.Partition(
                            partitionIndex: 0,
                            currentLeaderEpoch: version >= 4 ? 3 : -1,
                            timestamp: KafkaListOffsetsRequest.earliestTimestamp,
                            maxNumOffsets: version == 0 ? 5 : 1
                        ),
                        KafkaListOffsetsRequest.Partition(partitionIndex: 1, timestamp: 1_700_000_000_000),
                    ]
                )
            ]
        )
    }

    static func response(version: Int16) -> KafkaListOffsetsResponse {
        KafkaListOffsetsResponse(
            throttleTimeMs: version >= 2 ? 8 : 0,
            topics: [
                KafkaListOffsetsResponse.Topic(
                    name: "orders",
                    partitions: [
                        version == 0
                            ? KafkaListOffsetsResponse.Partition(partitionIndex: 0, oldStyleOffsets: [120, 0])
                            : KafkaListOffsetsResponse.Partition(
                                partitionIndex: 0,
                                timestamp: 1_700_000_000_000,
                                offset: 120,
                                leaderEpoch: version >= 4 ? 3 : -1
                            ),
                        KafkaListOffsetsResponse.Partition(partitionIndex: 9, errorCode: .unknownTopicOrPartition),
                    ]
                )
            ]
        )
    }

    @Test(arguments: supportedVersions(.listOffsets))
    func requestRoundTrips(version: Int16) throws {
        try checkRequest(Self.request(version: version), version: version) {
            if case .listOffsets(let r) = $0 { r } else { nil }
        }
    }

    @Test(arguments: supportedVersions(.listOffsets))
    func responseRoundTrips(version: Int16) throws {
        try checkResponse(Self.response(version: version), version: version)
    }

    @Test func v0AnswersAnArrayOfOffsetsAndV1OneOffset() {
        let v0Partition = KafkaListOffsetsResponse.Partition(partitionIndex: 0, oldStyleOffsets: [7])
        var v0 = ByteBuffer()
        KafkaListOffsetsResponse(topics: [.init(name: "t", partitions: [v0Partition])]).encode(into: &v0, version: 0)
        // 1 topic "t", 1 partition: index 0, error 0, ARRAY of 1 INT64 offset 7.
        #expect(
            bytes(v0) == [0, 0, 0, 1, 0, 1, 0x74, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
                + [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 7]
        )
        let v1Partition = KafkaListOffsetsResponse.Partition(partitionIndex: 0, timestamp: -1, offset: 7)
        var v1 = ByteBuffer()
        KafkaListOffsetsResponse(topics: [.init(name: "t", partitions: [v1Partition])]).encode(into: &v1, version: 1)
        #expect(
            bytes(v1) == [0, 0, 0, 1, 0, 1, 0x74, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
                + [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 7]
        )
    }

    @Test func hostileInputThrows() {
        // v0: 2^31-1 offsets in a response.
        var reader = KafkaReader(
            buffer([0, 0, 0, 1, 0, 1, 0x74, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x7F, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0])
        )
        let error = #expect(throws: KafkaDecodingError.self) { try KafkaListOffsetsResponse(from: &reader, version: 0) }
        #expect(error?.field == "ListOffsetsResponse.Topics.Partitions.OldStyleOffsets")
        // 2^31-1 partitions in a request.
        let partitions = bodyDecodingError(
            KafkaListOffsetsRequest.self,
            version: 1,
            [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 1, 0, 1, 0x74, 0x7F, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0]
        )
        #expect(partitions?.field == "ListOffsetsRequest.Topics.Partitions")
    }
}
