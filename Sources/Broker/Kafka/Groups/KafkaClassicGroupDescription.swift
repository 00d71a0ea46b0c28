/// A snapshot of a classic group for describe and list (Kafka's DescribeGroups fields).
public struct KafkaClassicGroupDescription: Sendable, Hashable {
    /// One member of the snapshot.
    public struct Member: Sendable, Hashable {
        /// The member id.
        public var memberID: String
        /// The static member's `group.instance.id`, `nil` for a dynamic member.
        public var groupInstanceID: String?
        /// The client id the member joined with.
        public var clientID: String
        /// The client's address.
        public var clientHost: String
        /// The member's metadata for the selected protocol (empty before one is selected).
        public var metadata: [UInt8]
        /// The member's current assignment (empty before the leader's sync).
        public var assignment: [UInt8]
        /// The generation the assignment belongs to, -1 if none.
        public var assignmentGenerationID: Int32
    }

    /// The group id.
    public var groupID: String
    /// The group's state.
    public var state: KafkaClassicGroupState
    /// The current generation (0 before the first join completes).
    public var generationID: Int32
    /// The protocol type of the members (kept while the group is empty), `nil` if none ever joined.
    public var protocolType: String?
    /// The selected protocol of the current generation, `nil` when empty.
    public var protocolName: String?
    /// The leader's member id, `nil` when there are no members.
    public var leaderID: String?
    /// The members, in join order.
    public var members: [Member]
    /// Members that were handed an id with `MEMBER_ID_REQUIRED` and have not joined with it yet.
    public var pendingMemberCount: Int
}
