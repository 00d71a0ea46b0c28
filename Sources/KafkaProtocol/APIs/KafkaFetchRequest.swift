import NIOCore

/// Fetch request (key 1), versions 4-11.
///
/// | Field | Type | Versions |
/// |---|---|---|
/// | ReplicaId | INT32 (-1 for a consumer) | 0+ |
/// | MaxWaitMs | INT32 | 0+ |
/// | MinBytes | INT32 | 0+ |
/// | MaxBytes | INT32 | 3+ |
/// | IsolationLevel | INT8 (0 read uncommitted, 1 read committed) | 4+ |
/// | SessionId | INT32 | 7+ |
/// | SessionEpoch | INT32 | 7+ |
/// | Topics | ARRAY of (STRING Topic, ARRAY of ``Partition``) | 0+ |
/// | ForgottenTopicsData | ARRAY of (STRING Topic, ARRAY INT32 Partitions) | 7+ |
/// | RackId | STRING | 11+ |
///
/// A partition: INT32 Partition, INT32 CurrentLeaderEpoch (v9+), INT64 FetchOffset, INT64
/// LogStartOffset (v5+), INT32 PartitionMaxBytes. From `FetchRequest.json`.
public struct KafkaFetchRequest: KafkaRequestBody {
    /// Fetch.
    public static let apiKey = KafkaAPIKey.fetch

    /// One topic to fetch.
    public struct Topic: Hashable, Sendable {
        /// The topic's name.
        public var name: String
        /// The partitions to fetch.
        public var partitions: [Partition]

        /// Creates a topic entry.
        public init(name: String, partitions: [Partition]) {
            self.name = name
            self.partitions = partitions
        }
    }

    /// One partition to fetch.
    public struct Partition: Hashable, Sendable {
        /// The partition number.
        public var partitionIndex: Int32
        /// The client's idea of the leader epoch (v9+; -1 for none).
        public var currentLeaderEpoch: Int32
        /// The first offset wanted.
        public var fetchOffset: Int64
        /// A follower's log start offset (v5+; -1 from consumers).
        public var logStartOffset: Int64
        /// The most bytes to return for this partition.
        public var partitionMaxBytes: Int32

        /// Creates a partition entry.
        public init(
            partitionIndex: Int32,
            currentLeaderEpoch: Int32 = -1,
            fetchOffset: Int64,
            logStartOffset: Int64 = -1,
            partitionMaxBytes: Int32
        ) {
            self.partitionIndex = partitionIndex
            self.currentLeaderEpoch = currentLeaderEpoch
            self.fetchOffset = fetchOffset
            self.logStartOffset = logStartOffset
            self.partitionMaxBytes = partitionMaxBytes
        }
    }

    /// Partitions an incremental fetch session drops (v7+).
    public struct ForgottenTopic: Hashable, Sendable {
        /// The topic's name.
        public var name: String
        /// The partitions to forget.
        public var partitions: [Int32]

        /// Creates a forgotten-topic entry.
        public init(name: String, partitions: [Int32]) {
            self.name = name
            self.partitions = partitions
        }
    }

    /// The follower's broker id, or -1 for a consumer.
    public var replicaID: Int32
    /// The longest the broker may wait for `minBytes`.
    public var maxWaitMs: Int32
    /// The fewest bytes to answer with, unless `maxWaitMs` passes first.
    public var minBytes: Int32
    /// The most bytes to answer with in total.
    public var maxBytes: Int32
    /// 0 read uncommitted, 1 read committed.
    public var isolationLevel: Int8
    /// The fetch session id (v7+; 0 for none).
    public var sessionID: Int32
    /// The fetch session epoch (v7+; -1 for a full fetch without a session).
    public var sessionEpoch: Int32
    /// The partitions to fetch.
    public var topics: [Topic]
    /// Partitions to drop from the session (v7+).
    public var forgottenTopics: [ForgottenTopic]
    /// The consumer's rack (v11+; empty for none).
    public var rackID: String

    /// Creates a request.
    public init(
        replicaID: Int32 = -1,
        maxWaitMs: Int32,
        minBytes: Int32,
        maxBytes: Int32 = Int32.max,
        isolationLevel: Int8 = 0,
        sessionID: Int32 = 0,
        sessionEpoch: Int32 = -1,
        topics: [Topic],
        forgottenTopics: [ForgottenTopic] = [],
        rackID: String = ""
    ) {
        self.replicaID = replicaID
        self.maxWaitMs = maxWaitMs
        self.minBytes = minBytes
        self.maxBytes = maxBytes
        self.isolationLevel = isolationLevel
        self.sessionID = sessionID
        self.sessionEpoch = sessionEpoch
        self.topics = topics
        self.forgottenTopics = forgottenTopics
        self.rackID = rackID
    }

    /// Decodes the body of `version`.
    public init(from reader: inout KafkaReader, version: Int16) throws {
        try KafkaAPIVersions.checkSupported(Self.apiKey, version: version)
        replicaID = try reader.readInt32("FetchRequest.ReplicaId")
        maxWaitMs = try reader.readInt32("FetchRequest.MaxWaitMs")
        minBytes = try reader.readInt32("FetchRequest.MinBytes")
        maxBytes = try reader.readInt32("FetchRequest.MaxBytes")
        isolationLevel = try reader.readInt8("FetchRequest.IsolationLevel")
        sessionID = version >= 7 ? try reader.readInt32("FetchRequest.SessionId") : 0
        sessionEpoch = version >= 7 ? try reader.readInt32("FetchRequest.SessionEpoch") : -1
        topics = try reader.readArray("FetchRequest.Topics", minimumElementBytes: 6) { reader in
            Topic(
                name: try reader.readString("FetchRequest.Topics.Topic"),
                partitions: try reader.readArray("FetchRequest.Topics.Partitions", minimumElementBytes: 16) {
                    try Self.decodePartition(from: &$0, version: version)
                }
            )
        }
        forgottenTopics =
            version >= 7
            ? try reader.readArray("FetchRequest.ForgottenTopicsData", minimumElementBytes: 6) { reader in
                ForgottenTopic(
                    name: try reader.readString("FetchRequest.ForgottenTopicsData.Topic"),
                    partitions: try reader.readInt32Array(
                        "FetchRequest.ForgottenTopicsData.Partitions",
                        flexible: false
                    )
                )
            } : []
        rackID = version >= 11 ? try reader.readString("FetchRequest.RackId") : ""
    }

    private static func decodePartition(from reader: inout KafkaReader, version: Int16) throws -> Partition {
        let field = "FetchRequest.Topics.Partitions"
        let index = try reader.readInt32("\(field).Partition")
        let epoch = version >= 9 ? try reader.readInt32("\(field).CurrentLeaderEpoch") : -1
        let offset = try reader.readInt64("\(field).FetchOffset")
        let logStart = version >= 5 ? try reader.readInt64("\(field).LogStartOffset") : -1
        return Partition(
            partitionIndex: index,
            currentLeaderEpoch: epoch,
            fetchOffset: offset,
            logStartOffset: logStart,
            partitionMaxBytes: try reader.readInt32("\(field).PartitionMaxBytes")
        )
    }

    /// Encodes the body as `version`.
    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        KafkaAPIVersions.requireSupported(Self.apiKey, version: version)
        buffer.writeInteger(replicaID)
        buffer.writeInteger(maxWaitMs)
        buffer.writeInteger(minBytes)
        buffer.writeInteger(maxBytes)
        buffer.writeInteger(isolationLevel)
        if version >= 7 {
            buffer.writeInteger(sessionID)
            buffer.writeInteger(sessionEpoch)
        }
        buffer.writeKafkaArray(topics, flexible: false) { buffer, topic in
            buffer.writeKafkaString(topic.name)
            buffer.writeKafkaArray(topic.partitions, flexible: false) { buffer, partition in
                buffer.writeInteger(partition.partitionIndex)
                if version >= 9 { buffer.writeInteger(partition.currentLeaderEpoch) }
                buffer.writeInteger(partition.fetchOffset)
                if version >= 5 { buffer.writeInteger(partition.logStartOffset) }
                buffer.writeInteger(partition.partitionMaxBytes)
            }
        }
        if version >= 7 {
            buffer.writeKafkaArray(forgottenTopics, flexible: false) { buffer, topic in
                buffer.writeKafkaString(topic.name)
                buffer.writeKafkaInt32Array(topic.partitions, flexible: false)
            }
        }
        if version >= 11 { buffer.writeKafkaString(rackID) }
    }
}
