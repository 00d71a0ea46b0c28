/// A stable numeric error code carried on the wire (Int16), with a default message.
///
/// Codes never change meaning once published; new ones are added at the end. The table is in
/// `docs/PROTOCOL.md`.
public struct ErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int16

    public init(rawValue: Int16) { self.rawValue = rawValue }

    /// No error.
    public static let none = ErrorCode(rawValue: 0)
    /// The broker failed in a way no other code describes; the message says how.
    public static let unknownServerError = ErrorCode(rawValue: 1)
    /// The request's bytes do not decode as its API and version say.
    public static let malformedRequest = ErrorCode(rawValue: 2)
    /// The API key is not one this broker serves.
    public static let unsupportedAPI = ErrorCode(rawValue: 3)
    /// The API is served but not at this version.
    public static let unsupportedVersion = ErrorCode(rawValue: 4)
    /// The frame is larger than the broker's `maxFrameBytes`; the connection closes.
    public static let frameTooLarge = ErrorCode(rawValue: 5)
    /// No topic of that name exists (and auto-creation is off).
    public static let unknownTopic = ErrorCode(rawValue: 6)
    /// The topic has no such partition.
    public static let unknownPartition = ErrorCode(rawValue: 7)
    /// A topic of that name already exists.
    public static let topicAlreadyExists = ErrorCode(rawValue: 8)
    /// The topic name is not 1-249 characters of `[A-Za-z0-9._-]`, or is `.` or `..`.
    public static let invalidTopicName = ErrorCode(rawValue: 9)
    /// Topic names starting with `__` are reserved for the broker.
    public static let reservedTopicName = ErrorCode(rawValue: 10)
    /// A partition count or topic setting is out of range.
    public static let invalidTopicConfiguration = ErrorCode(rawValue: 11)
    /// The offset is outside the partition's `[logStartOffset, logEndOffset]`.
    public static let offsetOutOfRange = ErrorCode(rawValue: 12)
    /// A record batch failed validation (length, magic, CRC, records).
    public static let corruptRecordBatch = ErrorCode(rawValue: 13)
    /// A record batch is larger than the broker's message size limit.
    public static let recordBatchTooLarge = ErrorCode(rawValue: 14)
    /// The storage engine failed (disk full, I/O error); the message carries the system error.
    public static let storageError = ErrorCode(rawValue: 15)
    /// An idempotent producer's batch skipped sequence numbers.
    public static let outOfOrderSequence = ErrorCode(rawValue: 16)
    /// The producer id is unknown or its epoch is stale.
    public static let unknownProducer = ErrorCode(rawValue: 17)
    /// A named limit was reached (connections, in-flight bytes, …); the message names it.
    public static let limitExceeded = ErrorCode(rawValue: 18)
    /// A request field has a value the API does not accept; the message says which.
    public static let invalidRequest = ErrorCode(rawValue: 19)
    /// The broker is shutting down and takes no new work.
    public static let shuttingDown = ErrorCode(rawValue: 20)
    /// The request timed out waiting (for example for a durable flush).
    public static let requestTimedOut = ErrorCode(rawValue: 21)
    /// A record timestamp is out of range: below -1, overflowing, or too far after the broker's
    /// clock.
    public static let invalidTimestamp = ErrorCode(rawValue: 22)
    /// The fetched offset lies in a range that damage on disk took: no valid record holds these
    /// offsets. A fetch carries the range (``FetchResponse/PartitionData/lostOffsets``); read on
    /// from its end.
    public static let offsetsLost = ErrorCode(rawValue: 23)
    /// No consumer group of that name exists.
    public static let unknownGroup = ErrorCode(rawValue: 24)
    /// The group has connected members: reset and delete need it empty.
    public static let groupHasMembers = ErrorCode(rawValue: 25)
    /// A subscribe asked for a setting that differs from the existing group's; the message names
    /// the setting and both values.
    public static let groupSettingsConflict = ErrorCode(rawValue: 26)
    /// The connection has no open subscription with that id.
    public static let unknownSubscription = ErrorCode(rawValue: 27)
    /// The offset is not in flight for this subscription (acknowledging an offset already finished
    /// is not an error).
    public static let notDelivered = ErrorCode(rawValue: 28)
    /// The group name is not 1-249 characters of `[A-Za-z0-9._-]`, or starts with `__`.
    public static let invalidGroupName = ErrorCode(rawValue: 29)
    /// The group name belongs to the other kind of group (Kafka classic or Sluice).
    public static let groupKindMismatch = ErrorCode(rawValue: 30)

    /// The default message for the code.
    public var description: String {
        switch self {
        case .none: "no error"
        case .unknownServerError: "unknown server error"
        case .malformedRequest: "malformed request"
        case .unsupportedAPI: "unsupported API"
        case .unsupportedVersion: "unsupported API version"
        case .frameTooLarge: "frame too large"
        case .unknownTopic: "unknown topic"
        case .unknownPartition: "unknown partition"
        case .topicAlreadyExists: "topic already exists"
        case .invalidTopicName: "invalid topic name"
        case .reservedTopicName: "reserved topic name"
        case .invalidTopicConfiguration: "invalid topic configuration"
        case .offsetOutOfRange: "offset out of range"
        case .corruptRecordBatch: "corrupt record batch"
        case .recordBatchTooLarge: "record batch too large"
        case .storageError: "storage error"
        case .outOfOrderSequence: "out of order sequence number"
        case .unknownProducer: "unknown producer"
        case .limitExceeded: "limit exceeded"
        case .invalidRequest: "invalid request"
        case .shuttingDown: "broker shutting down"
        case .requestTimedOut: "request timed out"
        case .invalidTimestamp: "invalid timestamp"
        case .offsetsLost: "offsets lost"
        case .unknownGroup: "unknown group"
        case .groupHasMembers: "group has members"
        case .groupSettingsConflict: "group settings conflict"
        case .unknownSubscription: "unknown subscription"
        case .notDelivered: "not delivered"
        case .invalidGroupName: "invalid group name"
        case .groupKindMismatch: "group kind mismatch"
        default: "error \(rawValue)"
        }
    }
}
