/// Every Kafka classic group of the broker, by group id, within `configuration.maxGroups`.
///
/// Routes each request to its group, creating a group on the first join with an empty member id and answering
/// requests for unknown groups as Kafka does (`UNKNOWN_MEMBER_ID`, or `ILLEGAL_GENERATION` for a commit with a
/// generation). Like `KafkaClassicGroup`, it is a pure state machine: the caller owns the clock and the I/O.
public struct KafkaClassicGroups: Sendable {
    /// The timeouts and limits every group uses.
    public let configuration: KafkaClassicGroupConfiguration
    private var groups: [String: KafkaClassicGroup] = [:]
    private var memberIDGenerator: KafkaMemberIDGenerator
    private var deadlines = KafkaGroupDeadlineIndex()

    /// No groups.
    /// - Parameters:
    ///   - configuration: timeouts and limits.
    ///   - memberIDGenerator: where member ids come from (`.system` outside tests; a seeded generator seeds each
    ///     new group's own).
    public init(
        configuration: KafkaClassicGroupConfiguration = KafkaClassicGroupConfiguration(),
        memberIDGenerator: KafkaMemberIDGenerator = .system
    ) {
        self.configuration = configuration
        self.memberIDGenerator = memberIDGenerator
    }

    /// The number of groups held.
    public var count: Int { groups.count }

    /// The ids of the groups held, sorted.
    public var groupIDs: [String] { groups.keys.sorted() }

    /// A group's snapshot, `nil` if it is not held.
    public func describe(groupID: String) -> KafkaClassicGroupDescription? {
        groups[groupID]?.describe()
    }

    /// The earliest deadline of any group: when the caller should call `tick(now:)` next (`nil`: nothing is
    /// scheduled). Mutating only to drop stale entries of its index.
    /// - Complexity: O(log groups) amortized.
    public mutating func nextDeadline() -> Int64? {
        deadlines.earliest()?.deadline
    }

    /// Applies the deadlines due at `now` of every group that has one.
    /// - Complexity: O(log groups + members) per group due.
    public mutating func tick(now: Int64) -> [KafkaClassicGroupOutput] {
        // Each due group is ticked once per call, so no group can hold the loop.
        var due: [String] = []
        while let (deadline, groupID) = deadlines.earliest(), deadline <= now {
            due.append(groupID)
            deadlines.update(groupID, deadline: nil)
        }
        var outputs: [KafkaClassicGroupOutput] = []
        for groupID in due {
            if groups[groupID] != nil {
                outputs += groups[groupID]!.tick(now: now)
            }
            refresh(groupID)
        }
        return outputs
    }

    /// The earliest deadline found by scanning every group and member (the index's reference, for tests).
    var scannedNextDeadline: Int64? {
        groups.values.compactMap(\.nextDeadline).min()
    }

    /// The deadline index's entry count, current and stale (for tests of its bound).
    var deadlineEntryCount: Int { deadlines.entryCount }

    /// Re-reads a group's next deadline into the index after an operation on it.
    private mutating func refresh(_ groupID: String) {
        deadlines.update(groupID, deadline: groups[groupID]?.nextDeadline)
    }

    /// Handles a JoinGroup (see `KafkaClassicGroup.join`). An empty group id is `INVALID_GROUP_ID`; a non-empty
    /// member id for an unknown group is `UNKNOWN_MEMBER_ID`; a new group beyond `maxGroups`, when no empty group
    /// can be forgotten, is `COORDINATOR_NOT_AVAILABLE`.
    public mutating func join(
        _ request: KafkaClassicGroup.JoinRequest,
        token: KafkaGroupRequestToken,
        now: Int64
    ) -> [KafkaClassicGroupOutput] {
        guard !request.groupID.isEmpty else {
            return [.respondJoin(token, .failure(.invalidGroupID, memberID: request.memberID))]
        }
        if groups[request.groupID] == nil {
            guard request.memberID.isEmpty else {
                return [.respondJoin(token, .failure(.unknownMemberID, memberID: request.memberID))]
            }
            guard makeRoomForNewGroup() else {
                return [.respondJoin(token, .failure(.coordinatorNotAvailable, memberID: request.memberID))]
            }
            groups[request.groupID] = KafkaClassicGroup(
                groupID: request.groupID,
                configuration: configuration,
                memberIDGenerator: memberIDGenerator.split(),
                now: now
            )
        }
        let outputs = groups[request.groupID]!.join(request, token: token, now: now)
        dropIfIdle(request.groupID)
        refresh(request.groupID)
        return outputs
    }

    /// Handles a SyncGroup (see `KafkaClassicGroup.sync`); an unknown group is `UNKNOWN_MEMBER_ID`.
    public mutating func sync(
        _ request: KafkaClassicGroup.SyncRequest,
        token: KafkaGroupRequestToken,
        now: Int64
    ) -> [KafkaClassicGroupOutput] {
        guard !request.groupID.isEmpty else { return [.respondSync(token, .failure(.invalidGroupID))] }
        guard groups[request.groupID] != nil else { return [.respondSync(token, .failure(.unknownMemberID))] }
        let outputs = groups[request.groupID]!.sync(request, token: token, now: now)
        refresh(request.groupID)
        return outputs
    }

    /// Handles a Heartbeat (see `KafkaClassicGroup.heartbeat`); an unknown group is `UNKNOWN_MEMBER_ID`.
    public mutating func heartbeat(
        _ request: KafkaClassicGroup.HeartbeatRequest,
        now: Int64
    ) -> (errorCode: KafkaGroupErrorCode, outputs: [KafkaClassicGroupOutput]) {
        guard !request.groupID.isEmpty else { return (.invalidGroupID, []) }
        guard groups[request.groupID] != nil else { return (.unknownMemberID, []) }
        let result = groups[request.groupID]!.heartbeat(request, now: now)
        refresh(request.groupID)
        return result
    }

    /// Handles a LeaveGroup (see `KafkaClassicGroup.leave`); for an unknown group every member is
    /// `UNKNOWN_MEMBER_ID`.
    public mutating func leave(
        _ request: KafkaClassicGroup.LeaveRequest,
        now: Int64
    ) -> (response: KafkaClassicGroup.LeaveResponse, outputs: [KafkaClassicGroupOutput]) {
        guard !request.groupID.isEmpty else {
            return (KafkaClassicGroup.LeaveResponse(errorCode: .invalidGroupID, members: []), [])
        }
        guard groups[request.groupID] != nil else {
            let members = request.members.map {
                KafkaClassicGroup.LeaveResponse.Member(
                    memberID: $0.memberID,
                    groupInstanceID: $0.groupInstanceID,
                    errorCode: .unknownMemberID
                )
            }
            return (KafkaClassicGroup.LeaveResponse(errorCode: .noError, members: members), [])
        }
        let result = groups[request.groupID]!.leave(request, now: now)
        dropIfIdle(request.groupID)
        refresh(request.groupID)
        return result
    }

    /// Decides an OffsetCommit (see `KafkaClassicGroup.validateOffsetCommit`). For a group not held, generation -1
    /// is accepted (a simple consumer; no group is created) and any other generation is `ILLEGAL_GENERATION`, as
    /// Kafka answers OffsetCommit v0-8 for an unknown group.
    public mutating func validateOffsetCommit(
        groupID: String,
        memberID: String,
        groupInstanceID: String?,
        generationID: Int32,
        now: Int64
    ) -> (decision: KafkaOffsetCommitDecision, outputs: [KafkaClassicGroupOutput]) {
        guard !groupID.isEmpty else { return (.reject(.invalidGroupID), []) }
        guard groups[groupID] != nil else {
            return (generationID < 0 ? .accept : .reject(.illegalGeneration), [])
        }
        let result = groups[groupID]!.validateOffsetCommit(
            memberID: memberID,
            groupInstanceID: groupInstanceID,
            generationID: generationID,
            now: now
        )
        refresh(groupID)
        return result
    }

    /// Deletes an empty group (DeleteGroups): `NON_EMPTY_GROUP` if it has members; an unknown group is `.noError`
    /// here (the caller decides from its stored offsets whether the group exists).
    public mutating func delete(groupID: String, now: Int64) -> KafkaGroupErrorCode {
        guard groups[groupID] != nil else { return .noError }
        let error = groups[groupID]!.delete(now: now)
        if error == .noError { groups[groupID] = nil }
        refresh(groupID)
        return error
    }

    /// Unloads every group (broker shutdown): parked requests are answered `NOT_COORDINATOR`.
    public mutating func shutdown(now: Int64) -> [KafkaClassicGroupOutput] {
        var outputs: [KafkaClassicGroupOutput] = []
        for groupID in groups.keys.sorted() {
            outputs += groups[groupID]!.shutdown(now: now)
        }
        groups.removeAll()
        deadlines = KafkaGroupDeadlineIndex()
        return outputs
    }

    /// Makes room for one more group: at the limit, forgets the empty group that has been empty longest.
    private mutating func makeRoomForNewGroup() -> Bool {
        guard groups.count >= configuration.maxGroups else { return true }
        let idle = groups.values.filter(\.isEmptyAndIdle)
        guard let oldest = idle.min(by: { $0.stateChangedAtMilliseconds < $1.stateChangedAtMilliseconds }) else {
            return false
        }
        groups[oldest.groupID] = nil
        refresh(oldest.groupID)
        return true
    }

    /// Forgets a group that a failed first join left empty and idle (nothing to remember about it).
    private mutating func dropIfIdle(_ groupID: String) {
        if let group = groups[groupID], group.isEmptyAndIdle, group.generationID == 0 {
            groups[groupID] = nil
        }
    }
}
