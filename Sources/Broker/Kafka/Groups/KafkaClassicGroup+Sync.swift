extension KafkaClassicGroup {
    /// Handles a SyncGroup request.
    ///
    /// In CompletingRebalance a follower's sync is parked until the leader's; the leader's sync stores its
    /// assignment (an empty one for members it left out), moves the group to Stable and answers every parked sync.
    /// In Stable the member's assignment is answered at once. Errors: `UNKNOWN_MEMBER_ID`, `FENCED_INSTANCE_ID`,
    /// `ILLEGAL_GENERATION` (not the current generation), `REBALANCE_IN_PROGRESS` (PreparingRebalance),
    /// `COORDINATOR_NOT_AVAILABLE` (Dead).
    /// - Parameters:
    ///   - request: the decoded request; `request.groupID` must be this group's.
    ///   - token: names this request in the answer.
    ///   - now: the current time in milliseconds.
    /// - Returns: the answers to send.
    public mutating func sync(
        _ request: KafkaClassicGroup.SyncRequest,
        token: KafkaGroupRequestToken,
        now: Int64
    ) -> [KafkaClassicGroupOutput] {
        var outputs: [Output] = []
        applyDeadlines(now: now, into: &outputs)
        handleSync(request, token: token, now: now, into: &outputs)
        settle(now: now, into: &outputs)
        return outputs
    }

    private mutating func handleSync(
        _ request: KafkaClassicGroup.SyncRequest,
        token: KafkaGroupRequestToken,
        now: Int64,
        into outputs: inout [Output]
    ) {
        func fail(_ error: KafkaGroupErrorCode) {
            outputs.append(.respondSync(token, .failure(error)))
        }
        guard state != .dead else { return fail(.coordinatorNotAvailable) }
        if let error = memberError(memberID: request.memberID, groupInstanceID: request.groupInstanceID) {
            return fail(error)
        }
        guard request.generationID == generationID else { return fail(.illegalGeneration) }
        let memberID = request.memberID
        switch state {
        case .empty, .dead:
            fail(.unknownMemberID)
        case .preparingRebalance:
            fail(.rebalanceInProgress)
        case .completingRebalance:
            if let parked = members[memberID]?.awaitingSync {
                outputs.append(.respondSync(parked, .failure(.rebalanceInProgress)))
            }
            members[memberID]?.awaitingSync = token
            markSynced(memberID)
            if memberID == leaderID {
                applyLeaderAssignment(request.assignments)
                transition(to: .stable, now: now)
                propagateAssignment(now: now, into: &outputs)
            }
        case .stable:
            markSynced(memberID)
            guard var member = members[memberID] else { return fail(.unknownMemberID) }
            member.sessionDeadline = now + Int64(member.sessionTimeoutMilliseconds)
            members[memberID] = member
            outputs.append(
                .respondSync(token, KafkaClassicGroup.SyncResponse(errorCode: .noError, assignment: member.assignment))
            )
        }
    }

    /// The member has sent its SyncGroup for this generation; the sync deadline ends when all have.
    private mutating func markSynced(_ memberID: String) {
        pendingSyncMembers.remove(memberID)
        if pendingSyncMembers.isEmpty {
            syncDeadline = nil
        }
    }

    /// Stores the leader's assignment for the current generation: the first entry per member, empty for members
    /// it left out, entries for unknown ids ignored.
    private mutating func applyLeaderAssignment(_ assignments: [KafkaClassicGroup.SyncRequest.Assignment]) {
        var byMember: [String: [UInt8]] = [:]
        for entry in assignments where byMember[entry.memberID] == nil {
            byMember[entry.memberID] = entry.assignment
        }
        for memberID in memberOrder {
            members[memberID]?.assignment = byMember[memberID] ?? []
            members[memberID]?.assignmentGenerationID = generationID
        }
    }

    /// Answers every parked sync with its member's assignment; their sessions start again.
    private mutating func propagateAssignment(now: Int64, into outputs: inout [Output]) {
        for memberID in memberOrder {
            guard var member = members[memberID], let token = member.awaitingSync else { continue }
            outputs.append(
                .respondSync(token, KafkaClassicGroup.SyncResponse(errorCode: .noError, assignment: member.assignment))
            )
            member.awaitingSync = nil
            member.sessionDeadline = now + Int64(member.sessionTimeoutMilliseconds)
            members[memberID] = member
        }
    }
}
