import NIOCore
import Testing

@testable import KafkaProtocol

@Suite struct KafkaFetchCodecTests {
    static func request(version: Int16) -> KafkaFetchRequest {
        KafkaFetchRequest(
            maxWaitMs: 500,
            minBytes: 1,
            maxBytes: 52_428_800,
            isolationLevel: 1,
            sessionID: version >= 7 ? 17 : 0,
            sessionEpoch: version >= 7 ? 3 : -1,
            topics: [
                KafkaFetchRequest.Topic(
                    name: "orders",
                    partitions: [
                        KafkaFetchRequest.Partition(
                            partitionIndex: 0,
                            currentLeaderEpoch: version >= 9 ? 2 : -1,
                            fetchOffset: 1_000,
                            logStartOffset: version >= 5 ? 0 : -1,
                            partitionMaxBytes: 1_048_576
                        ),
                        KafkaFetchRequest.Partition(partitionIndex: 1, fetchOffset: 0, partitionMaxBytes: 1),
                    ]
                )
            ],
            forgottenTopics: version >= 7 ? [.init(name: "old", partitions: [4, 5])] : [],
            rackID: version >= 11 ? "rack-a" : ""
        )
    }

    static func response(version: Int16) -> KafkaFetchResponse {
        KafkaFetchResponse(
            throttleTimeMs: 3,
            errorCode: version >= 7 ? .fetchSessionIDNotFound : .none,
            sessionID: version >= 7 ? 17 : 0,
            topics: [
                KafkaFetchResponse.Topic(
                    name: "orders",
                    partitions: [
                        KafkaFetchResponse.Partition(
                            partitionIndex: 0,
                            highWatermark: 1_200,
                            lastStableOffset: 1_200,
                            logStartOffset: version >= 5 ? 10 : -1,
                            abortedTransactions: [.init(producerID: 9, firstOffset: 1_100)],
                            preferredReadReplica: version >= 11 ? 1 : -1,
                            records: ByteBuffer(bytes: [0xAB, 0xCD, 0xEF])
                        ),
                        KafkaFetchResponse.Partition(
                            partitionIndex: 1,
                            errorCode: .offsetOutOfRange,
                            highWatermark: -1,
                            records: nil
                        ),
                    ]
                )
            ]
        )
    }

    @Test(arguments: supportedVersions(.fetch))
    func requestRoundTrips(version: Int16) throws {
        let extract: (KafkaRequest.Body) -> KafkaFetchRequest? = { if case .fetch(let r) = $0 { r } else { nil } }
        try checkRequest(Self.request(version: version), version: version, extract: extract)
        try checkRequest(KafkaFetchRequest(maxWaitMs: 0, minBytes: 0, topics: []), version: version, extract: extract)
    }

    @Test(arguments: supportedVersions(.fetch))
    func responseRoundTrips(version: Int16) throws {
        try checkResponse(Self.response(version: version), version: version)
        try checkResponse(KafkaFetchResponse(topics: []), version: version)
    }

    @Test func v4PartitionsAreNotRejectedByTheV5MinimumSize() throws {
        // Eight v4 partitions of 30 bytes each: a minimum of 38 bytes would wrongly refuse them.
        let partitions = (0..<8).map {
            KafkaFetchResponse.Partition(partitionIndex: Int32($0), highWatermark: 0, records: nil)
        }
        try checkResponse(KafkaFetchResponse(topics: [.init(name: "t", partitions: partitions)]), version: 4)
    }

    @Test func hostileInputThrows() {
        // v4 header fields, then 2^31-1 topics with 4 bytes left.
        let fixed: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 1, 0xF4, 0, 0, 0, 1, 0, 0x10, 0, 0, 0]
        let topics = bodyDecodingError(
            KafkaFetchRequest.self,
            version: 4,
            fixed + [0x7F, 0xFF, 0xFF, 0xFF, 0, 1, 0x74, 0]
        )
        #expect(topics?.field == "FetchRequest.Topics")
        // v7: forgotten topics with 2^31-1 partitions.
        let v7 =
            fixed + [0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF] + [0, 0, 0, 0] + [
                0, 0, 0, 1, 0, 1, 0x74, 0x7F, 0xFF, 0xFF, 0xFF,
            ]
        let forgotten = bodyDecodingError(KafkaFetchRequest.self, version: 7, v7)
        #expect(forgotten?.field == "FetchRequest.ForgottenTopicsData.Partitions")
        // A response whose records announce more bytes than are left.
        var body = ByteBuffer()
        body.writeBytes([0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0x74, 0, 0, 0, 1])  // throttle, 1 topic "t", 1 partition
        body.writeBytes([UInt8](repeating: 0, count: 4 + 2 + 8 + 8 + 8))  // index, error, offsets
        body.writeBytes([0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x10, 0x00, 0x00, 1, 2])  // no aborted, 1 MiB records
        var reader = KafkaReader(body)
        let error = #expect(throws: KafkaDecodingError.self) { try KafkaFetchResponse(from: &reader, version: 5) }
        #expect(error?.field == "FetchResponse.Responses.Partitions.Records")
    }
}
