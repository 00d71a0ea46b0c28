extension KafkaClassicGroup {
    /// A Heartbeat request (versions 0-3) as the coordinator needs it; the answer is a `KafkaGroupErrorCode`.
    public struct HeartbeatRequest: Sendable, Hashable {
        /// The group id.
        public var groupID: String
        /// The generation the member believes current.
        public var generationID: Int32
        /// The member id.
        public var memberID: String
        /// The static member's `group.instance.id` (v3+), `nil` for a dynamic member.
        public var groupInstanceID: String?

        /// A Heartbeat request.
        public init(groupID: String, generationID: Int32, memberID: String, groupInstanceID: String? = nil) {
            self.groupID = groupID
            self.generationID = generationID
            self.memberID = memberID
            self.groupInstanceID = groupInstanceID
        }
    }
}
