extension KafkaClassicGroup {
    /// A SyncGroup request (versions 0-3) as the coordinator needs it.
    public struct SyncRequest: Sendable, Hashable {
        /// One entry of the leader's assignment.
        public struct Assignment: Sendable, Hashable {
            /// The member the assignment is for.
            public var memberID: String
            /// The assignment bytes, opaque to the coordinator.
            public var assignment: [UInt8]

            /// An assignment entry.
            public init(memberID: String, assignment: [UInt8]) {
                self.memberID = memberID
                self.assignment = assignment
            }
        }

        /// The group id.
        public var groupID: String
        /// The generation the member joined.
        public var generationID: Int32
        /// The member id.
        public var memberID: String
        /// The static member's `group.instance.id` (v3+), `nil` for a dynamic member.
        public var groupInstanceID: String?
        /// The leader's assignment (empty from followers). Entries for ids that are not members are ignored; a member
        /// without an entry gets an empty assignment; a repeated id keeps its first entry.
        public var assignments: [Assignment]

        /// A SyncGroup request.
        public init(
            groupID: String,
            generationID: Int32,
            memberID: String,
            groupInstanceID: String? = nil,
            assignments: [Assignment] = []
        ) {
            self.groupID = groupID
            self.generationID = generationID
            self.memberID = memberID
            self.groupInstanceID = groupInstanceID
            self.assignments = assignments
        }
    }
}
