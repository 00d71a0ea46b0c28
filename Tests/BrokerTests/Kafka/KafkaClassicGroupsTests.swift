import Testing

@testable import Broker

/// The group table: routing, unknown groups, the group limit, ticks across groups.
@Suite struct KafkaClassicGroupsTests {
    static func request(_ groupID: String, memberID: String = "", version: Int16 = 5) -> KafkaClassicGroup.JoinRequest {
        KafkaClassicGroup.JoinRequest(
            apiVersion: version,
            groupID: groupID,
            sessionTimeoutMilliseconds: 10_000,
            rebalanceTimeoutMilliseconds: 30_000,
            memberID: memberID,
            protocolType: "consumer",
            protocols: [KafkaClassicGroup.MemberProtocol(name: "range", metadata: [])],
            clientID: "c"
        )
    }

    static func joinAnswer(_ outputs: [KafkaClassicGroupOutput]) -> KafkaClassicGroup.JoinResponse? {
        if case .respondJoin(_, let response)? = outputs.first { return response }
        return nil
    }

    @Test func emptyGroupIDIsInvalidEverywhere() {
        var groups = KafkaClassicGroups(memberIDGenerator: .seeded(1))
        let token = KafkaGroupRequestToken(1)
        #expect(Self.joinAnswer(groups.join(Self.request(""), token: token, now: 0))?.errorCode == .invalidGroupID)
        #expect(
            groups.sync(
                KafkaClassicGroup.SyncRequest(groupID: "", generationID: 1, memberID: "m"),
                token: token,
                now: 0
            )
                == [.respondSync(token, .failure(.invalidGroupID))]
        )
        #expect(
            groups.heartbeat(KafkaClassicGroup.HeartbeatRequest(groupID: "", generationID: 1, memberID: "m"), now: 0)
                .errorCode
                == .invalidGroupID
        )
        #expect(
            groups.leave(KafkaClassicGroup.LeaveRequest(groupID: "", memberID: "m"), now: 0).response.errorCode
                == .invalidGroupID
        )
        #expect(
            groups.validateOffsetCommit(groupID: "", memberID: "", groupInstanceID: nil, generationID: -1, now: 0)
                .decision
                == .reject(.invalidGroupID)
        )
        #expect(groups.count == 0)
    }

    @Test func unknownGroupsAnswerAsKafka() {
        var groups = KafkaClassicGroups(memberIDGenerator: .seeded(1))
        let token = KafkaGroupRequestToken(1)
        #expect(
            Self.joinAnswer(groups.join(Self.request("g", memberID: "m"), token: token, now: 0))?.errorCode
                == .unknownMemberID
        )
        #expect(
            groups.sync(
                KafkaClassicGroup.SyncRequest(groupID: "g", generationID: 1, memberID: "m"),
                token: token,
                now: 0
            )
                == [.respondSync(token, .failure(.unknownMemberID))]
        )
        #expect(
            groups.heartbeat(KafkaClassicGroup.HeartbeatRequest(groupID: "g", generationID: 1, memberID: "m"), now: 0)
                .errorCode
                == .unknownMemberID
        )
        #expect(
            groups.leave(KafkaClassicGroup.LeaveRequest(groupID: "g", memberID: "m"), now: 0).response
                .singleMemberErrorCode
                == .unknownMemberID
        )
        #expect(
            groups.validateOffsetCommit(groupID: "g", memberID: "", groupInstanceID: nil, generationID: -1, now: 0)
                .decision == .accept
        )
        #expect(
            groups.validateOffsetCommit(groupID: "g", memberID: "m", groupInstanceID: nil, generationID: 4, now: 0)
                .decision
                == .reject(.illegalGeneration)
        )
        #expect(groups.count == 0)
    }

    @Test func aFailedFirstJoinLeavesNoGroupBehind() {
        var groups = KafkaClassicGroups(memberIDGenerator: .seeded(1))
        var request = Self.request("g")
        request.sessionTimeoutMilliseconds = 1
        #expect(Self.joinAnswer(groups.join(request, token: .init(1), now: 0))?.errorCode == .invalidSessionTimeout)
        #expect(groups.count == 0)
        #expect(
            Self.joinAnswer(groups.join(Self.request("g"), token: .init(2), now: 0))?.errorCode == .memberIDRequired
        )
        #expect(groups.count == 1)  // the pending member id is remembered
    }

    @Test func groupLimitForgetsTheLongestEmptyGroupOrRefuses() {
        var groups = KafkaClassicGroups(
            configuration: KafkaClassicGroupConfiguration(maxGroups: 2),
            memberIDGenerator: .seeded(1)
        )
        _ = groups.join(Self.request("a", version: 3), token: .init(1), now: 0)
        _ = groups.join(Self.request("b", version: 3), token: .init(2), now: 0)
        let refused = groups.join(Self.request("c", version: 3), token: .init(3), now: 0)
        #expect(Self.joinAnswer(refused)?.errorCode == .coordinatorNotAvailable)
        #expect(groups.groupIDs == ["a", "b"])
        // "a" completes its join and its only member leaves: Empty (generation 2), so it may be forgotten.
        _ = groups.tick(now: 3_000)
        guard let member = groups.describe(groupID: "a")?.members.first?.memberID else {
            Issue.record("group a has no member")
            return
        }
        _ = groups.leave(KafkaClassicGroup.LeaveRequest(groupID: "a", memberID: member), now: 3_000)
        #expect(groups.describe(groupID: "a")?.state == .empty)
        let admitted = groups.join(Self.request("c", version: 3), token: .init(4), now: 3_000)
        #expect(admitted.isEmpty)  // parked in c's initial delay
        #expect(groups.groupIDs == ["b", "c"])
    }

    @Test func tickAndNextDeadlineSpanEveryGroup() {
        var groups = KafkaClassicGroups(memberIDGenerator: .seeded(1))
        _ = groups.join(Self.request("a", version: 3), token: .init(1), now: 0)
        _ = groups.join(Self.request("b", version: 3), token: .init(2), now: 1_000)
        #expect(groups.nextDeadline() == 3_000)
        #expect(groups.tick(now: 2_999).isEmpty)
        #expect(groups.tick(now: 3_000).map(\.token) == [.init(1)])
        #expect(groups.nextDeadline() == 4_000)
        #expect(groups.tick(now: 4_000).map(\.token) == [.init(2)])
    }

    @Test func deleteAndShutdown() {
        var groups = KafkaClassicGroups(memberIDGenerator: .seeded(1))
        _ = groups.join(Self.request("a", version: 3), token: .init(1), now: 0)
        #expect(groups.delete(groupID: "a", now: 0) == .nonEmptyGroup)
        #expect(groups.delete(groupID: "zzz", now: 0) == .noError)
        let outputs = groups.shutdown(now: 1)
        #expect(outputs.map(\.token) == [.init(1)])
        #expect(Self.joinAnswer(outputs)?.errorCode == .notCoordinator)
        #expect(groups.count == 0)
    }

    @Test func seededMemberIDsAreReproducibleAndSystemOnesAreNot() {
        var first = KafkaClassicGroups(memberIDGenerator: .seeded(7))
        var second = KafkaClassicGroups(memberIDGenerator: .seeded(7))
        let a = Self.joinAnswer(first.join(Self.request("g"), token: .init(1), now: 0))?.memberID
        let b = Self.joinAnswer(second.join(Self.request("g"), token: .init(1), now: 0))?.memberID
        #expect(a == b)
        var system = KafkaClassicGroups()
        let c = Self.joinAnswer(system.join(Self.request("g"), token: .init(1), now: 0))?.memberID
        let d = Self.joinAnswer(system.join(Self.request("g"), token: .init(2), now: 0))?.memberID
        #expect(c != d)
        #expect(c?.hasPrefix("c-") == true)
    }

    @Test func theDeadlineIndexAgreesWithAScanUnderRandomOperations() {
        var random = SeededGenerator(seed: 42)
        var groups = KafkaClassicGroups(
            configuration: KafkaClassicGroupConfiguration(
                minSessionTimeoutMilliseconds: 100,
                initialRebalanceDelayMilliseconds: 50,
                maxGroups: 8
            ),
            memberIDGenerator: .seeded(3)
        )
        var now: Int64 = 0
        var token: UInt64 = 0
        var renewedSessions = 0
        for _ in 0..<3_000 {
            let groupID = "g\(Int.random(in: 0..<12, using: &random))"
            let description = groups.describe(groupID: groupID)
            let member = description?.members.randomElement(using: &random)?.memberID
            token += 1
            switch Int.random(in: 0..<6, using: &random) {
            case 0:
                var request = Self.request(groupID, version: 3)
                request.sessionTimeoutMilliseconds = Int32.random(in: 100...2_000, using: &random)
                request.rebalanceTimeoutMilliseconds = Int32.random(in: 100...2_000, using: &random)
                _ = groups.join(request, token: .init(token), now: now)
            case 1:
                if let member, let generation = description?.generationID {
                    let sync = KafkaClassicGroup.SyncRequest(
                        groupID: groupID,
                        generationID: generation,
                        memberID: member
                    )
                    _ = groups.sync(sync, token: .init(token), now: now)
                }
            case 2, 3:
                if let member, let generation = description?.generationID {
                    let request = KafkaClassicGroup.HeartbeatRequest(
                        groupID: groupID,
                        generationID: generation,
                        memberID: member
                    )
                    let error = groups.heartbeat(request, now: now).errorCode
                    if error == .noError || error == .rebalanceInProgress { renewedSessions += 1 }
                }
            case 4:
                if let member, Int.random(in: 0..<4, using: &random) == 0 {
                    _ = groups.leave(.init(groupID: groupID, memberID: member), now: now)
                }
            default:
                now += Int64.random(in: 0...150, using: &random)
                _ = groups.tick(now: now)
            }
            #expect(groups.nextDeadline() == groups.scannedNextDeadline)
            #expect(groups.deadlineEntryCount <= 2 * 12 + 16 + 1)
            #expect(groups.count <= 8)
        }
        #expect(renewedSessions > 300, "\(renewedSessions)")
    }
}
