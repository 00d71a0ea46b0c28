import NIOCore

/// Produce request (key 0), versions 3-8 (record batches v2 only).
///
/// | Field | Type | Versions |
/// |---|---|---|
/// | TransactionalId | NULLABLE_STRING | 3+ |
/// | Acks | INT16 (0 none, 1 leader, -1 all) | 0+ |
/// | TimeoutMs | INT32 | 0+ |
/// | Topics | ARRAY of (STRING Name, ARRAY of (INT32 PartitionIndex, NULLABLE_BYTES Records)) | 0+ |
///
/// Versions 3 to 8 share this layout (they differ in what the response carries and which
/// errors and compressions the client accepts). The records are kept as slices of the request
/// frame, never copied: validate them with the record codec before storing them.
/// With acks = 0 the client expects no response at all. From `ProduceRequest.json`.
public struct KafkaProduceRequest: KafkaRequestBody {
    /// Produce.
    public static let apiKey = KafkaAPIKey.produce

    /// One topic's data.
    public struct Topic: Hashable, Sendable {
        /// The topic's name.
        public var name: String
        /// The partitions to write to.
        public var partitions: [Partition]

        /// Creates a topic entry.
        public init(name: String, partitions: [Partition]) {
            self.name = name
            self.partitions = partitions
        }
    }

    /// One partition's records.
    public struct Partition: Hashable, Sendable {
        /// The partition number.
        public var partitionIndex: Int32
        /// The record batches (a slice of the request), or nil if the client sent null.
        public var records: ByteBuffer?

        /// Creates a partition entry.
        public init(partitionIndex: Int32, records: ByteBuffer?) {
            self.partitionIndex = partitionIndex
            self.records = records
        }
    }

    /// The transactional id, or nil for a non-transactional producer.
    public var transactionalID: String?
    /// Acknowledgements required: 0 (no response), 1 (leader wrote it) or -1 (all replicas).
    public var acks: Int16
    /// How long the broker may wait for the acknowledgements.
    public var timeoutMs: Int32
    /// The data, per topic.
    public var topics: [Topic]

    /// Creates a request.
    public init(transactionalID: String? = nil, acks: Int16, timeoutMs: Int32, topics: [Topic]) {
        self.transactionalID = transactionalID
        self.acks = acks
        self.timeoutMs = timeoutMs
        self.topics = topics
    }

    /// Decodes the body of `version`.
    public init(from reader: inout KafkaReader, version: Int16) throws {
        try KafkaAPIVersions.checkSupported(Self.apiKey, version: version)
        transactionalID = try reader.readNullableString("ProduceRequest.TransactionalId")
        acks = try reader.readInt16("ProduceRequest.Acks")
        timeoutMs = try reader.readInt32("ProduceRequest.TimeoutMs")
        topics = try reader.readArray("ProduceRequest.Topics", minimumElementBytes: 6) { reader in
            Topic(
                name: try reader.readString("ProduceRequest.Topics.Name"),
                partitions: try reader.readArray("ProduceRequest.Topics.Partitions", minimumElementBytes: 8) {
                    reader in
                    Partition(
                        partitionIndex: try reader.readInt32("ProduceRequest.Topics.Partitions.PartitionIndex"),
                        records: try reader.readNullableBytes("ProduceRequest.Topics.Partitions.Records")
                    )
                }
            )
        }
    }

    /// Encodes the body as `version`.
    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        KafkaAPIVersions.requireSupported(Self.apiKey, version: version)
        buffer.writeKafkaNullableString(transactionalID)
        buffer.writeInteger(acks)
        buffer.writeInteger(timeoutMs)
        buffer.writeKafkaArray(topics, flexible: false) { buffer, topic in
            buffer.writeKafkaString(topic.name)
            buffer.writeKafkaArray(topic.partitions, flexible: false) { buffer, partition in
                buffer.writeInteger(partition.partitionIndex)
                buffer.writeKafkaNullableBytes(partition.records)
            }
        }
    }
}
