extension KafkaClassicGroup {
    /// Handles a JoinGroup request (Kafka's classic join: new dynamic, new static, pending and existing members).
    ///
    /// The answer to `token` is among the returned outputs when it is immediate (an error, `MEMBER_ID_REQUIRED`, a
    /// member rejoining a group that does not need to rebalance), or comes later from another operation or `tick`
    /// when the join phase completes. Other members' parked requests may be answered too.
    /// - Parameters:
    ///   - request: the decoded request; `request.groupID` must be this group's.
    ///   - token: names this request in the answer.
    ///   - now: the current time in milliseconds.
    /// - Returns: the answers to send.
    public mutating func join(
        _ request: KafkaClassicGroup.JoinRequest,
        token: KafkaGroupRequestToken,
        now: Int64
    ) -> [KafkaClassicGroupOutput] {
        var outputs: [Output] = []
        applyDeadlines(now: now, into: &outputs)
        handleJoin(request, token: token, now: now, into: &outputs)
        settle(now: now, into: &outputs)
        return outputs
    }

    private mutating func handleJoin(
        _ request: KafkaClassicGroup.JoinRequest,
        token: KafkaGroupRequestToken,
        now: Int64,
        into outputs: inout [Output]
    ) {
        func fail(_ error: KafkaGroupErrorCode, memberID: String = request.memberID) {
            outputs.append(.respondJoin(token, .failure(error, memberID: memberID)))
        }
        let session = request.sessionTimeoutMilliseconds
        guard session >= configuration.minSessionTimeoutMilliseconds,
            session <= configuration.maxSessionTimeoutMilliseconds
        else { return fail(.invalidSessionTimeout) }
        let protocols = Self.uniqueProtocols(request.protocols)
        let metadataBytes = protocols.reduce(0) { $0 + $1.name.utf8.count + $1.metadata.count }
        guard metadataBytes <= configuration.maxMemberMetadataBytes else { return fail(.invalidRequest) }
        guard state != .dead else { return fail(.coordinatorNotAvailable) }
        guard acceptsJoiningMember(request.memberID, groupInstanceID: request.groupInstanceID) else {
            if members[request.memberID] != nil {
                removeMemberAndRebalance(
                    memberID: request.memberID,
                    answering: .groupMaxSizeReached,
                    now: now,
                    into: &outputs
                )
            }
            return fail(.groupMaxSizeReached, memberID: "")
        }
        guard supportsProtocols(type: request.protocolType, protocols: protocols, joiningMemberID: request.memberID)
        else { return fail(.inconsistentGroupProtocol) }

        if request.memberID.isEmpty {
            let newID = memberIDGenerator.makeMemberID(prefix: request.groupInstanceID ?? request.clientID)
            if let instance = request.groupInstanceID {
                if let oldID = staticMembers[instance] {
                    replaceStaticMember(
                        oldID: oldID,
                        newID: newID,
                        request,
                        protocols,
                        token: token,
                        now: now,
                        into: &outputs
                    )
                } else {
                    addMember(newID, request, protocols, token: token, now: now, into: &outputs)
                }
            } else if request.requiresKnownMemberID {
                pendingMembers[newID] = now + Int64(session)
                fail(.memberIDRequired, memberID: newID)
            } else {
                addMember(newID, request, protocols, token: token, now: now, into: &outputs)
            }
        } else if pendingMembers[request.memberID] != nil {
            guard request.groupInstanceID == nil else { return fail(.unknownMemberID) }
            addMember(request.memberID, request, protocols, token: token, now: now, into: &outputs)
        } else if let error = memberError(memberID: request.memberID, groupInstanceID: request.groupInstanceID) {
            fail(error)
        } else {
            rejoin(request, protocols, token: token, now: now, into: &outputs)
        }
    }

    /// A known member joins again: it waits for a rebalance it triggers or joins, or, when nothing changed, it is
    /// answered with the current generation at once.
    private mutating func rejoin(
        _ request: KafkaClassicGroup.JoinRequest,
        _ protocols: [KafkaClassicGroup.MemberProtocol],
        token: KafkaGroupRequestToken,
        now: Int64,
        into outputs: inout [Output]
    ) {
        let memberID = request.memberID
        guard let member = members[memberID] else { return }
        switch state {
        case .preparingRebalance:
            updateMember(memberID, request, protocols, token: token, into: &outputs)
            completeJoinIfAllJoined(now: now, into: &outputs)
        case .completingRebalance where member.matches(protocols):
            let everyMember = memberID == leaderID ? currentMembersForLeader() : []
            outputs.append(.respondJoin(token, joinAnswer(for: memberID, members: everyMember)))
        case .stable where memberID != leaderID && member.matches(protocols):
            outputs.append(.respondJoin(token, joinAnswer(for: memberID, members: [])))
        case .completingRebalance, .stable:
            updateMember(memberID, request, protocols, token: token, into: &outputs)
            prepareRebalance(now: now, into: &outputs)
        case .empty, .dead:
            outputs.append(.respondJoin(token, .failure(.unknownMemberID, memberID: memberID)))
        }
    }

    /// Adds a new member with its join parked, then starts a rebalance or completes the join phase.
    private mutating func addMember(
        _ memberID: String,
        _ request: KafkaClassicGroup.JoinRequest,
        _ protocols: [KafkaClassicGroup.MemberProtocol],
        token: KafkaGroupRequestToken,
        now: Int64,
        into outputs: inout [Output]
    ) {
        if state == .preparingRebalance, previousState == .empty, let delay = initialDelay {
            initialDelay = (true, delay.remainingMilliseconds)
        }
        add(
            KafkaClassicGroupMember(
                memberID: memberID,
                groupInstanceID: request.groupInstanceID,
                clientID: request.clientID,
                clientHost: request.clientHost,
                rebalanceTimeoutMilliseconds: request.effectiveRebalanceTimeoutMilliseconds,
                sessionTimeoutMilliseconds: request.sessionTimeoutMilliseconds,
                protocolType: request.protocolType,
                protocols: protocols,
                awaitingJoin: token,
                isNew: true,
                sessionDeadline: now + Int64(configuration.newMemberJoinTimeoutMilliseconds)
            )
        )
        prepareRebalanceOrCompleteJoin(now: now, into: &outputs)
    }

    /// A static member rejoining with an empty member id takes over its instance's membership under a new id; the
    /// old id's parked requests are answered `FENCED_INSTANCE_ID`. A Stable group whose selected protocol does not
    /// change answers at once with the current generation and keeps the member's assignment (no rebalance).
    private mutating func replaceStaticMember(
        oldID: String,
        newID: String,
        _ request: KafkaClassicGroup.JoinRequest,
        _ protocols: [KafkaClassicGroup.MemberProtocol],
        token: KafkaGroupRequestToken,
        now: Int64,
        into outputs: inout [Output]
    ) {
        guard var member = members.removeValue(forKey: oldID) else { return }
        let previousLeader = leaderID
        if let parked = member.awaitingJoin {
            outputs.append(.respondJoin(parked, .failure(.fencedInstanceID, memberID: oldID)))
        }
        if let parked = member.awaitingSync {
            outputs.append(.respondSync(parked, .failure(.fencedInstanceID)))
        }
        member.memberID = newID
        member.awaitingJoin = nil
        member.awaitingSync = nil
        member.sessionDeadline = now + Int64(member.sessionTimeoutMilliseconds)
        members[newID] = member
        memberOrder = memberOrder.map { $0 == oldID ? newID : $0 }
        if leaderID == oldID { leaderID = newID }
        if pendingSyncMembers.remove(oldID) != nil { pendingSyncMembers.insert(newID) }
        staticMembers[request.groupInstanceID ?? ""] = newID
        updateMember(newID, request, protocols, token: token, into: &outputs)

        switch state {
        case .stable where selectProtocol() == protocolName:
            members[newID]?.awaitingJoin = nil
            outputs.append(.respondJoin(token, joinAnswer(for: newID, members: [], leader: previousLeader)))
        case .stable, .completingRebalance:
            prepareRebalance(now: now, into: &outputs)
        case .preparingRebalance:
            completeJoinIfAllJoined(now: now, into: &outputs)
        case .empty, .dead:
            assertionFailure("a static member exists in an \(state) group")
        }
    }

    /// Updates a member's protocols and timeouts and parks its join (a join it had parked is answered
    /// `REBALANCE_IN_PROGRESS`: the newer request replaces it).
    private mutating func updateMember(
        _ memberID: String,
        _ request: KafkaClassicGroup.JoinRequest,
        _ protocols: [KafkaClassicGroup.MemberProtocol],
        token: KafkaGroupRequestToken,
        into outputs: inout [Output]
    ) {
        guard var member = members[memberID] else { return }
        if let parked = member.awaitingJoin {
            outputs.append(.respondJoin(parked, .failure(.rebalanceInProgress, memberID: memberID)))
        }
        member.protocols = protocols
        member.rebalanceTimeoutMilliseconds = request.effectiveRebalanceTimeoutMilliseconds
        member.sessionTimeoutMilliseconds = request.sessionTimeoutMilliseconds
        member.awaitingJoin = token
        members[memberID] = member
    }

    /// Kafka's `acceptJoiningMember` with pending member ids counted too (so `MEMBER_ID_REQUIRED` cannot grow the
    /// group without bound): while rebalancing, rejoined members count; otherwise all members. A static member
    /// taking over its own instance id does not grow the group and is always accepted (Kafka refuses it in a full
    /// group).
    private func acceptsJoiningMember(_ memberID: String, groupInstanceID: String?) -> Bool {
        let limit = configuration.maxMembersPerGroup
        if pendingMembers[memberID] != nil { return true }
        if memberID.isEmpty, let instance = groupInstanceID, staticMembers[instance] != nil { return true }
        switch state {
        case .empty, .dead:
            return pendingMembers.count < limit
        case .preparingRebalance:
            if members[memberID]?.awaitingJoin != nil { return true }
            return awaitingJoinCount + pendingMembers.count < limit
        case .completingRebalance, .stable:
            if members[memberID] != nil { return true }
            return members.count + pendingMembers.count < limit
        }
    }

    /// The leader's member list for the current generation.
    func currentMembersForLeader() -> [KafkaClassicGroup.JoinResponse.Member] {
        memberOrder.compactMap { members[$0] }.map { member in
            KafkaClassicGroup.JoinResponse.Member(
                memberID: member.memberID,
                groupInstanceID: member.groupInstanceID,
                metadata: protocolName.flatMap { member.metadata(for: $0) } ?? []
            )
        }
    }

    /// The protocols with repeated names dropped (the first occurrence wins).
    static func uniqueProtocols(_ protocols: [KafkaClassicGroup.MemberProtocol]) -> [KafkaClassicGroup.MemberProtocol] {
        var seen: Set<String> = []
        return protocols.filter { seen.insert($0.name).inserted }
    }
}
