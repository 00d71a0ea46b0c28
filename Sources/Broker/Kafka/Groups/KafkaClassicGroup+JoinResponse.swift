extension KafkaClassicGroup {
    /// The coordinator's answer to a JoinGroup request (the fields of JoinGroup response v0-5).
    public struct JoinResponse: Sendable, Hashable {
        /// One member as the leader sees it: its ids and its metadata for the selected protocol.
        public struct Member: Sendable, Hashable {
            /// The member id.
            public var memberID: String
            /// The static member's `group.instance.id` (v5+), `nil` for a dynamic member.
            public var groupInstanceID: String?
            /// The member's metadata for the group's selected protocol.
            public var metadata: [UInt8]

            /// A member entry.
            public init(memberID: String, groupInstanceID: String?, metadata: [UInt8]) {
                self.memberID = memberID
                self.groupInstanceID = groupInstanceID
                self.metadata = metadata
            }
        }

        /// The error, `.noError` on success.
        public var errorCode: KafkaGroupErrorCode
        /// The generation the member joined, -1 on error.
        public var generationID: Int32
        /// The group's protocol type (v7+ on the wire; kept for describe), `nil` on error.
        public var protocolType: String?
        /// The selected protocol, `nil` on error.
        public var protocolName: String?
        /// The leader's member id, empty on error.
        public var leaderID: String
        /// The member's id (the generated one for a new member and for `MEMBER_ID_REQUIRED`).
        public var memberID: String
        /// Every member with its metadata, for the leader only; empty for followers.
        public var members: [Member]

        /// A JoinGroup answer.
        public init(
            errorCode: KafkaGroupErrorCode,
            generationID: Int32,
            protocolType: String?,
            protocolName: String?,
            leaderID: String,
            memberID: String,
            members: [Member]
        ) {
            self.errorCode = errorCode
            self.generationID = generationID
            self.protocolType = protocolType
            self.protocolName = protocolName
            self.leaderID = leaderID
            self.memberID = memberID
            self.members = members
        }

        /// An error answer: generation -1, no protocol, no leader, no members.
        public static func failure(_ errorCode: KafkaGroupErrorCode, memberID: String) -> KafkaClassicGroup.JoinResponse
        {
            KafkaClassicGroup.JoinResponse(
                errorCode: errorCode,
                generationID: -1,
                protocolType: nil,
                protocolName: nil,
                leaderID: "",
                memberID: memberID,
                members: []
            )
        }
    }
}
