extension KafkaClassicGroup {
    /// A JoinGroup request (versions 0-5) as the coordinator needs it, decoded by the listener.
    public struct JoinRequest: Sendable, Hashable {
        /// The request's API version: from 4 on, a new dynamic member is first answered `MEMBER_ID_REQUIRED`.
        public var apiVersion: Int16
        /// The group id.
        public var groupID: String
        /// The member's session timeout.
        public var sessionTimeoutMilliseconds: Int32
        /// How long the group waits for members to rejoin (v1+; v0 sends none: pass -1 or the session timeout, and a
        /// negative value is read as the session timeout, as Kafka does for v0).
        public var rebalanceTimeoutMilliseconds: Int32
        /// The member id, empty for a member joining for the first time.
        public var memberID: String
        /// The static member's `group.instance.id` (v5+), `nil` for a dynamic member.
        public var groupInstanceID: String?
        /// The protocol type (`consumer` for consumers).
        public var protocolType: String
        /// The protocols the member supports, most preferred first (a repeated name counts once, its first metadata).
        public var protocols: [KafkaClassicGroup.MemberProtocol]
        /// The request header's client id (the prefix of generated member ids).
        public var clientID: String
        /// The client's address, shown by describe.
        public var clientHost: String

        /// A JoinGroup request.
        public init(
            apiVersion: Int16,
            groupID: String,
            sessionTimeoutMilliseconds: Int32,
            rebalanceTimeoutMilliseconds: Int32,
            memberID: String,
            groupInstanceID: String? = nil,
            protocolType: String,
            protocols: [KafkaClassicGroup.MemberProtocol],
            clientID: String,
            clientHost: String = ""
        ) {
            self.apiVersion = apiVersion
            self.groupID = groupID
            self.sessionTimeoutMilliseconds = sessionTimeoutMilliseconds
            self.rebalanceTimeoutMilliseconds = rebalanceTimeoutMilliseconds
            self.memberID = memberID
            self.groupInstanceID = groupInstanceID
            self.protocolType = protocolType
            self.protocols = protocols
            self.clientID = clientID
            self.clientHost = clientHost
        }

        /// Whether a new dynamic member must first obtain its id (`MEMBER_ID_REQUIRED`): JoinGroup v4 and later.
        public var requiresKnownMemberID: Bool { apiVersion >= 4 }

        /// The rebalance timeout in effect: the session timeout when the request carries none (v0, or negative).
        public var effectiveRebalanceTimeoutMilliseconds: Int32 {
            rebalanceTimeoutMilliseconds < 0 ? sessionTimeoutMilliseconds : rebalanceTimeoutMilliseconds
        }
    }
}
