import BrokerProtocol
import KafkaProtocol

/// The one table from Sluice's error codes to Kafka's (docs/KAFKA.md "Error codes on the Kafka
/// listener"). Every per-partition error the Kafka listener returns goes through it.
enum KafkaErrorMapping {
    /// The Kafka error code a client gets for a Sluice `code`.
    ///
    /// Choices: `shuttingDown` becomes NOT_LEADER_OR_FOLLOWER, a retriable error after which
    /// clients refresh their metadata and retry (as they do when a Kafka partition moves);
    /// `limitExceeded` (a named broker limit) becomes POLICY_VIOLATION; anything without a Kafka
    /// counterpart becomes UNKNOWN_SERVER_ERROR.
    static func kafkaCode(for code: ErrorCode) -> KafkaErrorCode {
        switch code {
        case .none: .none
        case .unknownTopic, .unknownPartition: .unknownTopicOrPartition
        case .offsetOutOfRange: .offsetOutOfRange
        case .corruptRecordBatch: .corruptMessage
        case .recordBatchTooLarge, .frameTooLarge: .messageTooLarge
        case .storageError, .offsetsLost: .kafkaStorageError
        case .outOfOrderSequence: .outOfOrderSequenceNumber
        case .unknownProducer: .unknownProducerID
        case .invalidTimestamp: .invalidTimestamp
        case .requestTimedOut: .requestTimedOut
        case .shuttingDown: .notLeaderOrFollower
        case .topicAlreadyExists: .topicAlreadyExists
        case .invalidTopicName, .reservedTopicName: .invalidTopicException
        case .invalidTopicConfiguration: .invalidConfig
        case .limitExceeded: .policyViolation
        case .invalidRequest, .malformedRequest: .invalidRequest
        case .unsupportedAPI, .unsupportedVersion: .unsupportedVersion
        default: .unknownServerError
        }
    }
}
