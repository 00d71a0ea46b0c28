extension KafkaClassicGroup {
    /// Applies every deadline due at `now`: members whose session expired are removed (a rebalance starts), pending
    /// member ids expire, the join phase completes at the rebalance timeout (or the initial delay), and members that
    /// did not sync within the rebalance timeout are removed.
    /// - Returns: the answers to send (parked joins and syncs completed or failed).
    /// - Complexity: O(members) per deadline handled.
    public mutating func tick(now: Int64) -> [KafkaClassicGroupOutput] {
        var outputs: [Output] = []
        applyDeadlines(now: now, into: &outputs)
        return outputs
    }

    /// Applies the due deadlines, earliest first, until none is due, then records the next one. Costs nothing
    /// while `nextDeadline` (a lower bound) lies ahead. Every step removes a member or ends a phase and new
    /// deadlines lie at `now` plus a timeout, so the loop ends; the bound only guards against a defect.
    mutating func applyDeadlines(now: Int64, into outputs: inout [Output]) {
        guard let bound = nextDeadline, bound <= now else { return }
        var steps = 0
        let stepLimit = 4 * (members.count + pendingMembers.count) + 16
        while steps < stepLimit, let deadline = scanNextDeadline(), deadline <= now {
            steps += 1
            if let expired = pendingMembers.first(where: { $0.value == deadline }) {
                remove(memberID: expired.key, answering: .unknownMemberID, into: &outputs)
                if state == .preparingRebalance && hasAllMembersJoined {
                    completeJoin(now: now, into: &outputs)
                }
            } else if let expired = memberOrder.first(where: {
                guard let member = members[$0] else { return false }
                return !member.isKeptAliveByParkedRequest && member.sessionDeadline == deadline
            }) {
                removeMemberAndRebalance(memberID: expired, answering: .unknownMemberID, now: now, into: &outputs)
            } else if joinDeadline == deadline {
                joinDeadlineReached(now: now, into: &outputs)
            } else if syncDeadline == deadline {
                syncDeadlineReached(now: now, into: &outputs)
            }
        }
        nextDeadline = scanNextDeadline()
    }

    /// After an operation changed the group: records the exact next deadline and applies it if it is already due
    /// (a zero timeout or initial delay).
    mutating func settle(now: Int64, into outputs: inout [Output]) {
        nextDeadline = scanNextDeadline()
        applyDeadlines(now: now, into: &outputs)
    }

    /// Removes a member (its parked requests answered with `error`) and starts a rebalance, or completes the join
    /// phase if the others have all rejoined (Kafka's `removeMemberAndUpdateGroup`).
    mutating func removeMemberAndRebalance(
        memberID: String,
        answering error: KafkaGroupErrorCode,
        now: Int64,
        into outputs: inout [Output]
    ) {
        remove(memberID: memberID, answering: error, into: &outputs)
        switch state {
        case .stable, .completingRebalance:
            prepareRebalance(now: now, into: &outputs)
        case .preparingRebalance:
            if hasAllMembersJoined {
                completeJoin(now: now, into: &outputs)
            }
        case .empty, .dead:
            break
        }
    }

    /// Starts a rebalance if the state allows one, otherwise completes the join phase if it can.
    mutating func prepareRebalanceOrCompleteJoin(now: Int64, into outputs: inout [Output]) {
        switch state {
        case .empty, .stable, .completingRebalance:
            prepareRebalance(now: now, into: &outputs)
        case .preparingRebalance:
            completeJoinIfAllJoined(now: now, into: &outputs)
        case .dead:
            break
        }
    }

    /// Enters PreparingRebalance: parked syncs are answered `REBALANCE_IN_PROGRESS` and assignments dropped (from
    /// CompletingRebalance); the join phase ends after the initial delay (from Empty) or the rebalance timeout.
    mutating func prepareRebalance(now: Int64, into outputs: inout [Output]) {
        if state == .completingRebalance {
            for memberID in memberOrder {
                guard var member = members[memberID] else { continue }
                if let token = member.awaitingSync {
                    outputs.append(.respondSync(token, .failure(.rebalanceInProgress)))
                    member.awaitingSync = nil
                    member.sessionDeadline = now + Int64(member.sessionTimeoutMilliseconds)
                }
                member.assignment = []
                member.assignmentGenerationID = -1
                members[memberID] = member
            }
        }
        pendingSyncMembers.removeAll()
        syncDeadline = nil
        let isInitial = state == .empty
        transition(to: .preparingRebalance, now: now)
        if isInitial {
            let delay = Int64(configuration.initialRebalanceDelayMilliseconds)
            initialDelay = (false, max(rebalanceTimeoutMilliseconds - delay, 0))
            joinDeadline = now + delay
        } else {
            initialDelay = nil
            joinDeadline = now + rebalanceTimeoutMilliseconds
        }
    }

    /// Completes the join phase if every member rejoined, unless this is an initial rebalance (which always waits
    /// for its delay, so that members starting together land in one generation).
    mutating func completeJoinIfAllJoined(now: Int64, into outputs: inout [Output]) {
        if state == .preparingRebalance && previousState != .empty && hasAllMembersJoined {
            completeJoin(now: now, into: &outputs)
        }
    }

    /// The join deadline: an initial rebalance extends its delay while members keep arriving; otherwise the join
    /// phase completes without the members that did not rejoin.
    mutating func joinDeadlineReached(now: Int64, into outputs: inout [Output]) {
        if let delay = initialDelay, delay.newMemberAdded, delay.remainingMilliseconds > 0, let deadline = joinDeadline
        {
            let configured = Int64(configuration.initialRebalanceDelayMilliseconds)
            let step = min(configured, delay.remainingMilliseconds)
            initialDelay = (false, max(delay.remainingMilliseconds - configured, 0))
            joinDeadline = max(deadline + step, now)
            if step > 0 { return }
        }
        completeJoin(now: now, into: &outputs)
    }

    /// Ends the join phase (Kafka's `completeClassicGroupJoin`): dynamic members that did not rejoin are removed,
    /// the generation goes up, a protocol is selected, and every rejoined member is answered (the leader with every
    /// member's metadata). With no member left the group is Empty; with only static members that did not rejoin,
    /// the phase waits another rebalance timeout for their session to end.
    mutating func completeJoin(now: Int64, into outputs: inout [Output]) {
        joinDeadline = nil
        initialDelay = nil
        for memberID in memberOrder {
            if let member = members[memberID], member.awaitingJoin == nil, member.groupInstanceID == nil {
                remove(memberID: memberID, answering: .unknownMemberID, into: &outputs)
            }
        }
        guard state == .preparingRebalance else { return }
        if !members.isEmpty && !electJoinedLeader() {
            joinDeadline = now + rebalanceTimeoutMilliseconds
            return
        }
        generationID &+= 1
        pendingSyncMembers.removeAll()
        syncDeadline = nil
        guard !members.isEmpty else {
            protocolName = nil
            transition(to: .empty, now: now)
            return
        }
        protocolName = selectProtocol()
        transition(to: .completingRebalance, now: now)
        let everyMember = currentMembersForLeader()
        for memberID in memberOrder {
            guard var member = members[memberID] else { continue }
            if let token = member.awaitingJoin {
                outputs.append(
                    .respondJoin(token, joinAnswer(for: memberID, members: memberID == leaderID ? everyMember : []))
                )
                member.awaitingJoin = nil
            }
            member.isNew = false
            member.sessionDeadline = now + Int64(member.sessionTimeoutMilliseconds)
            members[memberID] = member
            pendingSyncMembers.insert(memberID)
        }
        syncDeadline = now + rebalanceTimeoutMilliseconds
    }

    /// Keeps the leader if it rejoined, else makes the first rejoined member leader; `false` if none rejoined.
    mutating func electJoinedLeader() -> Bool {
        if let leaderID, members[leaderID]?.awaitingJoin != nil { return true }
        guard let joined = memberOrder.first(where: { members[$0]?.awaitingJoin != nil }) else { return false }
        leaderID = joined
        return true
    }

    /// A successful JoinGroup answer for the current generation.
    func joinAnswer(
        for memberID: String,
        members: [KafkaClassicGroup.JoinResponse.Member],
        leader: String? = nil
    )
        -> KafkaClassicGroup.JoinResponse
    {
        KafkaClassicGroup.JoinResponse(
            errorCode: .noError,
            generationID: generationID,
            protocolType: protocolType,
            protocolName: protocolName,
            leaderID: leader ?? leaderID ?? "",
            memberID: memberID,
            members: members
        )
    }

    /// Members that did not send SyncGroup within the rebalance timeout after the join are removed and a
    /// rebalance starts (Kafka's pending sync expiry).
    mutating func syncDeadlineReached(now: Int64, into outputs: inout [Output]) {
        syncDeadline = nil
        guard state == .completingRebalance || state == .stable, !pendingSyncMembers.isEmpty else { return }
        for memberID in memberOrder where pendingSyncMembers.contains(memberID) {
            remove(memberID: memberID, answering: .unknownMemberID, into: &outputs)
        }
        prepareRebalance(now: now, into: &outputs)
    }
}
