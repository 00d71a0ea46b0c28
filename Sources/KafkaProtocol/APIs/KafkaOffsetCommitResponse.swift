import NIOCore

/// OffsetCommit response (key 8), versions 0-7.
///
/// | Field | Type | Versions |
/// |---|---|---|
/// | ThrottleTimeMs | INT32 | 3+ |
/// | Topics | ARRAY of { Name STRING, Partitions ARRAY of { PartitionIndex INT32, ErrorCode INT16 } } | 0+ |
///
/// From `OffsetCommitResponse.json`.
public struct KafkaOffsetCommitResponse: KafkaResponseBody {
    /// One partition's outcome.
    public struct Partition: Hashable, Sendable {
        /// The partition index.
        public var partitionIndex: Int32
        /// The error, or ``KafkaErrorCode/none``.
        public var errorCode: KafkaErrorCode

        /// Creates a partition outcome.
        public init(partitionIndex: Int32, errorCode: KafkaErrorCode = .none) {
            self.partitionIndex = partitionIndex
            self.errorCode = errorCode
        }
    }

    /// One topic's outcomes.
    public struct Topic: Hashable, Sendable {
        /// The topic name.
        public var name: String
        /// The partitions' outcomes.
        public var partitions: [Partition]

        /// Creates a topic entry.
        public init(name: String, partitions: [Partition]) {
            self.name = name
            self.partitions = partitions
        }
    }

    /// OffsetCommit.
    public static let apiKey = KafkaAPIKey.offsetCommit
    /// The versions this codec implements.
    public static let versions: ClosedRange<Int16> = 0...7

    /// Throttle time (v3+).
    public var throttleTimeMs: Int32
    /// Per-topic outcomes.
    public var topics: [Topic]

    /// Creates a response.
    public init(throttleTimeMs: Int32 = 0, topics: [Topic]) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
    }

    /// Decodes the body of `version`.
    public init(from reader: inout KafkaReader, version: Int16) throws {
        try Self.apiKey.checkCodecVersion(version, in: Self.versions)
        throttleTimeMs = version >= 3 ? try reader.readInt32("OffsetCommitResponse.ThrottleTimeMs") : 0
        topics = try reader.readArray("OffsetCommitResponse.Topics", minimumElementBytes: 6) { reader in
            Topic(
                name: try reader.readString("OffsetCommitResponse.Topics.Name"),
                partitions: try reader.readArray("OffsetCommitResponse.Topics.Partitions", minimumElementBytes: 6) {
                    reader in
                    Partition(
                        partitionIndex: try reader.readInt32("OffsetCommitResponse.Partitions.PartitionIndex"),
                        errorCode: KafkaErrorCode(
                            rawValue: try reader.readInt16("OffsetCommitResponse.Partitions.ErrorCode")
                        )
                    )
                }
            )
        }
    }

    /// Encodes the body as `version` (ThrottleTimeMs is dropped below v3).
    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        Self.apiKey.requireCodecVersion(version, in: Self.versions)
        if version >= 3 { buffer.writeInteger(throttleTimeMs) }
        buffer.writeKafkaArray(topics, flexible: false) { buffer, topic in
            buffer.writeKafkaString(topic.name)
            buffer.writeKafkaArray(topic.partitions, flexible: false) { buffer, partition in
                buffer.writeInteger(partition.partitionIndex)
                buffer.writeInteger(partition.errorCode.rawValue)
            }
        }
    }
}
