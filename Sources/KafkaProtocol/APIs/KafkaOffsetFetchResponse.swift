import NIOCore

/// OffsetFetch response (key 9), versions 0-7; 6 and 7 are flexible (compact strings and arrays, tagged fields
/// after each structure).
///
/// | Field | Type | Versions |
/// |---|---|---|
/// | ThrottleTimeMs | INT32 | 3+ |
/// | Topics | ARRAY of { Name STRING, Partitions ARRAY } | 0-7 |
/// | Partitions: PartitionIndex | INT32 | 0-7 |
/// | Partitions: CommittedOffset | INT64 | 0-7 (-1: none committed) |
/// | Partitions: CommittedLeaderEpoch | INT32 | 5-7 (default -1) |
/// | Partitions: Metadata | NULLABLE_STRING | 0-7 |
/// | Partitions: ErrorCode | INT16 | 0-7 |
/// | ErrorCode | INT16 | 2-7 (group-level error) |
///
/// From `OffsetFetchResponse.json`.
public struct KafkaOffsetFetchResponse: KafkaResponseBody {
    /// One partition's committed offset.
    public struct Partition: Hashable, Sendable {
        /// The partition index.
        public var partitionIndex: Int32
        /// The committed offset, -1 if none.
        public var committedOffset: Int64
        /// The leader epoch of the committed offset (v5+, -1 unknown).
        public var committedLeaderEpoch: Int32
        /// The metadata committed with the offset.
        public var metadata: String?
        /// The error, or ``KafkaErrorCode/none``.
        public var errorCode: KafkaErrorCode

        /// Creates a partition entry.
        public init(
            partitionIndex: Int32,
            committedOffset: Int64,
            committedLeaderEpoch: Int32 = -1,
            metadata: String? = nil,
            errorCode: KafkaErrorCode = .none
        ) {
            self.partitionIndex = partitionIndex
            self.committedOffset = committedOffset
            self.committedLeaderEpoch = committedLeaderEpoch
            self.metadata = metadata
            self.errorCode = errorCode
        }
    }

    /// One topic's committed offsets.
    public struct Topic: Hashable, Sendable {
        /// The topic name.
        public var name: String
        /// The partitions.
        public var partitions: [Partition]

        /// Creates a topic entry.
        public init(name: String, partitions: [Partition]) {
            self.name = name
            self.partitions = partitions
        }
    }

    /// OffsetFetch.
    public static let apiKey = KafkaAPIKey.offsetFetch
    /// The versions this codec implements.
    public static let versions: ClosedRange<Int16> = 0...7

    /// Throttle time (v3+).
    public var throttleTimeMs: Int32
    /// Per-topic offsets.
    public var topics: [Topic]
    /// The group-level error (v2+).
    public var errorCode: KafkaErrorCode

    /// Creates a response.
    public init(throttleTimeMs: Int32 = 0, topics: [Topic], errorCode: KafkaErrorCode = .none) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
        self.errorCode = errorCode
    }

    /// Decodes the body of `version`.
    public init(from reader: inout KafkaReader, version: Int16) throws {
        try Self.apiKey.checkCodecVersion(version, in: Self.versions)
        let flexible = version >= 6
        throttleTimeMs = version >= 3 ? try reader.readInt32("OffsetFetchResponse.ThrottleTimeMs") : 0
        // Smallest partition: index 4, offset 8, epoch 4 (v5+), metadata 2 (compact: 1, plus 1 of tags), error 2.
        let partitionBytes = 16 + (version >= 5 ? 4 : 0)
        topics = try reader.readArray("OffsetFetchResponse.Topics", flexible: flexible, minimumElementBytes: 3) {
            reader in
            let topic = Topic(
                name: try reader.readString("OffsetFetchResponse.Topics.Name", flexible: flexible),
                partitions: try reader.readArray(
                    "OffsetFetchResponse.Topics.Partitions",
                    flexible: flexible,
                    minimumElementBytes: partitionBytes
                ) { reader in
                    let partition = Partition(
                        partitionIndex: try reader.readInt32("OffsetFetchResponse.Partitions.PartitionIndex"),
                        committedOffset: try reader.readInt64("OffsetFetchResponse.Partitions.CommittedOffset"),
                        committedLeaderEpoch: version >= 5
                            ? try reader.readInt32("OffsetFetchResponse.Partitions.CommittedLeaderEpoch") : -1,
                        metadata: try reader.readNullableString(
                            "OffsetFetchResponse.Partitions.Metadata",
                            flexible: flexible
                        ),
                        errorCode: KafkaErrorCode(
                            rawValue: try reader.readInt16("OffsetFetchResponse.Partitions.ErrorCode")
                        )
                    )
                    if flexible { try reader.skipTaggedFields("OffsetFetchResponse.Partitions") }
                    return partition
                }
            )
            if flexible { try reader.skipTaggedFields("OffsetFetchResponse.Topics") }
            return topic
        }
        errorCode =
            version >= 2 ? KafkaErrorCode(rawValue: try reader.readInt16("OffsetFetchResponse.ErrorCode")) : .none
        if flexible { try reader.skipTaggedFields("OffsetFetchResponse") }
    }

    /// Encodes the body as `version` (fields a version lacks are dropped).
    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        Self.apiKey.requireCodecVersion(version, in: Self.versions)
        let flexible = version >= 6
        if version >= 3 { buffer.writeInteger(throttleTimeMs) }
        buffer.writeKafkaArray(topics, flexible: flexible) { buffer, topic in
            buffer.writeKafkaString(topic.name, flexible: flexible)
            buffer.writeKafkaArray(topic.partitions, flexible: flexible) { buffer, partition in
                buffer.writeInteger(partition.partitionIndex)
                buffer.writeInteger(partition.committedOffset)
                if version >= 5 { buffer.writeInteger(partition.committedLeaderEpoch) }
                buffer.writeKafkaNullableString(partition.metadata, flexible: flexible)
                buffer.writeInteger(partition.errorCode.rawValue)
                if flexible { buffer.writeKafkaEmptyTaggedFields() }
            }
            if flexible { buffer.writeKafkaEmptyTaggedFields() }
        }
        if version >= 2 { buffer.writeInteger(errorCode.rawValue) }
        if flexible { buffer.writeKafkaEmptyTaggedFields() }
    }
}
