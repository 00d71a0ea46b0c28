import NIOCore

/// CreateTopics request (key 19), versions 0-4.
///
/// | Field | Type | Versions |
/// |---|---|---|
/// | Topics | ARRAY of CreatableTopic | 0+ |
/// | Topics: Name | STRING | 0+ |
/// | Topics: NumPartitions | INT32 | 0+ (-1: the broker's default or the assignments) |
/// | Topics: ReplicationFactor | INT16 | 0+ (-1: the broker's default) |
/// | Topics: Assignments | ARRAY of { PartitionIndex INT32, BrokerIds ARRAY of INT32 } | 0+ |
/// | Topics: Configs | ARRAY of { Name STRING, Value NULLABLE_STRING } | 0+ |
/// | TimeoutMs | INT32 | 0+ |
/// | ValidateOnly | BOOLEAN | 1+ |
///
/// From `CreateTopicsRequest.json` (v5 is the first flexible version).
public struct KafkaCreateTopicsRequest: KafkaRequestBody {
    /// A manual placement of one partition.
    public struct Assignment: Hashable, Sendable {
        /// The partition index.
        public var partitionIndex: Int32
        /// The brokers to place it on.
        public var brokerIDs: [Int32]

        /// Creates an assignment entry.
        public init(partitionIndex: Int32, brokerIDs: [Int32]) {
            self.partitionIndex = partitionIndex
            self.brokerIDs = brokerIDs
        }
    }

    /// One topic configuration to set.
    public struct Config: Hashable, Sendable {
        /// The configuration name (such as `retention.ms`).
        public var name: String
        /// The value, nil to leave it unset.
        public var value: String?

        /// Creates a configuration entry.
        public init(name: String, value: String?) {
            self.name = name
            self.value = value
        }
    }

    /// One topic to create.
    public struct Topic: Hashable, Sendable {
        /// The topic name.
        public var name: String
        /// The partition count, -1 for the default (or the assignments).
        public var numPartitions: Int32
        /// The replication factor, -1 for the default.
        public var replicationFactor: Int16
        /// Manual partition placements (usually empty).
        public var assignments: [Assignment]
        /// Topic configurations.
        public var configs: [Config]

        /// Creates a topic entry.
        public init(
            name: String,
            numPartitions: Int32,
            replicationFactor: Int16,
            assignments: [Assignment] = [],
            configs: [Config] = []
        ) {
            self.name = name
            self.numPartitions = numPartitions
            self.replicationFactor = replicationFactor
            self.assignments = assignments
            self.configs = configs
        }
    }

    /// CreateTopics.
    public static let apiKey = KafkaAPIKey.createTopics
    /// The versions this codec implements.
    public static let versions: ClosedRange<Int16> = 0...4

    /// The topics to create.
    public var topics: [Topic]
    /// How long to wait for the creation.
    public var timeoutMs: Int32
    /// Check only, create nothing (v1+).
    public var validateOnly: Bool

    /// Creates a request.
    public init(topics: [Topic], timeoutMs: Int32 = 60_000, validateOnly: Bool = false) {
        self.topics = topics
        self.timeoutMs = timeoutMs
        self.validateOnly = validateOnly
    }

    /// Decodes the body of `version`.
    public init(from reader: inout KafkaReader, version: Int16) throws {
        try Self.apiKey.checkCodecVersion(version, in: Self.versions)
        // Smallest topic: name 2, partitions 4, replication 2, two empty arrays 8.
        topics = try reader.readArray("CreateTopicsRequest.Topics", minimumElementBytes: 16) { reader in
            Topic(
                name: try reader.readString("CreateTopicsRequest.Topics.Name"),
                numPartitions: try reader.readInt32("CreateTopicsRequest.Topics.NumPartitions"),
                replicationFactor: try reader.readInt16("CreateTopicsRequest.Topics.ReplicationFactor"),
                assignments: try reader.readArray("CreateTopicsRequest.Topics.Assignments", minimumElementBytes: 8) {
                    reader in
                    Assignment(
                        partitionIndex: try reader.readInt32("CreateTopicsRequest.Assignments.PartitionIndex"),
                        brokerIDs: try reader.readInt32Array(
                            "CreateTopicsRequest.Assignments.BrokerIds",
                            flexible: false
                        )
                    )
                },
                configs: try reader.readArray("CreateTopicsRequest.Topics.Configs", minimumElementBytes: 4) { reader in
                    Config(
                        name: try reader.readString("CreateTopicsRequest.Configs.Name"),
                        value: try reader.readNullableString("CreateTopicsRequest.Configs.Value")
                    )
                }
            )
        }
        timeoutMs = try reader.readInt32("CreateTopicsRequest.TimeoutMs")
        validateOnly = version >= 1 ? try reader.readBoolean("CreateTopicsRequest.ValidateOnly") : false
    }

    /// Encodes the body as `version` (ValidateOnly is dropped in v0).
    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        Self.apiKey.requireCodecVersion(version, in: Self.versions)
        buffer.writeKafkaArray(topics, flexible: false) { buffer, topic in
            buffer.writeKafkaString(topic.name)
            buffer.writeInteger(topic.numPartitions)
            buffer.writeInteger(topic.replicationFactor)
            buffer.writeKafkaArray(topic.assignments, flexible: false) { buffer, assignment in
                buffer.writeInteger(assignment.partitionIndex)
                buffer.writeKafkaInt32Array(assignment.brokerIDs, flexible: false)
            }
            buffer.writeKafkaArray(topic.configs, flexible: false) { buffer, config in
                buffer.writeKafkaString(config.name)
                buffer.writeKafkaNullableString(config.value)
            }
        }
        buffer.writeInteger(timeoutMs)
        if version >= 1 { buffer.writeKafkaBoolean(validateOnly) }
    }
}
