import Testing

@testable import Broker

/// Random joins, syncs, heartbeats, leaves, commits and clock advances from six clients (two of them static),
/// checking the coordinator's invariants after every step and that every parked request is answered exactly once.
@Suite struct KafkaClassicGroupPropertyTests {
    /// What a client believes about itself, as a Kafka consumer would.
    struct Client {
        var memberID = ""
        var instance: String?
        var generation: Int32 = -1
        var membersIfLeader: [String] = []
        var protocols = ["range"]
        var session: Int32 = 500
        var rebalance: Int32 = 1_000
    }

    /// The configuration of a seed: every other seed has no initial delay (joins complete inside the join call),
    /// every third a group limit of 2 (joins refused, late members dropped).
    static func configuration(seed: UInt64) -> KafkaClassicGroupConfiguration {
        KafkaClassicGroupConfiguration(
            minSessionTimeoutMilliseconds: 100,
            maxSessionTimeoutMilliseconds: 1_000,
            initialRebalanceDelayMilliseconds: seed % 2 == 0 ? 300 : 0,
            newMemberJoinTimeoutMilliseconds: 2_000,
            maxMembersPerGroup: seed % 3 == 0 ? 2 : 5
        )
    }

    @Test func randomOperationsKeepTheInvariants() {
        var seedsReachingStable = 0
        for seed in UInt64(0)..<120 where Self.run(seed: seed).contains(.stable) {
            seedsReachingStable += 1
        }
        // The runs exercise whole rebalances, not only errors.
        #expect(seedsReachingStable >= 100)
    }

    /// One seeded run; returns the states it went through.
    static func run(seed: UInt64) -> Set<KafkaClassicGroupState> {
        var random = SeededGenerator(seed: seed)
        var group = KafkaClassicGroup(
            groupID: "g",
            configuration: configuration(seed: seed),
            memberIDGenerator: .seeded(seed),
            now: 0
        )
        var clients = (0..<6).map { index in
            var client = Client()
            client.instance = index >= 4 ? "static-\(index)" : nil
            return client
        }
        var now: Int64 = 0
        var nextToken: UInt64 = 0
        var owner: [KafkaGroupRequestToken: Int] = [:]
        var answered: Set<KafkaGroupRequestToken> = []
        var previousGeneration: Int32 = 0
        var statesSeen: Set<KafkaClassicGroupState> = []
        /// The member id and generation each SyncGroup was sent with.
        var syncs: [KafkaGroupRequestToken: (memberID: String, generation: Int32, isStatic: Bool)] = [:]

        func apply(_ outputs: [KafkaClassicGroupOutput], _ group: KafkaClassicGroup) {
            for output in outputs {
                #expect(answered.insert(output.token).inserted, "seed \(seed): \(output.token) answered twice")
                guard let index = owner[output.token] else {
                    Issue.record("seed \(seed): answer to a token never issued")
                    continue
                }
                if case .respondSync(let token, let response) = output, response.errorCode == .noError,
                    let sent = syncs[token], !response.assignment.isEmpty
                {
                    // The leader assigns [generation] + the member id to each member: the answer is this
                    // member's (a restarted static member keeps the assignment of its previous member id).
                    #expect(response.assignment.first == UInt8(truncatingIfNeeded: sent.generation), "seed \(seed)")
                    if !sent.isStatic {
                        #expect(Array(response.assignment.dropFirst()) == Array(sent.memberID.utf8), "seed \(seed)")
                    }
                }
                guard case .respondJoin(_, let response) = output else { continue }
                switch response.errorCode {
                case .noError:
                    #expect(response.generationID <= group.generationID)
                    if !response.members.isEmpty {
                        #expect(response.leaderID == response.memberID)
                        #expect(Set(response.members.map(\.memberID)).count == response.members.count)
                        #expect(response.members.contains { $0.memberID == response.memberID })
                    }
                    clients[index].memberID = response.memberID
                    clients[index].generation = response.generationID
                    clients[index].membersIfLeader = response.members.map(\.memberID)
                case .memberIDRequired:
                    clients[index].memberID = response.memberID
                case .unknownMemberID, .fencedInstanceID:
                    clients[index].memberID = ""
                    clients[index].generation = -1
                default:
                    break
                }
            }
        }

        func issue(_ index: Int) -> KafkaGroupRequestToken {
            nextToken += 1
            let token = KafkaGroupRequestToken(nextToken)
            owner[token] = index
            return token
        }

        for _ in 0..<400 {
            let index = Int.random(in: 0..<clients.count, using: &random)
            var client = clients[index]
            var roll = Int.random(in: 0..<100, using: &random)
            if !client.membersIfLeader.isEmpty && Int.random(in: 0..<3, using: &random) == 0 {
                roll = 30  // a leader that has its member list tends to sync, as a real one does at once
            }
            switch roll {
            case 0..<25:
                if Int.random(in: 0..<4, using: &random) == 0 {
                    client.protocols = [["range"], ["range", "rr"], ["rr", "range"], ["rr"]].randomElement(
                        using: &random
                    )!
                    client.session = Int32.random(in: 100...1_000, using: &random)
                    client.rebalance = Int32.random(in: 200...2_000, using: &random)
                    clients[index] = client
                }
                let request = KafkaClassicGroup.JoinRequest(
                    apiVersion: client.instance == nil ? Int16.random(in: 3...5, using: &random) : 5,
                    groupID: "g",
                    sessionTimeoutMilliseconds: client.session,
                    rebalanceTimeoutMilliseconds: client.rebalance,
                    memberID: client.memberID,
                    groupInstanceID: client.instance,
                    protocolType: "consumer",
                    protocols: client.protocols.map {
                        KafkaClassicGroup.MemberProtocol(name: $0, metadata: [UInt8(index)])
                    },
                    clientID: "client\(index)"
                )
                apply(group.join(request, token: issue(index), now: now), group)
            case 25..<45:
                let assignments = client.membersIfLeader.map {
                    KafkaClassicGroup.SyncRequest.Assignment(
                        memberID: $0,
                        assignment: [UInt8(truncatingIfNeeded: client.generation)] + Array($0.utf8)
                    )
                }
                let request = KafkaClassicGroup.SyncRequest(
                    groupID: "g",
                    generationID: client.generation,
                    memberID: client.memberID,
                    groupInstanceID: client.instance,
                    assignments: assignments
                )
                let token = issue(index)
                syncs[token] = (client.memberID, client.generation, client.instance != nil)
                apply(group.sync(request, token: token, now: now), group)
            case 45..<70:
                let request = KafkaClassicGroup.HeartbeatRequest(
                    groupID: "g",
                    generationID: client.generation,
                    memberID: client.memberID,
                    groupInstanceID: client.instance
                )
                let (error, outputs) = group.heartbeat(request, now: now)
                apply(outputs, group)
                if error == .unknownMemberID || error == .fencedInstanceID {
                    clients[index].memberID = ""
                    clients[index].generation = -1
                }
            case 70..<75:
                let leaving = KafkaClassicGroup.LeaveRequest.Member(
                    memberID: client.memberID,
                    groupInstanceID: client.instance
                )
                let (_, outputs) = group.leave(
                    KafkaClassicGroup.LeaveRequest(groupID: "g", members: [leaving]),
                    now: now
                )
                apply(outputs, group)
                clients[index].memberID = ""
                clients[index].generation = -1
            case 75..<80:
                let (decision, outputs) = group.validateOffsetCommit(
                    memberID: client.memberID,
                    groupInstanceID: client.instance,
                    generationID: client.generation,
                    now: now
                )
                apply(outputs, group)
                if decision == .accept && client.generation >= 0 {
                    #expect(client.generation == group.generationID)
                    #expect(group.members[client.memberID] != nil)
                }
            case 80..<90:
                // Time passes and a request arrives before the timer fires: that request applies the deadlines.
                now += Int64.random(in: 0...700, using: &random)
                continue
            default:
                now += Int64.random(in: 0...700, using: &random)
                apply(group.tick(now: now), group)
            }
            #expect(group.generationID >= previousGeneration)
            previousGeneration = group.generationID
            statesSeen.insert(group.state)
            checkInvariants(group, now: now, issued: Set(owner.keys), answered: answered, seed: seed)
        }

        #expect(statesSeen.isSuperset(of: [.empty, .preparingRebalance, .completingRebalance]), "seed \(seed)")
        #expect(previousGeneration >= 2, "seed \(seed)")

        // Everyone goes quiet: every member times out, every parked request is answered, the group ends Empty.
        for _ in 0..<40 {
            now += 500
            apply(group.tick(now: now), group)
            checkInvariants(group, now: now, issued: Set(owner.keys), answered: answered, seed: seed)
        }
        #expect(group.state == .empty, "seed \(seed)")
        #expect(group.memberCount == 0 && group.pendingMemberCount == 0, "seed \(seed)")
        #expect(answered == Set(owner.keys), "seed \(seed): unanswered requests")
        #expect(group.nextDeadline == nil)
        return statesSeen
    }

    static func checkInvariants(
        _ group: KafkaClassicGroup,
        now: Int64,
        issued: Set<KafkaGroupRequestToken>,
        answered: Set<KafkaGroupRequestToken>,
        seed: UInt64
    ) {
        let members = group.members
        // Membership bookkeeping agrees with itself.
        #expect(Set(group.memberOrder) == Set(members.keys) && group.memberOrder.count == members.count, "seed \(seed)")
        for (instance, memberID) in group.staticMembers {
            #expect(members[memberID]?.groupInstanceID == instance, "seed \(seed)")
        }
        #expect(group.pendingSyncMembers.isSubset(of: Set(members.keys)), "seed \(seed)")
        #expect(Set(group.pendingMembers.keys).isDisjoint(with: Set(members.keys)), "seed \(seed)")
        // At most one leader, and it is a member; no leader without members.
        if let leader = group.leaderID {
            #expect(members[leader] != nil, "seed \(seed): leader is not a member")
        } else {
            #expect(members.isEmpty, "seed \(seed): members without a leader")
        }
        // The parked requests are exactly the unanswered ones.
        let parked = members.values.flatMap { [$0.awaitingJoin, $0.awaitingSync].compactMap { $0 } }
        #expect(Set(parked).count == parked.count, "seed \(seed): a token parked twice")
        #expect(Set(parked) == issued.subtracting(answered), "seed \(seed): parked and unanswered differ")
        // States.
        switch group.state {
        case .empty:
            #expect(members.isEmpty, "seed \(seed)")
        case .preparingRebalance:
            #expect(group.joinDeadline != nil, "seed \(seed)")
            #expect(members.values.allSatisfy { $0.awaitingSync == nil }, "seed \(seed)")
        case .completingRebalance:
            #expect(members.values.allSatisfy { $0.awaitingJoin == nil }, "seed \(seed)")
        case .stable:
            #expect(
                members.values.allSatisfy {
                    $0.awaitingJoin == nil && $0.awaitingSync == nil && $0.assignmentGenerationID == group.generationID
                },
                "seed \(seed): a Stable member without an assignment of the generation"
            )
        case .dead:
            Issue.record("seed \(seed): dead without a delete or shutdown")
        }
        if group.state != .preparingRebalance {
            #expect(group.joinDeadline == nil, "seed \(seed)")
        }
        // Nobody lingers: every member not held by a parked request is inside its session.
        let longest = Int64(
            max(group.configuration.maxSessionTimeoutMilliseconds, group.configuration.newMemberJoinTimeoutMilliseconds)
        )
        for member in members.values where !member.isKeptAliveByParkedRequest {
            #expect(member.sessionDeadline > now, "seed \(seed): member past its session")
            #expect(member.sessionDeadline <= now + longest, "seed \(seed)")
        }
        for deadline in group.pendingMembers.values {
            #expect(deadline > now, "seed \(seed): pending id past its session")
        }
        if let next = group.nextDeadline {
            #expect(next > now, "seed \(seed): a due deadline was not applied")
        }
        // The recorded next deadline is never later than the real one (heartbeats may leave it earlier).
        if let scanned = group.scanNextDeadline() {
            #expect(group.nextDeadline.map { $0 <= scanned } == true, "seed \(seed): next deadline too late")
        }
    }
}
