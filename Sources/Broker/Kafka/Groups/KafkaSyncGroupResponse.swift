/// The coordinator's answer to a SyncGroup request (the fields of SyncGroup response v0-3).
public struct KafkaSyncGroupResponse: Sendable, Hashable {
    /// The error, `.noError` on success.
    public var errorCode: KafkaGroupErrorCode
    /// The member's assignment from the leader, empty on error.
    public var assignment: [UInt8]

    /// A SyncGroup answer.
    public init(errorCode: KafkaGroupErrorCode, assignment: [UInt8]) {
        self.errorCode = errorCode
        self.assignment = assignment
    }

    /// An error answer with an empty assignment.
    public static func failure(_ errorCode: KafkaGroupErrorCode) -> KafkaSyncGroupResponse {
        KafkaSyncGroupResponse(errorCode: errorCode, assignment: [])
    }
}
