/// A Kafka error code: the INT16 in every response (`ErrorCode` fields), with Kafka's numbers.
///
/// Any INT16 is representable, so a code this module does not name still round-trips. The named
/// codes are the ones Sluice's Kafka listener answers with, checked against Kafka's
/// `org.apache.kafka.common.protocol.Errors`; ``name`` gives Kafka's constant name.
public struct KafkaErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The code's number on the wire.
    public let rawValue: Int16

    /// Creates a code from its number; unknown numbers are allowed.
    public init(rawValue: Int16) { self.rawValue = rawValue }

    /// UNKNOWN_SERVER_ERROR (-1): The broker failed in a way no other code describes.
    public static let unknownServerError = KafkaErrorCode(rawValue: -1)
    /// NONE (0): No error.
    public static let none = KafkaErrorCode(rawValue: 0)
    /// OFFSET_OUT_OF_RANGE (1): The requested offset is outside the partition's range.
    public static let offsetOutOfRange = KafkaErrorCode(rawValue: 1)
    /// CORRUPT_MESSAGE (2): A record batch failed its CRC or size check, or is otherwise corrupt.
    public static let corruptMessage = KafkaErrorCode(rawValue: 2)
    /// UNKNOWN_TOPIC_OR_PARTITION (3): The topic or partition does not exist on this broker.
    public static let unknownTopicOrPartition = KafkaErrorCode(rawValue: 3)
    /// INVALID_FETCH_SIZE (4): The requested fetch size is invalid.
    public static let invalidFetchSize = KafkaErrorCode(rawValue: 4)
    /// LEADER_NOT_AVAILABLE (5): The partition has no leader right now (for example while a topic is being created).
    public static let leaderNotAvailable = KafkaErrorCode(rawValue: 5)
    /// NOT_LEADER_OR_FOLLOWER (6): This broker is not the partition's leader.
    public static let notLeaderOrFollower = KafkaErrorCode(rawValue: 6)
    /// REQUEST_TIMED_OUT (7): The request timed out.
    public static let requestTimedOut = KafkaErrorCode(rawValue: 7)
    /// MESSAGE_TOO_LARGE (10): A record batch is larger than the broker accepts.
    public static let messageTooLarge = KafkaErrorCode(rawValue: 10)
    /// OFFSET_METADATA_TOO_LARGE (12): An offset commit's metadata string is too large.
    public static let offsetMetadataTooLarge = KafkaErrorCode(rawValue: 12)
    /// COORDINATOR_LOAD_IN_PROGRESS (14): The group coordinator is still loading its state.
    public static let coordinatorLoadInProgress = KafkaErrorCode(rawValue: 14)
    /// COORDINATOR_NOT_AVAILABLE (15): The group coordinator is not available.
    public static let coordinatorNotAvailable = KafkaErrorCode(rawValue: 15)
    /// NOT_COORDINATOR (16): This broker is not the group's coordinator.
    public static let notCoordinator = KafkaErrorCode(rawValue: 16)
    /// INVALID_TOPIC_EXCEPTION (17): The topic name is invalid.
    public static let invalidTopicException = KafkaErrorCode(rawValue: 17)
    /// RECORD_LIST_TOO_LARGE (18): The batch is larger than the broker's segment size.
    public static let recordListTooLarge = KafkaErrorCode(rawValue: 18)
    /// INVALID_REQUIRED_ACKS (21): A produce request's acks is not 0, 1 or -1.
    public static let invalidRequiredAcks = KafkaErrorCode(rawValue: 21)
    /// ILLEGAL_GENERATION (22): The group generation id is not the current one.
    public static let illegalGeneration = KafkaErrorCode(rawValue: 22)
    /// INCONSISTENT_GROUP_PROTOCOL (23): The member's protocols are incompatible with the group's.
    public static let inconsistentGroupProtocol = KafkaErrorCode(rawValue: 23)
    /// INVALID_GROUP_ID (24): The group id is empty or invalid.
    public static let invalidGroupID = KafkaErrorCode(rawValue: 24)
    /// UNKNOWN_MEMBER_ID (25): The coordinator does not know this member id.
    public static let unknownMemberID = KafkaErrorCode(rawValue: 25)
    /// INVALID_SESSION_TIMEOUT (26): The session timeout is outside the broker's allowed range.
    public static let invalidSessionTimeout = KafkaErrorCode(rawValue: 26)
    /// REBALANCE_IN_PROGRESS (27): The group is rebalancing; the member must rejoin.
    public static let rebalanceInProgress = KafkaErrorCode(rawValue: 27)
    /// INVALID_COMMIT_OFFSET_SIZE (28): The committed offset data is too large.
    public static let invalidCommitOffsetSize = KafkaErrorCode(rawValue: 28)
    /// TOPIC_AUTHORIZATION_FAILED (29): The client may not access the topic.
    public static let topicAuthorizationFailed = KafkaErrorCode(rawValue: 29)
    /// GROUP_AUTHORIZATION_FAILED (30): The client may not access the group.
    public static let groupAuthorizationFailed = KafkaErrorCode(rawValue: 30)
    /// CLUSTER_AUTHORIZATION_FAILED (31): The client may not perform cluster operations.
    public static let clusterAuthorizationFailed = KafkaErrorCode(rawValue: 31)
    /// INVALID_TIMESTAMP (32): A record timestamp is out of the accepted range.
    public static let invalidTimestamp = KafkaErrorCode(rawValue: 32)
    /// UNSUPPORTED_VERSION (35): The API version is not supported.
    public static let unsupportedVersion = KafkaErrorCode(rawValue: 35)
    /// TOPIC_ALREADY_EXISTS (36): A topic of that name already exists.
    public static let topicAlreadyExists = KafkaErrorCode(rawValue: 36)
    /// INVALID_PARTITIONS (37): The partition count is invalid.
    public static let invalidPartitions = KafkaErrorCode(rawValue: 37)
    /// INVALID_REPLICATION_FACTOR (38): The replication factor is invalid.
    public static let invalidReplicationFactor = KafkaErrorCode(rawValue: 38)
    /// INVALID_REPLICA_ASSIGNMENT (39): The replica assignment is invalid.
    public static let invalidReplicaAssignment = KafkaErrorCode(rawValue: 39)
    /// INVALID_CONFIG (40): A configuration value is invalid.
    public static let invalidConfig = KafkaErrorCode(rawValue: 40)
    /// NOT_CONTROLLER (41): This broker is not the controller.
    public static let notController = KafkaErrorCode(rawValue: 41)
    /// INVALID_REQUEST (42): The request is malformed or not valid for this broker.
    public static let invalidRequest = KafkaErrorCode(rawValue: 42)
    /// UNSUPPORTED_FOR_MESSAGE_FORMAT (43): The message format does not support the request.
    public static let unsupportedForMessageFormat = KafkaErrorCode(rawValue: 43)
    /// POLICY_VIOLATION (44): The request violates a broker policy.
    public static let policyViolation = KafkaErrorCode(rawValue: 44)
    /// OUT_OF_ORDER_SEQUENCE_NUMBER (45): An idempotent producer's sequence number skipped ahead.
    public static let outOfOrderSequenceNumber = KafkaErrorCode(rawValue: 45)
    /// DUPLICATE_SEQUENCE_NUMBER (46): An idempotent producer's batch was already written.
    public static let duplicateSequenceNumber = KafkaErrorCode(rawValue: 46)
    /// INVALID_PRODUCER_EPOCH (47): The producer's epoch is stale (a newer producer took over).
    public static let invalidProducerEpoch = KafkaErrorCode(rawValue: 47)
    /// INVALID_TXN_STATE (48): The transactional operation is invalid in the producer's state.
    public static let invalidTransactionState = KafkaErrorCode(rawValue: 48)
    /// INVALID_PRODUCER_ID_MAPPING (49): The producer id is not assigned to this transactional id.
    public static let invalidProducerIDMapping = KafkaErrorCode(rawValue: 49)
    /// TRANSACTIONAL_ID_AUTHORIZATION_FAILED (53): The client may not use the transactional id.
    public static let transactionalIDAuthorizationFailed = KafkaErrorCode(rawValue: 53)
    /// KAFKA_STORAGE_ERROR (56): A disk error on the broker.
    public static let kafkaStorageError = KafkaErrorCode(rawValue: 56)
    /// UNKNOWN_PRODUCER_ID (59): The broker has no state for this producer id.
    public static let unknownProducerID = KafkaErrorCode(rawValue: 59)
    /// NON_EMPTY_GROUP (68): The group still has members.
    public static let nonEmptyGroup = KafkaErrorCode(rawValue: 68)
    /// GROUP_ID_NOT_FOUND (69): No group with that id exists.
    public static let groupIDNotFound = KafkaErrorCode(rawValue: 69)
    /// FETCH_SESSION_ID_NOT_FOUND (70): The fetch session id is unknown.
    public static let fetchSessionIDNotFound = KafkaErrorCode(rawValue: 70)
    /// INVALID_FETCH_SESSION_EPOCH (71): The fetch session epoch is invalid.
    public static let invalidFetchSessionEpoch = KafkaErrorCode(rawValue: 71)
    /// FENCED_LEADER_EPOCH (74): The request's leader epoch is older than the broker's.
    public static let fencedLeaderEpoch = KafkaErrorCode(rawValue: 74)
    /// UNKNOWN_LEADER_EPOCH (75): The request's leader epoch is newer than the broker's.
    public static let unknownLeaderEpoch = KafkaErrorCode(rawValue: 75)
    /// UNSUPPORTED_COMPRESSION_TYPE (76): The broker does not support the batch's compression type.
    public static let unsupportedCompressionType = KafkaErrorCode(rawValue: 76)
    /// OFFSET_NOT_AVAILABLE (78): The offset is not available yet.
    public static let offsetNotAvailable = KafkaErrorCode(rawValue: 78)
    /// MEMBER_ID_REQUIRED (79): The member must rejoin with the member id the broker just assigned.
    public static let memberIDRequired = KafkaErrorCode(rawValue: 79)
    /// GROUP_MAX_SIZE_REACHED (81): The group has reached its maximum size.
    public static let groupMaxSizeReached = KafkaErrorCode(rawValue: 81)
    /// FENCED_INSTANCE_ID (82): Another member registered with the same group instance id.
    public static let fencedInstanceID = KafkaErrorCode(rawValue: 82)
    /// GROUP_SUBSCRIBED_TO_TOPIC (86): The group is subscribed to the topic.
    public static let groupSubscribedToTopic = KafkaErrorCode(rawValue: 86)
    /// INVALID_RECORD (87): A record failed the broker's validation; the batch was dropped.
    public static let invalidRecord = KafkaErrorCode(rawValue: 87)
    /// UNSTABLE_OFFSET_COMMIT (88): There are unstable offsets pending for the partition.
    public static let unstableOffsetCommit = KafkaErrorCode(rawValue: 88)
    /// THROTTLING_QUOTA_EXCEEDED (89): A quota was exceeded and the request throttled.
    public static let throttlingQuotaExceeded = KafkaErrorCode(rawValue: 89)
    /// PRODUCER_FENCED (90): A newer producer with the same transactional id fenced this one.
    public static let producerFenced = KafkaErrorCode(rawValue: 90)

    /// Kafka's constant name (`"UNSUPPORTED_VERSION"`), or nil for a code not named here.
    public var name: String? {
        switch rawValue {
        case -1: "UNKNOWN_SERVER_ERROR"
        case 0: "NONE"
        case 1: "OFFSET_OUT_OF_RANGE"
        case 2: "CORRUPT_MESSAGE"
        case 3: "UNKNOWN_TOPIC_OR_PARTITION"
        case 4: "INVALID_FETCH_SIZE"
        case 5: "LEADER_NOT_AVAILABLE"
        case 6: "NOT_LEADER_OR_FOLLOWER"
        case 7: "REQUEST_TIMED_OUT"
        case 10: "MESSAGE_TOO_LARGE"
        case 12: "OFFSET_METADATA_TOO_LARGE"
        case 14: "COORDINATOR_LOAD_IN_PROGRESS"
        case 15: "COORDINATOR_NOT_AVAILABLE"
        case 16: "NOT_COORDINATOR"
        case 17: "INVALID_TOPIC_EXCEPTION"
        case 18: "RECORD_LIST_TOO_LARGE"
        case 21: "INVALID_REQUIRED_ACKS"
        case 22: "ILLEGAL_GENERATION"
        case 23: "INCONSISTENT_GROUP_PROTOCOL"
        case 24: "INVALID_GROUP_ID"
        case 25: "UNKNOWN_MEMBER_ID"
        case 26: "INVALID_SESSION_TIMEOUT"
        case 27: "REBALANCE_IN_PROGRESS"
        case 28: "INVALID_COMMIT_OFFSET_SIZE"
        case 29: "TOPIC_AUTHORIZATION_FAILED"
        case 30: "GROUP_AUTHORIZATION_FAILED"
        case 31: "CLUSTER_AUTHORIZATION_FAILED"
        case 32: "INVALID_TIMESTAMP"
        case 35: "UNSUPPORTED_VERSION"
        case 36: "TOPIC_ALREADY_EXISTS"
        case 37: "INVALID_PARTITIONS"
        case 38: "INVALID_REPLICATION_FACTOR"
        case 39: "INVALID_REPLICA_ASSIGNMENT"
        case 40: "INVALID_CONFIG"
        case 41: "NOT_CONTROLLER"
        case 42: "INVALID_REQUEST"
        case 43: "UNSUPPORTED_FOR_MESSAGE_FORMAT"
        case 44: "POLICY_VIOLATION"
        case 45: "OUT_OF_ORDER_SEQUENCE_NUMBER"
        case 46: "DUPLICATE_SEQUENCE_NUMBER"
        case 47: "INVALID_PRODUCER_EPOCH"
        case 48: "INVALID_TXN_STATE"
        case 49: "INVALID_PRODUCER_ID_MAPPING"
        case 53: "TRANSACTIONAL_ID_AUTHORIZATION_FAILED"
        case 56: "KAFKA_STORAGE_ERROR"
        case 59: "UNKNOWN_PRODUCER_ID"
        case 68: "NON_EMPTY_GROUP"
        case 69: "GROUP_ID_NOT_FOUND"
        case 70: "FETCH_SESSION_ID_NOT_FOUND"
        case 71: "INVALID_FETCH_SESSION_EPOCH"
        case 74: "FENCED_LEADER_EPOCH"
        case 75: "UNKNOWN_LEADER_EPOCH"
        case 76: "UNSUPPORTED_COMPRESSION_TYPE"
        case 78: "OFFSET_NOT_AVAILABLE"
        case 79: "MEMBER_ID_REQUIRED"
        case 81: "GROUP_MAX_SIZE_REACHED"
        case 82: "FENCED_INSTANCE_ID"
        case 86: "GROUP_SUBSCRIBED_TO_TOPIC"
        case 87: "INVALID_RECORD"
        case 88: "UNSTABLE_OFFSET_COMMIT"
        case 89: "THROTTLING_QUOTA_EXCEEDED"
        case 90: "PRODUCER_FENCED"
        default: nil
        }
    }

    /// `"UNSUPPORTED_VERSION(35)"`, or `"UNKNOWN(123)"`.
    public var description: String { "\(name ?? "UNKNOWN")(\(rawValue))" }
}
