/// Timeouts and limits of the Kafka classic group coordinator (Kafka's `group.*` broker settings, same defaults where
/// Kafka has one).
public struct KafkaClassicGroupConfiguration: Sendable, Hashable {
    /// The smallest session timeout a member may ask for (`group.min.session.timeout.ms`, 6 s); below it the join
    /// is answered `INVALID_SESSION_TIMEOUT`.
    public var minSessionTimeoutMilliseconds: Int32
    /// The largest session timeout a member may ask for (`group.max.session.timeout.ms`, 30 min); above it the join
    /// is answered `INVALID_SESSION_TIMEOUT`.
    public var maxSessionTimeoutMilliseconds: Int32
    /// How long the first rebalance of an empty group waits for more members, extended by this much each time a
    /// member joins meanwhile, up to the rebalance timeout (`group.initial.rebalance.delay.ms`, 3 s).
    public var initialRebalanceDelayMilliseconds: Int32
    /// How long a new member's parked JoinGroup may wait before the member is dropped (Kafka's 5 minutes; a new
    /// member has no member id to heartbeat with).
    public var newMemberJoinTimeoutMilliseconds: Int32
    /// The most members (joined plus pending `MEMBER_ID_REQUIRED` ones) one group holds (`group.max.size`; Kafka's
    /// default is unbounded, ours 1,000); a join beyond it is answered `GROUP_MAX_SIZE_REACHED`.
    public var maxMembersPerGroup: Int
    /// The most classic groups held at once; at the limit an empty group is forgotten to make room, and if none is
    /// empty a new group's join is answered `COORDINATOR_NOT_AVAILABLE` (clients retry).
    public var maxGroups: Int
    /// The most bytes of protocol names and metadata one member may send in a JoinGroup (1 MiB); beyond it the join
    /// is answered `INVALID_REQUEST`.
    public var maxMemberMetadataBytes: Int

    /// The defaults: 6 s / 30 min session bounds, 3 s initial delay, 5 min new member join timeout, 1,000 members
    /// per group, 10,000 groups, 1 MiB of metadata per member.
    public init(
        minSessionTimeoutMilliseconds: Int32 = 6_000,
        maxSessionTimeoutMilliseconds: Int32 = 1_800_000,
        initialRebalanceDelayMilliseconds: Int32 = 3_000,
        newMemberJoinTimeoutMilliseconds: Int32 = 300_000,
        maxMembersPerGroup: Int = 1_000,
        maxGroups: Int = 10_000,
        maxMemberMetadataBytes: Int = 1 << 20
    ) {
        precondition(minSessionTimeoutMilliseconds >= 0, "negative minimum session timeout")
        precondition(minSessionTimeoutMilliseconds <= maxSessionTimeoutMilliseconds, "session bounds inverted")
        precondition(initialRebalanceDelayMilliseconds >= 0, "negative initial rebalance delay")
        precondition(newMemberJoinTimeoutMilliseconds >= 0, "negative new member join timeout")
        precondition(
            maxMembersPerGroup >= 1 && maxGroups >= 1 && maxMemberMetadataBytes >= 0,
            "limits must be positive"
        )
        self.minSessionTimeoutMilliseconds = minSessionTimeoutMilliseconds
        self.maxSessionTimeoutMilliseconds = maxSessionTimeoutMilliseconds
        self.initialRebalanceDelayMilliseconds = initialRebalanceDelayMilliseconds
        self.newMemberJoinTimeoutMilliseconds = newMemberJoinTimeoutMilliseconds
        self.maxMembersPerGroup = maxMembersPerGroup
        self.maxGroups = maxGroups
        self.maxMemberMetadataBytes = maxMemberMetadataBytes
    }
}
