extension KafkaClassicGroup {
    /// A LeaveGroup request: one member (versions 0-2) or a batch of members (version 3).
    public struct LeaveRequest: Sendable, Hashable {
        /// One leaving member.
        public struct Member: Sendable, Hashable {
            /// The member id; may be empty for a static member named by its instance id alone.
            public var memberID: String
            /// The static member's `group.instance.id` (v3+), `nil` for a dynamic member.
            public var groupInstanceID: String?

            /// A leaving member.
            public init(memberID: String, groupInstanceID: String? = nil) {
                self.memberID = memberID
                self.groupInstanceID = groupInstanceID
            }
        }

        /// The group id.
        public var groupID: String
        /// The leaving members (exactly one for versions 0-2).
        public var members: [Member]

        /// A LeaveGroup request.
        public init(groupID: String, members: [Member]) {
            self.groupID = groupID
            self.members = members
        }

        /// A version 0-2 request: the one member `memberID` leaves.
        public init(groupID: String, memberID: String) {
            self.init(groupID: groupID, members: [Member(memberID: memberID)])
        }
    }
}
