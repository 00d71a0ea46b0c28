import NIOCore
import Testing

@testable import KafkaProtocol

/// OffsetCommit and OffsetFetch: every version round-trips (OffsetFetch 6-7 flexible), every truncation throws,
/// hostile counts throw before allocating, and OffsetCommit v2 matches bytes written from the spec.
@Suite struct KafkaOffsetCodecTests {
    static func commitRequest(_ version: Int16) -> KafkaOffsetCommitRequest {
        KafkaOffsetCommitRequest(
            groupID: "g",
            generationID: version >= 1 ? 4 : -1,
            memberID: version >= 1 ? "m-1" : "",
            groupInstanceID: version >= 7 ? "pod-1" : nil,
            retentionTimeMs: (2...4).contains(version) ? 86_400_000 : -1,
            topics: [
                .init(
                    name: "orders",
                    partitions: [
                        .init(
                            partitionIndex: 0,
                            committedOffset: 42,
                            committedLeaderEpoch: version >= 6 ? 3 : -1,
                            commitTimestamp: version == 1 ? 1_700_000_000_000 : -1,
                            committedMetadata: "meta"
                        ),
                        .init(partitionIndex: 7, committedOffset: Int64.max, committedMetadata: nil),
                    ]
                ),
                .init(name: "empty", partitions: []),
            ]
        )
    }

    @Test(arguments: KafkaOffsetCommitRequest.versions)
    func offsetCommit(version: Int16) throws {
        try checkCodecRequest(Self.commitRequest(version), version: version)
        try checkCodecRequest(KafkaOffsetCommitRequest(groupID: "g", topics: []), version: version)
        try checkResponse(
            KafkaOffsetCommitResponse(
                throttleTimeMs: version >= 3 ? 9 : 0,
                topics: [
                    .init(
                        name: "orders",
                        partitions: [
                            .init(partitionIndex: 0), .init(partitionIndex: 7, errorCode: KafkaErrorCode(rawValue: 22)),
                        ]
                    )
                ]
            ),
            version: version
        )
    }

    @Test func offsetCommitV2RequestMatchesTheSpecByteForByte() {
        let request = KafkaOffsetCommitRequest(
            groupID: "g",
            generationID: 3,
            memberID: "m",
            retentionTimeMs: -1,
            topics: [
                .init(name: "t", partitions: [.init(partitionIndex: 0, committedOffset: 42, committedMetadata: nil)])
            ]
        )
        // GroupId STRING, GenerationId INT32, MemberId STRING, RetentionTimeMs INT64,
        // Topics ARRAY [Name STRING, Partitions ARRAY [PartitionIndex INT32, CommittedOffset INT64,
        // CommittedMetadata NULLABLE_STRING]]: no leader epoch (v6+) and no commit timestamp (v1 only).
        let expected: [UInt8] =
            [0x00, 0x01, 0x67]
            + [0x00, 0x00, 0x00, 0x03]
            + [0x00, 0x01, 0x6D]
            + [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
            + [0x00, 0x00, 0x00, 0x01]
            + [0x00, 0x01, 0x74]
            + [0x00, 0x00, 0x00, 0x01]
            + [0x00, 0x00, 0x00, 0x00]
            + [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2A]
            + [0xFF, 0xFF]
        #expect(encodedBytes(request, version: 2) == expected)
        // v5 drops the retention time; v0 also the generation and member id.
        #expect(encodedBytes(request, version: 5) == Array(expected[0..<10]) + Array(expected[18...]))
        #expect(encodedBytes(request, version: 0) == Array(expected[0..<3]) + Array(expected[18...]))
    }

    @Test(arguments: KafkaOffsetFetchRequest.versions)
    func offsetFetch(version: Int16) throws {
        let topics: [KafkaOffsetFetchRequest.Topic] = [
            .init(name: "orders", partitionIndexes: [0, 1, 2]),
            .init(name: "audit", partitionIndexes: []),
        ]
        try checkCodecRequest(
            KafkaOffsetFetchRequest(groupID: "g", topics: topics, requireStable: version >= 7),
            version: version
        )
        if version >= 2 {
            try checkCodecRequest(KafkaOffsetFetchRequest(groupID: "g", topics: nil), version: version)
        }
        try checkResponse(
            KafkaOffsetFetchResponse(
                throttleTimeMs: version >= 3 ? 4 : 0,
                topics: [
                    .init(
                        name: "orders",
                        partitions: [
                            .init(
                                partitionIndex: 0,
                                committedOffset: 42,
                                committedLeaderEpoch: version >= 5 ? 2 : -1,
                                metadata: "meta"
                            ),
                            .init(partitionIndex: 1, committedOffset: -1, metadata: nil),
                            .init(partitionIndex: 2, committedOffset: -1, errorCode: KafkaErrorCode(rawValue: 3)),
                        ]
                    )
                ],
                errorCode: version >= 2 ? KafkaErrorCode(rawValue: 16) : .none
            ),
            version: version
        )
    }

    @Test func offsetFetchV6IsFlexible() throws {
        let request = KafkaOffsetFetchRequest(groupID: "g", topics: [.init(name: "t", partitionIndexes: [5])])
        // COMPACT_STRING "g", COMPACT_ARRAY of 1 { COMPACT_STRING "t", COMPACT_ARRAY [INT32 5], no tags }, no tags.
        let v6: [UInt8] = [0x02, 0x67, 0x02, 0x02, 0x74, 0x02, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00]
        #expect(encodedBytes(request, version: 6) == v6)
        #expect(encodedBytes(request, version: 7) == Array(v6.dropLast()) + [0x00, 0x00])  // RequireStable false
        #expect(
            encodedBytes(KafkaOffsetFetchRequest(groupID: "g", topics: nil), version: 6) == [0x02, 0x67, 0x00, 0x00]
        )
        // Unknown tagged fields from a newer client are skipped.
        let tagged: [UInt8] = [0x02, 0x67, 0x01, 0x01, 0x07, 0x01, 0xAA]
        var reader = KafkaReader(ByteBuffer(bytes: tagged))
        #expect(
            try KafkaOffsetFetchRequest(from: &reader, version: 6) == KafkaOffsetFetchRequest(groupID: "g", topics: [])
        )
        #expect(reader.isAtEnd)
    }

    @Test func offsetFetchBelowV2CannotBeNull() throws {
        let nullTopics = kafkaString("g") + int32Bytes(-1)
        #expect(bodyDecodingError(KafkaOffsetFetchRequest.self, version: 1, nullTopics)?.code == .invalidLength)
        var reader = KafkaReader(ByteBuffer(bytes: nullTopics))
        #expect(try KafkaOffsetFetchRequest(from: &reader, version: 2).topics == nil)
    }

    @Test func hostileCountsThrowWithoutAllocating() {
        let commit = kafkaString("g") + int32Bytes(1) + kafkaString("m") + int64Bytes(-1) + int32Bytes(Int32.max)
        #expect(bodyDecodingError(KafkaOffsetCommitRequest.self, version: 2, commit)?.code == .invalidLength)
        let partitions =
            kafkaString("g") + int32Bytes(1) + kafkaString("t") + int32Bytes(1_000_000)
            + Array(repeating: 0, count: 13)
        #expect(bodyDecodingError(KafkaOffsetCommitRequest.self, version: 0, partitions)?.code == .invalidLength)
        let fetch = kafkaString("g") + int32Bytes(1) + kafkaString("t") + int32Bytes(Int32.max) + [0, 0, 0, 0]
        #expect(bodyDecodingError(KafkaOffsetFetchRequest.self, version: 5, fetch)?.code == .invalidLength)
        // A compact array claiming 2^32-2 elements.
        let compact: [UInt8] = [0x02, 0x67, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]
        #expect(bodyDecodingError(KafkaOffsetFetchRequest.self, version: 6, compact)?.code == .invalidLength)
        let response =
            int32Bytes(0) + int32Bytes(1) + kafkaString("t") + int32Bytes(50_000) + Array(repeating: 0, count: 40)
        #expect(decodingError(response) { try KafkaOffsetFetchResponse(from: &$0, version: 5) }?.code == .invalidLength)
    }

    @Test func versionsOutsideTheCodecsRangesThrow() {
        #expect(bodyDecodingError(KafkaOffsetCommitRequest.self, version: 8, [])?.code == .invalidValue)
        #expect(bodyDecodingError(KafkaOffsetFetchRequest.self, version: 8, [])?.code == .invalidValue)
    }
}
