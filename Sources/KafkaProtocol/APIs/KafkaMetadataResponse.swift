import NIOCore

/// Metadata response (key 3), versions 0-8.
///
/// | Field | Type | Versions |
/// |---|---|---|
/// | ThrottleTimeMs | INT32 | 3+ |
/// | Brokers | ARRAY of ``Broker`` | 0+ |
/// | ClusterId | NULLABLE_STRING | 2+ |
/// | ControllerId | INT32 | 1+ |
/// | Topics | ARRAY of ``Topic`` | 0+ |
/// | ClusterAuthorizedOperations | INT32 | 8+ |
///
/// From `MetadataResponse.json`.
public struct KafkaMetadataResponse: KafkaResponseBody {
    /// Metadata.
    public static let apiKey = KafkaAPIKey.metadata

    /// One broker: INT32 NodeId, STRING Host, INT32 Port, NULLABLE_STRING Rack (v1+).
    public struct Broker: Hashable, Sendable {
        /// The broker's id.
        public var nodeID: Int32
        /// The host clients connect to.
        public var host: String
        /// The port clients connect to.
        public var port: Int32
        /// The broker's rack (v1+), or nil.
        public var rack: String?

        /// Creates a broker entry.
        public init(nodeID: Int32, host: String, port: Int32, rack: String? = nil) {
            self.nodeID = nodeID
            self.host = host
            self.port = port
            self.rack = rack
        }
    }

    /// One topic: INT16 ErrorCode, STRING Name, BOOLEAN IsInternal (v1+), ARRAY Partitions,
    /// INT32 TopicAuthorizedOperations (v8+).
    public struct Topic: Hashable, Sendable {
        /// The topic's error (``KafkaErrorCode/unknownTopicOrPartition`` if it does not exist).
        public var errorCode: KafkaErrorCode
        /// The topic's name.
        public var name: String
        /// Whether the topic is internal (v1+).
        public var isInternal: Bool
        /// The topic's partitions.
        public var partitions: [Partition]
        /// The authorized-operations bit field (v8+); Int32.min when not requested.
        public var topicAuthorizedOperations: Int32

        /// Creates a topic entry.
        public init(
            errorCode: KafkaErrorCode = .none,
            name: String,
            isInternal: Bool = false,
            partitions: [Partition],
            topicAuthorizedOperations: Int32 = Int32.min
        ) {
            self.errorCode = errorCode
            self.name = name
            self.isInternal = isInternal
            self.partitions = partitions
            self.topicAuthorizedOperations = topicAuthorizedOperations
        }
    }

    /// One partition: INT16 ErrorCode, INT32 PartitionIndex, INT32 LeaderId, INT32 LeaderEpoch
    /// (v7+), ARRAY INT32 ReplicaNodes, ARRAY INT32 IsrNodes, ARRAY INT32 OfflineReplicas (v5+).
    public struct Partition: Hashable, Sendable {
        /// The partition's error.
        public var errorCode: KafkaErrorCode
        /// The partition number.
        public var partitionIndex: Int32
        /// The leader's broker id.
        public var leaderID: Int32
        /// The leader epoch (v7+; -1 before).
        public var leaderEpoch: Int32
        /// The brokers holding a replica.
        public var replicaNodes: [Int32]
        /// The in-sync replicas.
        public var isrNodes: [Int32]
        /// The offline replicas (v5+).
        public var offlineReplicas: [Int32]

        /// Creates a partition entry.
        public init(
            errorCode: KafkaErrorCode = .none,
            partitionIndex: Int32,
            leaderID: Int32,
            leaderEpoch: Int32 = -1,
            replicaNodes: [Int32],
            isrNodes: [Int32],
            offlineReplicas: [Int32] = []
        ) {
            self.errorCode = errorCode
            self.partitionIndex = partitionIndex
            self.leaderID = leaderID
            self.leaderEpoch = leaderEpoch
            self.replicaNodes = replicaNodes
            self.isrNodes = isrNodes
            self.offlineReplicas = offlineReplicas
        }
    }

    /// Throttle time (v3+).
    public var throttleTimeMs: Int32
    /// The brokers.
    public var brokers: [Broker]
    /// The cluster id (v2+), or nil.
    public var clusterID: String?
    /// The controller's broker id (v1+; -1 before).
    public var controllerID: Int32
    /// The topics.
    public var topics: [Topic]
    /// The cluster's authorized-operations bit field (v8+); Int32.min when not requested.
    public var clusterAuthorizedOperations: Int32

    /// Creates a response.
    public init(
        throttleTimeMs: Int32 = 0,
        brokers: [Broker],
        clusterID: String? = nil,
        controllerID: Int32 = -1,
        topics: [Topic],
        clusterAuthorizedOperations: Int32 = Int32.min
    ) {
        self.throttleTimeMs = throttleTimeMs
        self.brokers = brokers
        self.clusterID = clusterID
        self.controllerID = controllerID
        self.topics = topics
        self.clusterAuthorizedOperations = clusterAuthorizedOperations
    }

    /// Decodes the body of `version`.
    public init(from reader: inout KafkaReader, version: Int16) throws {
        try KafkaAPIVersions.checkSupported(Self.apiKey, version: version)
        throttleTimeMs = version >= 3 ? try reader.readInt32("MetadataResponse.ThrottleTimeMs") : 0
        brokers = try reader.readArray("MetadataResponse.Brokers", minimumElementBytes: 10) { reader in
            Broker(
                nodeID: try reader.readInt32("MetadataResponse.Brokers.NodeId"),
                host: try reader.readString("MetadataResponse.Brokers.Host"),
                port: try reader.readInt32("MetadataResponse.Brokers.Port"),
                rack: version >= 1 ? try reader.readNullableString("MetadataResponse.Brokers.Rack") : nil
            )
        }
        clusterID = version >= 2 ? try reader.readNullableString("MetadataResponse.ClusterId") : nil
        controllerID = version >= 1 ? try reader.readInt32("MetadataResponse.ControllerId") : -1
        topics = try reader.readArray("MetadataResponse.Topics", minimumElementBytes: 8) { reader in
            try Self.decodeTopic(from: &reader, version: version)
        }
        clusterAuthorizedOperations =
            version >= 8 ? try reader.readInt32("MetadataResponse.ClusterAuthorizedOperations") : Int32.min
    }

    private static func decodeTopic(from reader: inout KafkaReader, version: Int16) throws -> Topic {
        let errorCode = KafkaErrorCode(rawValue: try reader.readInt16("MetadataResponse.Topics.ErrorCode"))
        let name = try reader.readString("MetadataResponse.Topics.Name")
        let isInternal = version >= 1 ? try reader.readBoolean("MetadataResponse.Topics.IsInternal") : false
        let partitions = try reader.readArray("MetadataResponse.Topics.Partitions", minimumElementBytes: 18) {
            reader in
            let field = "MetadataResponse.Topics.Partitions"
            return Partition(
                errorCode: KafkaErrorCode(rawValue: try reader.readInt16("\(field).ErrorCode")),
                partitionIndex: try reader.readInt32("\(field).PartitionIndex"),
                leaderID: try reader.readInt32("\(field).LeaderId"),
                leaderEpoch: version >= 7 ? try reader.readInt32("\(field).LeaderEpoch") : -1,
                replicaNodes: try reader.readInt32Array("\(field).ReplicaNodes", flexible: false),
                isrNodes: try reader.readInt32Array("\(field).IsrNodes", flexible: false),
                offlineReplicas: version >= 5
                    ? try reader.readInt32Array("\(field).OfflineReplicas", flexible: false) : []
            )
        }
        let operations =
            version >= 8 ? try reader.readInt32("MetadataResponse.Topics.TopicAuthorizedOperations") : Int32.min
        return Topic(
            errorCode: errorCode,
            name: name,
            isInternal: isInternal,
            partitions: partitions,
            topicAuthorizedOperations: operations
        )
    }

    /// Encodes the body as `version`.
    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        KafkaAPIVersions.requireSupported(Self.apiKey, version: version)
        if version >= 3 { buffer.writeInteger(throttleTimeMs) }
        buffer.writeKafkaArray(brokers, flexible: false) { buffer, broker in
            buffer.writeInteger(broker.nodeID)
            buffer.writeKafkaString(broker.host)
            buffer.writeInteger(broker.port)
            if version >= 1 { buffer.writeKafkaNullableString(broker.rack) }
        }
        if version >= 2 { buffer.writeKafkaNullableString(clusterID) }
        if version >= 1 { buffer.writeInteger(controllerID) }
        buffer.writeKafkaArray(topics, flexible: false) { buffer, topic in
            buffer.writeInteger(topic.errorCode.rawValue)
            buffer.writeKafkaString(topic.name)
            if version >= 1 { buffer.writeKafkaBoolean(topic.isInternal) }
            buffer.writeKafkaArray(topic.partitions, flexible: false) { buffer, partition in
                buffer.writeInteger(partition.errorCode.rawValue)
                buffer.writeInteger(partition.partitionIndex)
                buffer.writeInteger(partition.leaderID)
                if version >= 7 { buffer.writeInteger(partition.leaderEpoch) }
                buffer.writeKafkaInt32Array(partition.replicaNodes, flexible: false)
                buffer.writeKafkaInt32Array(partition.isrNodes, flexible: false)
                if version >= 5 { buffer.writeKafkaInt32Array(partition.offlineReplicas, flexible: false) }
            }
            if version >= 8 { buffer.writeInteger(topic.topicAuthorizedOperations) }
        }
        if version >= 8 { buffer.writeInteger(clusterAuthorizedOperations) }
    }
}
