import NIOCore

/// ListOffsets response (key 2), versions 0-5.
///
/// | Field | Type | Versions |
/// |---|---|---|
/// | ThrottleTimeMs | INT32 | 2+ |
/// | Topics | ARRAY of (STRING Name, ARRAY of ``Partition``) | 0+ |
///
/// A partition: INT32 PartitionIndex, INT16 ErrorCode, ARRAY INT64 OldStyleOffsets (v0 only),
/// INT64 Timestamp (v1+), INT64 Offset (v1+), INT32 LeaderEpoch (v4+).
/// From `ListOffsetsResponse.json`.
public struct KafkaListOffsetsResponse: KafkaResponseBody {
    /// ListOffsets.
    public static let apiKey = KafkaAPIKey.listOffsets

    /// One topic's answers.
    public struct Topic: Hashable, Sendable {
        /// The topic's name.
        public var name: String
        /// The per-partition answers.
        public var partitions: [Partition]

        /// Creates a topic entry.
        public init(name: String, partitions: [Partition]) {
            self.name = name
            self.partitions = partitions
        }
    }

    /// One partition's answer.
    public struct Partition: Hashable, Sendable {
        /// The partition number.
        public var partitionIndex: Int32
        /// The error, or ``KafkaErrorCode/none``.
        public var errorCode: KafkaErrorCode
        /// The offsets found, newest first (v0 only).
        public var oldStyleOffsets: [Int64]
        /// The timestamp of the offset found (v1+; -1 for none).
        public var timestamp: Int64
        /// The offset found (v1+; -1 for none).
        public var offset: Int64
        /// The leader epoch (v4+; -1 for unknown).
        public var leaderEpoch: Int32

        /// Creates a partition answer.
        public init(
            partitionIndex: Int32,
            errorCode: KafkaErrorCode = .none,
            oldStyleOffsets: [Int64] = [],
            timestamp: Int64 = -1,
            offset: Int64 = -1,
            leaderEpoch: Int32 = -1
        ) {
            self.partitionIndex = partitionIndex
            self.errorCode = errorCode
            self.oldStyleOffsets = oldStyleOffsets
            self.timestamp = timestamp
            self.offset = offset
            self.leaderEpoch = leaderEpoch
        }
    }

    /// Throttle time (v2+).
    public var throttleTimeMs: Int32
    /// The per-topic answers.
    public var topics: [Topic]

    /// Creates a response.
    public init(throttleTimeMs: Int32 = 0, topics: [Topic]) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
    }

    /// Decodes the body of `version`.
    public init(from reader: inout KafkaReader, version: Int16) throws {
        try KafkaAPIVersions.checkSupported(Self.apiKey, version: version)
        throttleTimeMs = version >= 2 ? try reader.readInt32("ListOffsetsResponse.ThrottleTimeMs") : 0
        topics = try reader.readArray("ListOffsetsResponse.Topics", minimumElementBytes: 6) { reader in
            Topic(
                name: try reader.readString("ListOffsetsResponse.Topics.Name"),
                partitions: try reader.readArray("ListOffsetsResponse.Topics.Partitions", minimumElementBytes: 10) {
                    reader in
                    let field = "ListOffsetsResponse.Topics.Partitions"
                    var partition = Partition(
                        partitionIndex: try reader.readInt32("\(field).PartitionIndex"),
                        errorCode: KafkaErrorCode(rawValue: try reader.readInt16("\(field).ErrorCode"))
                    )
                    if version == 0 {
                        partition.oldStyleOffsets = try reader.readInt64Array(
                            "\(field).OldStyleOffsets",
                            flexible: false
                        )
                    } else {
                        partition.timestamp = try reader.readInt64("\(field).Timestamp")
                        partition.offset = try reader.readInt64("\(field).Offset")
                    }
                    if version >= 4 { partition.leaderEpoch = try reader.readInt32("\(field).LeaderEpoch") }
                    return partition
                }
            )
        }
    }

    /// Encodes the body as `version`.
    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        KafkaAPIVersions.requireSupported(Self.apiKey, version: version)
        if version >= 2 { buffer.writeInteger(throttleTimeMs) }
        buffer.writeKafkaArray(topics, flexible: false) { buffer, topic in
            buffer.writeKafkaString(topic.name)
            buffer.writeKafkaArray(topic.partitions, flexible: false) { buffer, partition in
                buffer.writeInteger(partition.partitionIndex)
                buffer.writeInteger(partition.errorCode.rawValue)
                if version == 0 {
                    buffer.writeKafkaInt64Array(partition.oldStyleOffsets, flexible: false)
                } else {
                    buffer.writeInteger(partition.timestamp)
                    buffer.writeInteger(partition.offset)
                }
                if version >= 4 { buffer.writeInteger(partition.leaderEpoch) }
            }
        }
    }
}
