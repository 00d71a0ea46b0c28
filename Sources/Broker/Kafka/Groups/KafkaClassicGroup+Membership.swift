extension KafkaClassicGroup {
    /// Handles a Heartbeat: the member's session starts again.
    ///
    /// - Returns: `.noError` (CompletingRebalance, Stable), `REBALANCE_IN_PROGRESS` (PreparingRebalance: the member
    ///   must rejoin; its session is still renewed), `UNKNOWN_MEMBER_ID`, `FENCED_INSTANCE_ID`, `ILLEGAL_GENERATION`
    ///   or `COORDINATOR_NOT_AVAILABLE` (Dead); and the answers the deadlines due at `now` produced.
    public mutating func heartbeat(
        _ request: KafkaClassicGroup.HeartbeatRequest,
        now: Int64
    ) -> (errorCode: KafkaGroupErrorCode, outputs: [KafkaClassicGroupOutput]) {
        var outputs: [Output] = []
        applyDeadlines(now: now, into: &outputs)
        guard state != .dead else { return (.coordinatorNotAvailable, outputs) }
        if let error = memberError(memberID: request.memberID, groupInstanceID: request.groupInstanceID) {
            return (error, outputs)
        }
        guard request.generationID == generationID else { return (.illegalGeneration, outputs) }
        switch state {
        case .empty, .dead:
            return (.unknownMemberID, outputs)
        case .preparingRebalance, .completingRebalance, .stable:
            if var member = members[request.memberID] {
                member.sessionDeadline = now + Int64(member.sessionTimeoutMilliseconds)
                members[request.memberID] = member
                // Usually later than before, so the recorded next deadline stays a valid lower bound without a
                // rescan; a new member's first heartbeat can bring its deadline earlier.
                nextDeadline = min(nextDeadline ?? member.sessionDeadline, member.sessionDeadline)
            }
            return (state == .preparingRebalance ? .rebalanceInProgress : .noError, outputs)
        }
    }

    /// Handles a LeaveGroup: each named member (or pending member id) is removed, its parked requests answered
    /// `UNKNOWN_MEMBER_ID`, and a rebalance starts (or the join phase completes) if a member left.
    ///
    /// A static member may be named by its instance id alone (empty member id); naming it with another member id
    /// is `FENCED_INSTANCE_ID`; an unknown member is `UNKNOWN_MEMBER_ID`. A Dead group answers
    /// `COORDINATOR_NOT_AVAILABLE` for the whole request.
    public mutating func leave(
        _ request: KafkaClassicGroup.LeaveRequest,
        now: Int64
    ) -> (response: KafkaClassicGroup.LeaveResponse, outputs: [KafkaClassicGroupOutput]) {
        var outputs: [Output] = []
        applyDeadlines(now: now, into: &outputs)
        guard state != .dead else {
            return (KafkaClassicGroup.LeaveResponse(errorCode: .coordinatorNotAvailable, members: []), outputs)
        }
        var results: [KafkaClassicGroup.LeaveResponse.Member] = []
        for leaving in request.members {
            let error = removeLeavingMember(leaving, now: now, into: &outputs)
            results.append(
                KafkaClassicGroup.LeaveResponse.Member(
                    memberID: leaving.memberID,
                    groupInstanceID: leaving.groupInstanceID,
                    errorCode: error
                )
            )
        }
        settle(now: now, into: &outputs)
        return (KafkaClassicGroup.LeaveResponse(errorCode: .noError, members: results), outputs)
    }

    private mutating func removeLeavingMember(
        _ leaving: KafkaClassicGroup.LeaveRequest.Member,
        now: Int64,
        into outputs: inout [Output]
    ) -> KafkaGroupErrorCode {
        var memberID = leaving.memberID
        if let instance = leaving.groupInstanceID {
            guard let existing = staticMembers[instance] else { return .unknownMemberID }
            if memberID.isEmpty {
                memberID = existing
            } else if existing != memberID {
                return .fencedInstanceID
            }
        }
        if pendingMembers[memberID] != nil {
            remove(memberID: memberID, answering: .unknownMemberID, into: &outputs)
            if state == .preparingRebalance && hasAllMembersJoined {
                completeJoin(now: now, into: &outputs)
            }
            return .noError
        }
        guard members[memberID] != nil else { return .unknownMemberID }
        removeMemberAndRebalance(memberID: memberID, answering: .unknownMemberID, now: now, into: &outputs)
        return .noError
    }

    /// Decides whether an OffsetCommit may be stored (Kafka's `validateOffsetCommit`; the offsets are stored by
    /// the caller).
    ///
    /// Generation -1 with an empty group is a "simple" consumer or an admin client: accepted. Otherwise the member
    /// must be a member (`UNKNOWN_MEMBER_ID`, `FENCED_INSTANCE_ID`) of the current generation
    /// (`ILLEGAL_GENERATION`); a commit without member and generation to a non-empty group is `UNKNOWN_MEMBER_ID`;
    /// CompletingRebalance answers `REBALANCE_IN_PROGRESS`; PreparingRebalance accepts the current generation (so
    /// members commit while revoking); Dead answers `COORDINATOR_NOT_AVAILABLE`.
    /// - Parameters:
    ///   - memberID: the request's member id (empty from v0 and simple consumers).
    ///   - groupInstanceID: the request's `group.instance.id` (v7+).
    ///   - generationID: the request's generation (-1 from v0 and simple consumers).
    ///   - now: the current time in milliseconds.
    public mutating func validateOffsetCommit(
        memberID: String,
        groupInstanceID: String?,
        generationID requestGeneration: Int32,
        now: Int64
    ) -> (decision: KafkaOffsetCommitDecision, outputs: [KafkaClassicGroupOutput]) {
        var outputs: [Output] = []
        applyDeadlines(now: now, into: &outputs)
        return (offsetCommitDecision(memberID, groupInstanceID, requestGeneration), outputs)
    }

    private func offsetCommitDecision(
        _ memberID: String,
        _ groupInstanceID: String?,
        _ requestGeneration: Int32
    ) -> KafkaOffsetCommitDecision {
        if state == .dead { return .reject(.coordinatorNotAvailable) }
        if requestGeneration < 0 && state == .empty { return .accept }
        if requestGeneration >= 0 || !memberID.isEmpty || groupInstanceID != nil {
            if let error = memberError(memberID: memberID, groupInstanceID: groupInstanceID) { return .reject(error) }
            if requestGeneration != generationID { return .reject(.illegalGeneration) }
        } else if state != .empty {
            return .reject(.unknownMemberID)
        }
        return state == .completingRebalance ? .reject(.rebalanceInProgress) : .accept
    }

    /// Deletes an empty group (DeleteGroups): it becomes Dead. A group with members answers `NON_EMPTY_GROUP`.
    public mutating func delete(now: Int64) -> KafkaGroupErrorCode {
        guard state == .empty else { return state == .dead ? .coordinatorNotAvailable : .nonEmptyGroup }
        pendingMembers.removeAll()
        transition(to: .dead, now: now)
        nextDeadline = nil
        return .noError
    }

    /// Unloads the group (broker shutdown): every parked join and sync is answered `NOT_COORDINATOR` (clients
    /// look for the coordinator again) and the group becomes Dead.
    public mutating func shutdown(now: Int64) -> [KafkaClassicGroupOutput] {
        var outputs: [Output] = []
        for memberID in memberOrder {
            remove(memberID: memberID, answering: .notCoordinator, into: &outputs)
        }
        pendingMembers.removeAll()
        joinDeadline = nil
        initialDelay = nil
        syncDeadline = nil
        transition(to: .dead, now: now)
        nextDeadline = nil
        return outputs
    }
}
