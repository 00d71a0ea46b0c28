/// One partition of a Kafka topic, as Kafka clients name it in OffsetCommit and OffsetFetch.
public struct KafkaTopicPartition: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The topic's name.
    public var topic: String
    /// The partition's index (never negative in a stored record).
    public var partition: Int32

    /// A topic-partition.
    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    /// By topic, then partition.
    public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition) }

    /// `topic/partition`.
    public var description: String { "\(topic)/\(partition)" }
}

/// What a Kafka classic consumer group committed for one partition (OffsetCommit's fields).
public struct KafkaCommittedOffset: Sendable, Hashable {
    /// The next offset the group will read; never negative.
    public var offset: Int64
    /// The leader epoch the client saw with the offset (OffsetCommit v6+), -1 for none.
    public var leaderEpoch: Int32
    /// The client's metadata string, `nil` for Kafka's null.
    public var metadata: String?
    /// When the broker stored it, in epoch milliseconds.
    public var commitTimestamp: Int64

    /// A committed offset.
    public init(offset: Int64, leaderEpoch: Int32 = -1, metadata: String? = nil, commitTimestamp: Int64) {
        self.offset = offset
        self.leaderEpoch = leaderEpoch
        self.metadata = metadata
        self.commitTimestamp = commitTimestamp
    }
}

/// One partition's committed offset, as a group state record holds it.
public struct KafkaOffsetEntry: Sendable, Hashable {
    /// The partition.
    public var partition: KafkaTopicPartition
    /// What is committed there.
    public var committed: KafkaCommittedOffset

    /// An entry.
    public init(_ partition: KafkaTopicPartition, _ committed: KafkaCommittedOffset) {
        self.partition = partition
        self.committed = committed
    }
}
