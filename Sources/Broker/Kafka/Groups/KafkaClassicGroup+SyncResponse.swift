extension KafkaClassicGroup {
    /// The coordinator's answer to a SyncGroup request (the fields of SyncGroup response v0-3).
    public struct SyncResponse: Sendable, Hashable {
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
        public static func failure(_ errorCode: KafkaGroupErrorCode) -> KafkaClassicGroup.SyncResponse {
            KafkaClassicGroup.SyncResponse(errorCode: errorCode, assignment: [])
        }
    }
}
