import NIOCore

/// OffsetCommit request (key 8), versions 0-7.
///
/// | Field | Type | Versions |
/// |---|---|---|
/// | GroupId | STRING | 0+ |
/// | GenerationId | INT32 | 1+ (default -1) |
/// | MemberId | STRING | 1+ (default "") |
/// | GroupInstanceId | NULLABLE_STRING | 7+ |
/// | RetentionTimeMs | INT64 | 2-4 (default -1) |
/// | Topics | ARRAY of { Name STRING, Partitions ARRAY } | 0+ |
/// | Partitions: PartitionIndex | INT32 | 0+ |
/// | Partitions: CommittedOffset | INT64 | 0+ |
/// | Partitions: CommittedLeaderEpoch | INT32 | 6+ (default -1) |
/// | Partitions: CommitTimestamp | INT64 | 1 only (default -1) |
/// | Partitions: CommittedMetadata | NULLABLE_STRING | 0+ |
///
/// From `OffsetCommitRequest.json` (v8 is the first flexible version).
public struct KafkaOffsetCommitRequest: KafkaRequestBody {
    /// One partition's offset to commit.
    public struct Partition: Hashable, Sendable {
        /// The partition index.
        public var partitionIndex: Int32
        /// The offset to commit (the next offset to consume).
        public var committedOffset: Int64
        /// The leader epoch of the committed offset (v6+, -1 unknown).
        public var committedLeaderEpoch: Int32
        /// The commit timestamp (v1 only, -1 for "now").
        public var commitTimestamp: Int64
        /// Client metadata kept with the offset.
        public var committedMetadata: String?

        /// Creates a partition entry.
        public init(
            partitionIndex: Int32,
            committedOffset: Int64,
            committedLeaderEpoch: Int32 = -1,
            commitTimestamp: Int64 = -1,
            committedMetadata: String? = nil
        ) {
            self.partitionIndex = partitionIndex
            self.committedOffset = committedOffset
            self.committedLeaderEpoch = committedLeaderEpoch
            self.commitTimestamp = commitTimestamp
            self.committedMetadata = committedMetadata
        }
    }

    /// One topic's partitions.
    public struct Topic: Hashable, Sendable {
        /// The topic name.
        public var name: String
        /// The partitions to commit.
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

    /// The group id.
    public var groupID: String
    /// The member's generation (v1+; -1 for a simple consumer and in v0).
    public var generationID: Int32
    /// The member id (v1+; empty for a simple consumer and in v0).
    public var memberID: String
    /// The static member's instance id (v7+).
    public var groupInstanceID: String?
    /// How long to keep the offsets (v2-4; -1 for the broker's setting).
    public var retentionTimeMs: Int64
    /// The offsets to commit.
    public var topics: [Topic]

    /// Creates a request.
    public init(
        groupID: String,
        generationID: Int32 = -1,
        memberID: String = "",
        groupInstanceID: String? = nil,
        retentionTimeMs: Int64 = -1,
        topics: [Topic]
    ) {
        self.groupID = groupID
        self.generationID = generationID
        self.memberID = memberID
        self.groupInstanceID = groupInstanceID
        self.retentionTimeMs = retentionTimeMs
        self.topics = topics
    }

    /// Decodes the body of `version`; fields the version lacks keep their defaults.
    public init(from reader: inout KafkaReader, version: Int16) throws {
        try Self.apiKey.checkCodecVersion(version, in: Self.versions)
        groupID = try reader.readString("OffsetCommitRequest.GroupId")
        generationID = version >= 1 ? try reader.readInt32("OffsetCommitRequest.GenerationId") : -1
        memberID = version >= 1 ? try reader.readString("OffsetCommitRequest.MemberId") : ""
        groupInstanceID = version >= 7 ? try reader.readNullableString("OffsetCommitRequest.GroupInstanceId") : nil
        retentionTimeMs = (2...4).contains(version) ? try reader.readInt64("OffsetCommitRequest.RetentionTimeMs") : -1
        // Smallest partition: index 4, offset 8, leader epoch 4 (v6+), timestamp 8 (v1), metadata 2.
        let partitionBytes = 14 + (version >= 6 ? 4 : 0) + (version == 1 ? 8 : 0)
        topics = try reader.readArray("OffsetCommitRequest.Topics", minimumElementBytes: 6) { reader in
            Topic(
                name: try reader.readString("OffsetCommitRequest.Topics.Name"),
                partitions: try reader.readArray(
                    "OffsetCommitRequest.Topics.Partitions",
                    minimumElementBytes: partitionBytes
                ) { reader in
                    Partition(
                        partitionIndex: try reader.readInt32("OffsetCommitRequest.Partitions.PartitionIndex"),
                        committedOffset: try reader.readInt64("OffsetCommitRequest.Partitions.CommittedOffset"),
                        committedLeaderEpoch: version >= 6
                            ? try reader.readInt32("OffsetCommitRequest.Partitions.CommittedLeaderEpoch") : -1,
                        commitTimestamp: version == 1
                            ? try reader.readInt64("OffsetCommitRequest.Partitions.CommitTimestamp") : -1,
                        committedMetadata: try reader.readNullableString(
                            "OffsetCommitRequest.Partitions.CommittedMetadata"
                        )
                    )
                }
            )
        }
    }

    /// Encodes the body as `version` (fields a version lacks are dropped).
    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        Self.apiKey.requireCodecVersion(version, in: Self.versions)
        buffer.writeKafkaString(groupID)
        if version >= 1 {
            buffer.writeInteger(generationID)
            buffer.writeKafkaString(memberID)
        }
        if version >= 7 { buffer.writeKafkaNullableString(groupInstanceID) }
        if (2...4).contains(version) { buffer.writeInteger(retentionTimeMs) }
        buffer.writeKafkaArray(topics, flexible: false) { buffer, topic in
            buffer.writeKafkaString(topic.name)
            buffer.writeKafkaArray(topic.partitions, flexible: false) { buffer, partition in
                buffer.writeInteger(partition.partitionIndex)
                buffer.writeInteger(partition.committedOffset)
                if version >= 6 { buffer.writeInteger(partition.committedLeaderEpoch) }
                if version == 1 { buffer.writeInteger(partition.commitTimestamp) }
                buffer.writeKafkaNullableString(partition.committedMetadata)
            }
        }
    }
}
