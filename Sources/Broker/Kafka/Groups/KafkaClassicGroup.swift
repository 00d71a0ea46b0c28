/// One Kafka classic consumer group, as a pure state machine: the group coordinator's decisions (Kafka's
/// `ClassicGroup` and the classic half of its `GroupMetadataManager`) with no I/O and no clock of its own.
///
/// Every operation takes the time (`now`, milliseconds on any monotonic scale) and returns the answers to send as
/// `KafkaClassicGroupOutput`s: a JoinGroup or SyncGroup may be answered at once, or parked and answered by a later
/// operation or by `tick(now:)` (a join waiting for the other members, a sync waiting for the leader). The caller
/// calls `tick(now:)` at `nextDeadline` (or later; earlier does nothing) so that session timeouts, the rebalance
/// timeout and the initial rebalance delay take effect. Every operation first applies the deadlines already due.
///
/// States, transitions, timeouts and errors are described in docs/KAFKA.md, "Classic consumer groups".
public struct KafkaClassicGroup: Sendable {
    /// The group id.
    public let groupID: String
    /// The timeouts and limits.
    public let configuration: KafkaClassicGroupConfiguration
    /// The current state.
    public internal(set) var state: KafkaClassicGroupState = .empty
    /// The state before the current one (an initial rebalance is one that started from `.empty`).
    var previousState: KafkaClassicGroupState = .empty
    /// The time of the last state change.
    public internal(set) var stateChangedAtMilliseconds: Int64
    /// The current generation: 0 at creation, +1 each time a join phase completes.
    public internal(set) var generationID: Int32 = 0
    /// The members' protocol type, set by the first member to join an empty group.
    public internal(set) var protocolType: String?
    /// The protocol selected for the current generation.
    public internal(set) var protocolName: String?
    /// The leader's member id: the first member to join, or a rejoined member when the leader did not rejoin.
    public internal(set) var leaderID: String?

    var members: [String: KafkaClassicGroupMember] = [:]
    /// Member ids in join order (leader election and answers are deterministic).
    var memberOrder: [String] = []
    /// `group.instance.id` to member id, for static members.
    var staticMembers: [String: String] = [:]
    /// Ids handed out with `MEMBER_ID_REQUIRED`, with the time they expire unless the member joins with them.
    var pendingMembers: [String: Int64] = [:]
    /// Members of the current generation that have not sent their SyncGroup yet.
    var pendingSyncMembers: Set<String> = []
    /// When the join phase completes (PreparingRebalance only).
    var joinDeadline: Int64?
    /// During an initial rebalance: whether a member joined during the current delay, and the rebalance time left.
    var initialDelay: (newMemberAdded: Bool, remainingMilliseconds: Int64)?
    /// When members of `pendingSyncMembers` are removed and a rebalance starts (Kafka's pending sync timeout).
    var syncDeadline: Int64?
    var memberIDGenerator: KafkaMemberIDGenerator

    /// An empty group.
    /// - Parameters:
    ///   - groupID: the group id.
    ///   - configuration: timeouts and limits.
    ///   - memberIDGenerator: where member ids come from (`.system` outside tests).
    ///   - now: the creation time.
    public init(
        groupID: String,
        configuration: KafkaClassicGroupConfiguration = KafkaClassicGroupConfiguration(),
        memberIDGenerator: KafkaMemberIDGenerator = .system,
        now: Int64
    ) {
        self.groupID = groupID
        self.configuration = configuration
        self.memberIDGenerator = memberIDGenerator
        self.stateChangedAtMilliseconds = now
    }

    /// The number of members (pending `MEMBER_ID_REQUIRED` ids excluded).
    public var memberCount: Int { members.count }

    /// The number of ids handed out with `MEMBER_ID_REQUIRED` not yet used to join.
    public var pendingMemberCount: Int { pendingMembers.count }

    /// Whether the group is empty and holds nothing a client could come back for (no pending member ids).
    public var isEmptyAndIdle: Bool { state == .empty && pendingMembers.isEmpty }

    /// When to call `tick(now:)` next, `nil` if nothing is scheduled: never later than the earliest deadline
    /// (session, pending member id, join phase, sync), and exact after every operation but a heartbeat, which may
    /// push the earliest deadline later without a rescan (a tick at the old time then finds nothing to do and
    /// recomputes). Kept up to date by every operation, so reading it costs nothing.
    public internal(set) var nextDeadline: Int64?

    /// The earliest deadline, found by scanning every member.
    /// - Complexity: O(members).
    func scanNextDeadline() -> Int64? {
        var earliest = joinDeadline
        func consider(_ deadline: Int64?) {
            guard let deadline else { return }
            earliest = earliest.map { min($0, deadline) } ?? deadline
        }
        consider(syncDeadline)
        for member in members.values where !member.isKeptAliveByParkedRequest {
            consider(member.sessionDeadline)
        }
        for deadline in pendingMembers.values {
            consider(deadline)
        }
        return earliest
    }

    /// A snapshot of the group for describe and list.
    public func describe() -> KafkaClassicGroupDescription {
        KafkaClassicGroupDescription(
            groupID: groupID,
            state: state,
            generationID: generationID,
            protocolType: protocolType,
            protocolName: protocolName,
            leaderID: leaderID,
            members: memberOrder.compactMap { members[$0] }.map { member in
                KafkaClassicGroupDescription.Member(
                    memberID: member.memberID,
                    groupInstanceID: member.groupInstanceID,
                    clientID: member.clientID,
                    clientHost: member.clientHost,
                    metadata: protocolName.flatMap { member.metadata(for: $0) } ?? [],
                    assignment: member.assignment,
                    assignmentGenerationID: member.assignmentGenerationID
                )
            },
            pendingMemberCount: pendingMembers.count
        )
    }

    // MARK: - Membership bookkeeping

    /// Moves to `newState`, remembering the previous one.
    mutating func transition(to newState: KafkaClassicGroupState, now: Int64) {
        previousState = state
        state = newState
        stateChangedAtMilliseconds = now
    }

    /// Adds a member (the first member of an empty group sets the protocol type; the first member becomes leader).
    mutating func add(_ member: KafkaClassicGroupMember) {
        precondition(members[member.memberID] == nil, "member \(member.memberID) added twice")
        if members.isEmpty {
            protocolType = member.protocolType
        }
        if let instance = member.groupInstanceID {
            staticMembers[instance] = member.memberID
        }
        if leaderID == nil {
            leaderID = member.memberID
        }
        members[member.memberID] = member
        memberOrder.append(member.memberID)
        pendingMembers[member.memberID] = nil
    }

    /// Removes a member, answering its parked requests with `error` (the leader passes to the next member).
    mutating func remove(memberID: String, answering error: KafkaGroupErrorCode, into outputs: inout [Output]) {
        if let member = members.removeValue(forKey: memberID) {
            if let token = member.awaitingJoin {
                outputs.append(.respondJoin(token, .failure(error, memberID: memberID)))
            }
            if let token = member.awaitingSync {
                outputs.append(.respondSync(token, .failure(error)))
            }
            if let instance = member.groupInstanceID, staticMembers[instance] == memberID {
                staticMembers[instance] = nil
            }
            memberOrder.removeAll { $0 == memberID }
        }
        if leaderID == memberID {
            leaderID = memberOrder.first
        }
        pendingMembers[memberID] = nil
        pendingSyncMembers.remove(memberID)
        if pendingSyncMembers.isEmpty {
            syncDeadline = nil
        }
    }

    /// Checks a request's member and instance ids (Kafka's `validateMember`): `nil` when valid.
    func memberError(memberID: String, groupInstanceID: String?) -> KafkaGroupErrorCode? {
        if let instance = groupInstanceID {
            guard let existing = staticMembers[instance] else { return .unknownMemberID }
            if existing != memberID { return .fencedInstanceID }
        }
        return members[memberID] == nil ? .unknownMemberID : nil
    }

    /// Whether a member with this protocol type and these protocols can be in the group: any non-empty type and
    /// protocol list while the group is empty; otherwise the group's type and a protocol every other member supports.
    func supportsProtocols(type: String, protocols: [KafkaClassicGroup.MemberProtocol], joiningMemberID: String) -> Bool
    {
        guard !type.isEmpty, !protocols.isEmpty else { return false }
        let others = members.values.filter { $0.memberID != joiningMemberID }
        if state == .empty || others.isEmpty {
            return state == .empty || protocolType == type
        }
        guard protocolType == type else { return false }
        return protocols.contains { candidate in
            others.allSatisfy { $0.metadata(for: candidate.name) != nil }
        }
    }

    /// The protocol for the next generation: among the protocols every member supports, the one most members
    /// prefer (ties go to the one the earliest-joined member prefers). `nil` only for a group without members.
    func selectProtocol() -> String? {
        let ordered = memberOrder.compactMap { members[$0] }
        guard let first = ordered.first else { return nil }
        var candidates = Set(first.protocols.map(\.name))
        for member in ordered.dropFirst() {
            candidates.formIntersection(member.protocols.map(\.name))
        }
        var votes: [String: Int] = [:]
        for member in ordered {
            if let vote = member.vote(among: candidates) {
                votes[vote, default: 0] += 1
            }
        }
        let most = votes.values.max() ?? 0
        return first.protocols.first { votes[$0.name] == most }?.name
    }

    /// The group's rebalance timeout: the largest of its members'.
    var rebalanceTimeoutMilliseconds: Int64 {
        Int64(members.values.map(\.rebalanceTimeoutMilliseconds).max() ?? 0)
    }

    /// The number of members with a parked JoinGroup.
    var awaitingJoinCount: Int { members.values.count { $0.awaitingJoin != nil } }

    /// Whether every member has rejoined and no pending member id is outstanding.
    var hasAllMembersJoined: Bool { awaitingJoinCount == members.count && pendingMembers.isEmpty }

    /// Output shorthand inside the group's files.
    typealias Output = KafkaClassicGroupOutput
}
