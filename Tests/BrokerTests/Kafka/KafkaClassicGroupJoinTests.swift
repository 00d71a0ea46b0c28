import Testing

@testable import Broker

/// JoinGroup: member ids, the initial delay, protocol checks and selection, rejoins, limits.
@Suite struct KafkaClassicGroupJoinTests {
    typealias H = KafkaGroupHarness

    @Test func newDynamicMemberAtV4IsAskedToRejoinWithAGeneratedID() {
        var h = H()
        let token = h.join(H.request(version: 4, clientID: "app"))
        let answer = h.joinAnswer(token)
        #expect(answer?.errorCode == .memberIDRequired)
        #expect(answer?.memberID.hasPrefix("app-") == true)
        #expect(answer?.memberID.count == "app-".count + 36)
        #expect(answer?.generationID == -1)
        #expect(h.group.state == .empty)
        #expect(h.group.pendingMemberCount == 1)
        #expect(h.group.memberCount == 0)
    }

    @Test func newDynamicMemberBelowV4IsAddedDirectlyAndLeadsTheFirstGeneration() {
        var h = H()
        let token = h.join(H.request(version: 3, clientID: "old"))
        #expect(h.answers[token] == nil)
        #expect(h.group.state == .preparingRebalance)
        h.advance(by: 2_999)
        #expect(h.answers[token] == nil)
        h.advance(by: 1)
        let answer = h.joinAnswer(token)
        #expect(answer?.errorCode == .noError)
        #expect(answer?.generationID == 1)
        #expect(answer?.memberID.hasPrefix("old-") == true)
        #expect(answer?.leaderID == answer?.memberID)
        #expect(answer?.protocolName == "range")
        #expect(answer?.members.map(\.memberID) == [answer?.memberID ?? "?"])
        #expect(h.group.state == .completingRebalance)
    }

    @Test func initialDelayIsExtendedWhileMembersKeepJoining() {
        var h = H()
        let first = h.joinNewMember()
        h.advance(by: 2_000)
        let second = h.joinNewMember()
        h.advance(by: 1_000)  // 3,000: a member joined during the delay, so it is extended by 3,000
        #expect(h.answers[first.token] == nil)
        #expect(h.group.state == .preparingRebalance)
        h.advance(by: 2_999)
        #expect(h.answers[second.token] == nil)
        h.advance(by: 1)
        #expect(h.joinAnswer(first.token)?.generationID == 1)
        #expect(h.joinAnswer(second.token)?.generationID == 1)
    }

    @Test func initialDelayExtensionsStopAtTheRebalanceTimeout() {
        var h = H()
        _ = h.joinNewMember(rebalance: 5_000)  // delay 3,000, then at most 2,000 more
        h.advance(by: 1_000)
        _ = h.joinNewMember(rebalance: 5_000)
        h.advance(by: 2_000)
        #expect(h.group.state == .preparingRebalance)
        h.advance(by: 1_000)
        _ = h.joinNewMember(rebalance: 5_000)
        h.advance(by: 999)
        #expect(h.group.state == .preparingRebalance)
        h.advance(by: 1)  // 5,000: the rebalance timeout, whatever joined meanwhile
        #expect(h.group.state == .completingRebalance)
        #expect(h.group.memberCount == 3)
    }

    @Test func sessionTimeoutOutsideTheBoundsIsRefused() {
        var h = H()
        for session: Int32 in [5_999, 1_800_001, -1] {
            let token = h.join(H.request(session: session))
            #expect(h.joinAnswer(token)?.errorCode == .invalidSessionTimeout)
        }
        #expect(h.group.pendingMemberCount == 0)
        #expect(h.joinNow(H.request(session: 6_000))?.errorCode == .memberIDRequired)
        #expect(h.joinNow(H.request(session: 1_800_000))?.errorCode == .memberIDRequired)

        var narrow = H(
            configuration: KafkaClassicGroupConfiguration(
                minSessionTimeoutMilliseconds: 100,
                maxSessionTimeoutMilliseconds: 200
            )
        )
        #expect(narrow.joinNow(H.request(session: 201))?.errorCode == .invalidSessionTimeout)
        #expect(narrow.joinNow(H.request(session: 100))?.errorCode == .memberIDRequired)
    }

    @Test func protocolsNoMemberSupportsAreInconsistent() {
        var h = H()
        _ = h.joinNewMember(protocols: ["range"])
        for request in [
            H.request(protocols: ["roundrobin"]),
            H.request(protocolType: "connect"),
            H.request(protocols: []),
        ] {
            #expect(h.joinNow(request)?.errorCode == .inconsistentGroupProtocol)
        }
        var empty = H()
        #expect(empty.joinNow(H.request(protocolType: ""))?.errorCode == .inconsistentGroupProtocol)
        #expect(empty.joinNow(H.request(protocols: []))?.errorCode == .inconsistentGroupProtocol)
    }

    @Test(arguments: [
        ([["range", "roundrobin"], ["roundrobin", "range"], ["roundrobin", "range"]], "roundrobin"),
        ([["range", "roundrobin"], ["roundrobin", "range"]], "range"),  // a tie: the first member's preference
        ([["sticky", "range"], ["range"]], "range"),  // only a protocol every member supports
        (
            [["cooperative-sticky", "range"], ["cooperative-sticky", "range"], ["range", "cooperative-sticky"]],
            "cooperative-sticky"
        ),
    ])
    func protocolIsChosenByTheMembersVotes(preferences: [[String]], expected: String) {
        var h = H()
        let tokens = preferences.map { h.joinNewMember(protocols: $0).token }
        h.completeInitialJoin()
        for token in tokens {
            #expect(h.joinAnswer(token)?.protocolName == expected)
        }
    }

    @Test func leaderAloneReceivesEveryMembersMetadataForTheSelectedProtocol() {
        var h = H()
        let first = h.join(H.request(version: 3, protocols: ["a", "b"], metadata: [7]))
        let second = h.join(H.request(version: 3, protocols: ["b"], metadata: [9]))
        h.completeInitialJoin()
        let leader = h.joinAnswer(first)
        let follower = h.joinAnswer(second)
        #expect(leader?.protocolName == "b")
        #expect(leader?.leaderID == leader?.memberID)
        #expect(follower?.leaderID == leader?.memberID)
        #expect(leader?.members.map(\.memberID) == [leader?.memberID ?? "", follower?.memberID ?? ""])
        #expect(leader?.members.map(\.metadata) == [[7], [9]])
        #expect(follower?.members == [])
    }

    @Test func unknownMemberIDIsRefused() {
        var h = H()
        _ = h.stableGroupOfTwo()
        #expect(h.joinNow(H.request(memberID: "nobody"))?.errorCode == .unknownMemberID)
        #expect(h.group.state == .stable)
    }

    @Test func rejoinDuringCompletingRebalanceWithSameMetadataGetsTheCurrentGenerationAtOnce() {
        var h = H()
        let (leader, follower) = h.twoMembersJoined()
        let again = h.join(H.request(memberID: leader))
        #expect(h.joinAnswer(again)?.generationID == 1)
        #expect(h.joinAnswer(again)?.members.count == 2)
        let followerAgain = h.join(H.request(memberID: follower))
        #expect(h.joinAnswer(followerAgain)?.members == [])
        #expect(h.group.state == .completingRebalance)
        // Changed metadata forces a rebalance instead.
        let changed = h.join(H.request(memberID: follower, metadata: [42]))
        #expect(h.answers[changed] == nil)
        #expect(h.group.state == .preparingRebalance)
    }

    @Test func rejoinInStableRebalancesOnlyForTheLeaderOrChangedMetadata() {
        var h = H()
        let (leader, follower) = h.stableGroupOfTwo()
        let same = h.join(H.request(memberID: follower))
        #expect(h.joinAnswer(same)?.generationID == 1)
        #expect(h.joinAnswer(same)?.leaderID == leader)
        #expect(h.group.state == .stable)

        let fromLeader = h.join(H.request(memberID: leader))
        #expect(h.answers[fromLeader] == nil)
        #expect(h.group.state == .preparingRebalance)
        let followerRejoin = h.join(H.request(memberID: follower))
        // Every member rejoined: the join phase completes at once (not an initial rebalance).
        #expect(h.joinAnswer(fromLeader)?.generationID == 2)
        #expect(h.joinAnswer(followerRejoin)?.generationID == 2)

        var changed = H()
        let pair = changed.stableGroupOfTwo()
        let token = changed.join(H.request(memberID: pair.follower, protocols: ["range", "sticky"]))
        #expect(changed.answers[token] == nil)
        #expect(changed.group.state == .preparingRebalance)
    }

    @Test func aSecondJoinFromAParkedMemberReplacesTheFirst() {
        var h = H()
        let member = h.joinNewMember()
        let again = h.join(H.request(memberID: member.memberID))
        #expect(h.joinAnswer(member.token)?.errorCode == .rebalanceInProgress)
        h.advance(by: 3_000)
        #expect(h.joinAnswer(again)?.errorCode == .noError)
        #expect(h.answeredTwice.isEmpty)
    }

    @Test func membersThatDoNotRejoinWithinTheRebalanceTimeoutAreRemoved() {
        var h = H()
        let (leader, follower) = h.stableGroupOfTwo()
        let rejoin = h.join(H.request(memberID: leader, rebalance: 20_000))
        h.advance(by: 9_000)
        #expect(h.heartbeat(memberID: follower, generation: 1) == .rebalanceInProgress)
        h.advance(by: 11_000)  // the rebalance timeout (20,000) since the leader's join
        #expect(h.joinAnswer(rejoin)?.generationID == 2)
        #expect(h.joinAnswer(rejoin)?.members.map(\.memberID) == [leader])
        #expect(h.group.memberCount == 1)
        #expect(h.heartbeat(memberID: follower, generation: 1) == .unknownMemberID)
    }

    @Test func groupSizeLimitCountsPendingMemberIDs() {
        var h = H(configuration: KafkaClassicGroupConfiguration(maxMembersPerGroup: 2))
        let first = h.join(H.request())
        _ = h.join(H.request())
        let third = h.join(H.request())
        #expect(h.joinAnswer(third)?.errorCode == .groupMaxSizeReached)
        #expect(h.joinAnswer(third)?.memberID == "")
        #expect(h.group.pendingMemberCount == 2)
        // A pending member may still join with its id.
        let id = h.joinAnswer(first)?.memberID ?? ""
        let joined = h.join(H.request(memberID: id))
        #expect(h.answers[joined] == nil)
        #expect(h.group.memberCount == 1)
    }

    @Test func groupSizeLimitAppliesToStableGroups() {
        var h = H(configuration: KafkaClassicGroupConfiguration(maxMembersPerGroup: 2))
        _ = h.stableGroupOfTwo()
        #expect(h.joinNow(H.request(version: 3))?.errorCode == .groupMaxSizeReached)
        #expect(h.group.state == .stable)
    }

    @Test func oversizedProtocolMetadataIsAnInvalidRequest() {
        var h = H(configuration: KafkaClassicGroupConfiguration(maxMemberMetadataBytes: 100))
        let big = h.join(H.request(protocols: ["range"], metadata: Array(repeating: 0, count: 96)))
        #expect(h.joinAnswer(big)?.errorCode == .invalidRequest)
        let fits = h.join(H.request(protocols: ["range"], metadata: Array(repeating: 0, count: 95)))
        #expect(h.joinAnswer(fits)?.errorCode == .memberIDRequired)
    }

    @Test func pendingMemberIDExpiresAfterTheSessionTimeout() {
        var h = H()
        let token = h.join(H.request(session: 10_000))
        let id = h.joinAnswer(token)?.memberID ?? ""
        #expect(h.group.nextDeadline == 10_000)
        h.advance(by: 10_000)
        #expect(h.group.pendingMemberCount == 0)
        #expect(h.joinNow(H.request(memberID: id))?.errorCode == .unknownMemberID)
    }

    @Test func pendingMemberHoldsBackTheJoinPhaseUntilItJoinsOrExpires() {
        var h = H()
        let (leader, _) = h.stableGroupOfTwo()
        let pending = h.join(H.request(session: 8_000))  // MEMBER_ID_REQUIRED: pending
        #expect(h.joinAnswer(pending)?.errorCode == .memberIDRequired)
        let rejoin = h.join(H.request(memberID: leader))
        h.advance(by: 7_999)
        #expect(h.answers[rejoin] == nil)
        h.advance(by: 1)  // the pending id expires; the follower has not rejoined yet either
        #expect(h.group.pendingMemberCount == 0)
        #expect(h.answers[rejoin] == nil)
    }

    @Test func joinToADeadGroupIsRefused() {
        var h = H()
        #expect(h.group.delete(now: 0) == .noError)
        #expect(h.group.state == .dead)
        #expect(h.joinNow(H.request())?.errorCode == .coordinatorNotAvailable)
    }

    @Test func v0RebalanceTimeoutIsTheSessionTimeout() {
        var h = H()
        let v0 = H.request(version: 0, session: 7_000, rebalance: -1)
        let first = h.join(v0)
        let second = h.join(v0)
        h.advance(by: 6_000)  // initial delay 3,000, extended once (a member joined during it) within 7,000
        guard let leader = h.joinAnswer(first)?.memberID, let follower = h.joinAnswer(second)?.memberID else {
            Issue.record("join not completed")
            return
        }
        h.sync(memberID: follower, generation: 1)
        h.sync(memberID: leader, generation: 1)
        #expect(h.group.state == .stable)
        let rejoin = h.join(H.request(memberID: leader, version: 0, session: 7_000, rebalance: -1))
        h.advance(by: 6_999)
        #expect(h.answers[rejoin] == nil)
        h.advance(by: 1)
        #expect(h.joinAnswer(rejoin)?.members.map(\.memberID) == [leader])
    }
}
