/// One member of a classic group, as the coordinator keeps it.
struct KafkaClassicGroupMember: Sendable, Hashable {
    var memberID: String
    let groupInstanceID: String?
    let clientID: String
    let clientHost: String
    var rebalanceTimeoutMilliseconds: Int32
    var sessionTimeoutMilliseconds: Int32
    let protocolType: String
    /// Supported protocols, most preferred first, names unique.
    var protocols: [KafkaClassicGroup.MemberProtocol]
    /// The leader's assignment for this member and the generation it belongs to (-1: none yet).
    var assignment: [UInt8] = []
    var assignmentGenerationID: Int32 = -1
    /// The parked JoinGroup waiting for the join phase to complete.
    var awaitingJoin: KafkaGroupRequestToken?
    /// The parked SyncGroup waiting for the leader's assignment.
    var awaitingSync: KafkaGroupRequestToken?
    /// A member that has not yet received its first JoinGroup answer (its session is the new member join timeout).
    var isNew: Bool
    /// When the member is removed unless it heartbeats (or is kept alive by a parked join or sync).
    var sessionDeadline: Int64

    /// Whether a parked request keeps the member alive past `sessionDeadline` (Kafka's `hasSatisfiedHeartbeat`):
    /// an existing member waiting in a rebalance is bounded by the rebalance timeout instead.
    var isKeptAliveByParkedRequest: Bool {
        !isNew && (awaitingJoin != nil || awaitingSync != nil)
    }

    /// The member's metadata for a protocol, `nil` if it does not support it.
    func metadata(for protocolName: String) -> [UInt8]? {
        protocols.first { $0.name == protocolName }?.metadata
    }

    /// Whether the member's protocols (names, order and metadata) are exactly these.
    func matches(_ other: [KafkaClassicGroup.MemberProtocol]) -> Bool {
        protocols == other
    }

    /// The member's vote: its most preferred protocol among the candidates.
    func vote(among candidates: Set<String>) -> String? {
        protocols.first { candidates.contains($0.name) }?.name
    }
}
