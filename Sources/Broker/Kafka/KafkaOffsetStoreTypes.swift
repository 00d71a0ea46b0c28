/// The limits on what Kafka classic groups may keep in the group state log (docs/KAFKA.md,
/// "Offsets").
public struct KafkaOffsetLimits: Sendable, Hashable {
    /// The most partitions one Kafka group may have a committed offset on; a commit that would
    /// add a partition beyond it gets ``KafkaOffsetCommitResult/tooManyPartitions`` for that
    /// partition (partitions it already has are updated). Range ``maxCommittedPartitionsRange``.
    public var maxCommittedPartitionsPerGroup = 10_000
    /// The longest metadata string a commit may carry, in UTF-8 bytes (Kafka's
    /// `offset.metadata.max.bytes`, 4096 by default); longer gets
    /// ``KafkaOffsetCommitResult/metadataTooLarge``. Range ``maxMetadataBytesRange``.
    public var maxMetadataBytes = 4096
    /// The most Kafka groups the state log may hold: a commit that would create one more is
    /// refused with ``KafkaOffsetStoreError/tooManyGroups(limit:)`` (every commit of a new group
    /// id, even a simple consumer's, creates a durable group). Range ``maxGroupsRange``.
    public var maxGroups = 10_000

    /// The accepted range of ``maxCommittedPartitionsPerGroup``.
    public static let maxCommittedPartitionsRange: ClosedRange<Int> = 1...1_000_000
    /// The accepted range of ``maxGroups``.
    public static let maxGroupsRange: ClosedRange<Int> = 1...1_000_000
    /// The accepted range of ``maxMetadataBytes``: up to what a state log record can hold.
    public static let maxMetadataBytesRange: ClosedRange<Int> = 0...GroupStateRecord.maxKafkaMetadataBytes

    /// The defaults: 10,000 partitions per group, 4096-byte metadata, 10,000 groups.
    public init() {}

    /// - Throws: ``BrokerError`` (`invalidRequest`) naming a limit outside its range.
    func validate() throws {
        guard Self.maxCommittedPartitionsRange.contains(maxCommittedPartitionsPerGroup) else {
            throw BrokerError(
                .invalidRequest,
                "maxCommittedPartitionsPerGroup \(maxCommittedPartitionsPerGroup) is outside "
                    + "\(Self.maxCommittedPartitionsRange)"
            )
        }
        guard Self.maxGroupsRange.contains(maxGroups) else {
            throw BrokerError(.invalidRequest, "maxGroups \(maxGroups) is outside \(Self.maxGroupsRange)")
        }
        guard Self.maxMetadataBytesRange.contains(maxMetadataBytes) else {
            throw BrokerError(
                .invalidRequest,
                "maxMetadataBytes \(maxMetadataBytes) is outside \(Self.maxMetadataBytesRange)"
            )
        }
    }
}

/// One partition's offset in an OffsetCommit request.
public struct KafkaOffsetCommit: Sendable, Hashable {
    /// The partition.
    public var partition: KafkaTopicPartition
    /// The offset to commit (the next one the group reads).
    public var offset: Int64
    /// The request's committed leader epoch (v6+), -1 for none.
    public var leaderEpoch: Int32
    /// The request's metadata, `nil` for null.
    public var metadata: String?

    /// A partition's commit.
    public init(_ partition: KafkaTopicPartition, offset: Int64, leaderEpoch: Int32 = -1, metadata: String? = nil) {
        self.partition = partition
        self.offset = offset
        self.leaderEpoch = leaderEpoch
        self.metadata = metadata
    }
}

/// What became of one partition of an OffsetCommit: ``kafkaErrorCode`` is the code to answer it with.
public enum KafkaOffsetCommitResult: Sendable, Hashable {
    /// Stored durably.
    case committed
    /// The topic does not exist, or has no such partition (Kafka `UNKNOWN_TOPIC_OR_PARTITION`, 3).
    case unknownTopicOrPartition
    /// The metadata is over ``KafkaOffsetLimits/maxMetadataBytes`` (Kafka `OFFSET_METADATA_TOO_LARGE`, 12).
    case metadataTooLarge
    /// The offset is negative (Kafka `INVALID_REQUEST`, 42; the Java client never sends one).
    case invalidOffset
    /// The group has committed offsets on ``KafkaOffsetLimits/maxCommittedPartitionsPerGroup``
    /// partitions already, not this one (Kafka `INVALID_COMMIT_OFFSET_SIZE`, 28).
    case tooManyPartitions

    /// The Kafka error code for the partition's response.
    public var kafkaErrorCode: Int16 {
        switch self {
        case .committed: 0
        case .unknownTopicOrPartition: 3
        case .metadataTooLarge: 12
        case .invalidOffset: 42
        case .tooManyPartitions: 28
        }
    }
}

/// One partition of an OffsetFetch answer.
public struct KafkaFetchedOffset: Sendable, Hashable {
    /// The partition.
    public var partition: KafkaTopicPartition
    /// The committed offset, -1 if there is none.
    public var offset: Int64
    /// The committed leader epoch, -1 if none.
    public var leaderEpoch: Int32
    /// The committed metadata; `nil` for null or no committed offset (Kafka answers "" then).
    public var metadata: String?

    /// A fetched offset.
    public init(_ partition: KafkaTopicPartition, offset: Int64, leaderEpoch: Int32 = -1, metadata: String? = nil) {
        self.partition = partition
        self.offset = offset
        self.leaderEpoch = leaderEpoch
        self.metadata = metadata
    }
}

/// Why a ``KafkaOffsetStore`` request was refused as a whole; ``kafkaErrorCode`` is the Kafka
/// error to answer with (docs/KAFKA.md, "Offsets").
public enum KafkaOffsetStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The name belongs to a Sluice group (Kafka `INCONSISTENT_GROUP_PROTOCOL`, 23).
    case groupKindMismatch(group: String)
    /// The group id is not a valid group name: Sluice group names follow the topic-name rules
    /// (Kafka `INVALID_GROUP_ID`, 24).
    case invalidGroupID(group: String, reason: String)
    /// The commit would create a Kafka group beyond ``KafkaOffsetLimits/maxGroups`` (Kafka
    /// `INVALID_COMMIT_OFFSET_SIZE`, 28, on every partition: not retriable, unlike
    /// `COORDINATOR_NOT_AVAILABLE`).
    case tooManyGroups(limit: Int)
    /// No Kafka group has this name (DeleteGroups; Kafka `GROUP_ID_NOT_FOUND`, 69).
    case unknownGroup(group: String)
    /// The group state log failed (Kafka `UNKNOWN_SERVER_ERROR`, -1; `COORDINATOR_NOT_AVAILABLE`,
    /// 15, would make clients retry against a broken disk).
    case storageFailure(String)

    /// The Kafka error code to answer the request (or each of its partitions) with.
    public var kafkaErrorCode: Int16 {
        switch self {
        case .groupKindMismatch: 23
        case .invalidGroupID: 24
        case .tooManyGroups: 28
        case .unknownGroup: 69
        case .storageFailure: -1
        }
    }

    /// A sentence saying what was refused and why.
    public var description: String {
        switch self {
        case .groupKindMismatch(let group):
            "group '\(group)' is a Sluice group; a Kafka classic group cannot use its name"
        case .invalidGroupID(let group, let reason): "invalid Kafka group id '\(group)': \(reason)"
        case .tooManyGroups(let limit):
            "the group state log holds \(limit) Kafka groups, the limit (maxGroups); delete one to commit for a new one"
        case .unknownGroup(let group): "no Kafka group '\(group)'"
        case .storageFailure(let message): "the group state log failed: \(message)"
        }
    }
}
