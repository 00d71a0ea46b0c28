/// The Kafka error codes the classic group coordinator answers with (Kafka's `Errors`, same numbers on the wire).
///
/// The coordinator is a pure state machine in the `Broker` target and does not depend on the Kafka codec target, so
/// it names its own codes; the listener writes `rawValue` as the response's `ErrorCode` field.
public enum KafkaGroupErrorCode: Int16, Sendable, Hashable, CustomStringConvertible {
    /// No error (Kafka's `NONE`; not named `none`, which would read as `Optional.none` in comparisons).
    case noError = 0
    /// An unexpected failure on the broker.
    case unknownServerError = -1
    /// The coordinator cannot serve the group now (a dead group, or the group limit reached); clients retry.
    case coordinatorNotAvailable = 15
    /// This broker is not (or no longer) the group's coordinator; clients find the coordinator again.
    case notCoordinator = 16
    /// The request's generation is not the group's current generation.
    case illegalGeneration = 22
    /// The member's protocol type or protocols do not match the group's.
    case inconsistentGroupProtocol = 23
    /// The group id is empty.
    case invalidGroupID = 24
    /// The member id is not known to the group.
    case unknownMemberID = 25
    /// The session timeout is outside `group.min.session.timeout.ms ... group.max.session.timeout.ms`.
    case invalidSessionTimeout = 26
    /// The group is rebalancing; the member must rejoin.
    case rebalanceInProgress = 27
    /// The request breaks a limit of this broker (e.g. the member's protocol metadata is too large).
    case invalidRequest = 42
    /// The group cannot be deleted because it still has members.
    case nonEmptyGroup = 68
    /// A JoinGroup v4+ from a new dynamic member: the response carries the member id to rejoin with.
    case memberIDRequired = 79
    /// The group already has `maxMembersPerGroup` members.
    case groupMaxSizeReached = 81
    /// Another member now holds this static member's `group.instance.id`.
    case fencedInstanceID = 82

    /// Kafka's name of the code (as in `Errors`), for logs and messages.
    public var description: String {
        switch self {
        case .noError: "NONE"
        case .unknownServerError: "UNKNOWN_SERVER_ERROR"
        case .coordinatorNotAvailable: "COORDINATOR_NOT_AVAILABLE"
        case .notCoordinator: "NOT_COORDINATOR"
        case .illegalGeneration: "ILLEGAL_GENERATION"
        case .inconsistentGroupProtocol: "INCONSISTENT_GROUP_PROTOCOL"
        case .invalidGroupID: "INVALID_GROUP_ID"
        case .unknownMemberID: "UNKNOWN_MEMBER_ID"
        case .invalidSessionTimeout: "INVALID_SESSION_TIMEOUT"
        case .rebalanceInProgress: "REBALANCE_IN_PROGRESS"
        case .invalidRequest: "INVALID_REQUEST"
        case .nonEmptyGroup: "NON_EMPTY_GROUP"
        case .memberIDRequired: "MEMBER_ID_REQUIRED"
        case .groupMaxSizeReached: "GROUP_MAX_SIZE_REACHED"
        case .fencedInstanceID: "FENCED_INSTANCE_ID"
        }
    }
}
