extension KafkaClassicGroup {
    /// The coordinator's answer to a LeaveGroup request.
    ///
    /// Version 3 sends `errorCode` and one entry per member; versions 0-2 send only an error code, which is
    /// `singleMemberErrorCode` (the group-level error, or else the one member's).
    public struct LeaveResponse: Sendable, Hashable {
        /// One member's outcome.
        public struct Member: Sendable, Hashable {
            /// The member id as the request named it.
            public var memberID: String
            /// The static member's `group.instance.id` as the request named it.
            public var groupInstanceID: String?
            /// `.noError`, `.unknownMemberID` or `.fencedInstanceID`.
            public var errorCode: KafkaGroupErrorCode

            /// A member outcome.
            public init(memberID: String, groupInstanceID: String?, errorCode: KafkaGroupErrorCode) {
                self.memberID = memberID
                self.groupInstanceID = groupInstanceID
                self.errorCode = errorCode
            }
        }

        /// The group-level error (`.noError` when the group could be looked at; per-member errors are in `members`).
        public var errorCode: KafkaGroupErrorCode
        /// One outcome per requested member, in request order (empty when `errorCode` is not `.noError`).
        public var members: [Member]

        /// A LeaveGroup answer.
        public init(errorCode: KafkaGroupErrorCode, members: [Member]) {
            self.errorCode = errorCode
            self.members = members
        }

        /// The error code of a version 0-2 answer: the group-level error, or else the first member's.
        public var singleMemberErrorCode: KafkaGroupErrorCode {
            errorCode != .noError ? errorCode : (members.first?.errorCode ?? .noError)
        }
    }
}
