/// Whether an OffsetCommit may be stored, as decided by the group coordinator from its generation and member
/// checks. The offsets themselves are stored by the caller (in Sluice's durable group state).
public enum KafkaOffsetCommitDecision: Sendable, Hashable {
    /// Store the offsets.
    case accept
    /// Do not store them; answer every partition of the request with this error.
    case reject(KafkaGroupErrorCode)

    /// The error code to answer each partition with (`.noError` when accepted).
    public var errorCode: KafkaGroupErrorCode {
        switch self {
        case .accept: .noError
        case .reject(let code): code
        }
    }
}
