import NIOCore

/// ListOffsets request (key 2), versions 0-5.
///
/// | Field | Type | Versions |
/// |---|---|---|
/// | ReplicaId | INT32 (-1 for a consumer) | 0+ |
/// | IsolationLevel | INT8 | 2+ |
/// | Topics | ARRAY of (STRING Name, ARRAY of ``Partition``) | 0+ |
///
/// A partition: INT32 PartitionIndex, INT32 CurrentLeaderEpoch (v4+), INT64 Timestamp (-1
/// latest, -2 earliest, else a time in ms), INT32 MaxNumOffsets (v0 only).
/// From `ListOffsetsRequest.json`.
public struct KafkaListOffsetsRequest: KafkaRequestBody {
    /// ListOffsets.
    public static let apiKey = KafkaAPIKey.listOffsets

    /// The timestamp asking for the offset after the last record.
    public static let latestTimestamp: Int64 = -1
    /// The timestamp asking for the first offset still in the log.
    public static let earliestTimestamp: Int64 = -2

    /// One topic's partitions.
    public struct Topic: Hashable, Sendable {
        /// The topic's name.
        public var name: String
        /// The partitions asked about.
        public var partitions: [Partition]

        /// Creates a topic entry.
        public init(name: String, partitions: [Partition]) {
            self.name = name
            self.partitions = partitions
        }
    }

    /// One partition's question.
    public struct Partition: Hashable, Sendable {
        /// The partition number.
        public var partitionIndex: Int32
        /// The client's idea of the leader epoch (v4+; -1 for none).
        public var currentLeaderEpoch: Int32
        /// -1 (latest), -2 (earliest), or a timestamp in ms.
        public var timestamp: Int64
        /// How many offsets to return (v0 only; 1 from v1).
        public var maxNumOffsets: Int32

        /// Creates a partition entry.
        public init(partitionIndex: Int32, currentLeaderEpoch: Int32 = -1, timestamp: Int64, maxNumOffsets: Int32 = 1) {
            self.partitionIndex = partitionIndex
            self.currentLeaderEpoch = currentLeaderEpoch
            self.timestamp = timestamp
            self.maxNumOffsets = maxNumOffsets
        }
    }

    /// The follower's broker id, or -1 for a consumer.
    public var replicaID: Int32
    /// 0 read uncommitted, 1 read committed (v2+).
    public var isolationLevel: Int8
    /// The partitions asked about.
    public var topics: [Topic]

    /// Creates a request.
    public init(replicaID: Int32 = -1, isolationLevel: Int8 = 0, topics: [Topic]) {
        self.replicaID = replicaID
        self.isolationLevel = isolationLevel
        self.topics = topics
    }

    /// Decodes the body of `version`.
    public init(from reader: inout KafkaReader, version: Int16) throws {
        try KafkaAPIVersions.checkSupported(Self.apiKey, version: version)
        replicaID = try reader.readInt32("ListOffsetsRequest.ReplicaId")
        isolationLevel = version >= 2 ? try reader.readInt8("ListOffsetsRequest.IsolationLevel") : 0
        topics = try reader.readArray("ListOffsetsRequest.Topics", minimumElementBytes: 6) { reader in
            Topic(
                name: try reader.readString("ListOffsetsRequest.Topics.Name"),
                partitions: try reader.readArray("ListOffsetsRequest.Topics.Partitions", minimumElementBytes: 12) {
                    reader in
                    let field = "ListOffsetsRequest.Topics.Partitions"
                    let index = try reader.readInt32("\(field).PartitionIndex")
                    let epoch = version >= 4 ? try reader.readInt32("\(field).CurrentLeaderEpoch") : -1
                    let timestamp = try reader.readInt64("\(field).Timestamp")
                    let maxNumOffsets = version == 0 ? try reader.readInt32("\(field).MaxNumOffsets") : 1
                    return Partition(
                        partitionIndex: index,
                        currentLeaderEpoch: epoch,
                        timestamp: timestamp,
                        maxNumOffsets: maxNumOffsets
                    )
                }
            )
        }
    }

    /// Encodes the body as `version`.
    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        KafkaAPIVersions.requireSupported(Self.apiKey, version: version)
        buffer.writeInteger(replicaID)
        if version >= 2 { buffer.writeInteger(isolationLevel) }
        buffer.writeKafkaArray(topics, flexible: false) { buffer, topic in
            buffer.writeKafkaString(topic.name)
            buffer.writeKafkaArray(topic.partitions, flexible: false) { buffer, partition in
                buffer.writeInteger(partition.partitionIndex)
                if version >= 4 { buffer.writeInteger(partition.currentLeaderEpoch) }
                buffer.writeInteger(partition.timestamp)
                if version == 0 { buffer.writeInteger(partition.maxNumOffsets) }
            }
        }
    }
}
