import Testing

@testable import Broker

/// LeaveGroup (single and batch), static membership and offset commit decisions.
@Suite struct KafkaClassicGroupMembershipTests {
    typealias H = KafkaGroupHarness
    typealias Leaving = KafkaClassicGroup.LeaveRequest.Member

    @Test func singleMemberLeaveStartsARebalance() {
        var h = H()
        let (leader, follower) = h.stableGroupOfTwo()
        let response = h.leave([Leaving(memberID: follower)])
        #expect(response.singleMemberErrorCode == .noError)
        #expect(h.group.state == .preparingRebalance)
        #expect(h.group.memberCount == 1)
        let rejoin = h.join(H.request(memberID: leader))
        #expect(h.joinAnswer(rejoin)?.generationID == 2)  // the only member rejoined: completes at once
        #expect(h.leave([Leaving(memberID: follower)]).singleMemberErrorCode == .unknownMemberID)
    }

    @Test func leaderLeavingHandsLeadershipToTheNextMember() {
        var h = H()
        let (leader, follower) = h.stableGroupOfTwo()
        _ = h.leave([Leaving(memberID: leader)])
        #expect(h.group.leaderID == follower)
        let rejoin = h.join(H.request(memberID: follower))
        #expect(h.joinAnswer(rejoin)?.leaderID == follower)
        #expect(h.joinAnswer(rejoin)?.members.map(\.memberID) == [follower])
    }

    @Test func aLeavingMembersParkedJoinIsAnsweredUnknownMember() {
        var h = H()
        let (leader, follower) = h.stableGroupOfTwo()
        let parked = h.join(H.request(memberID: leader))
        _ = h.leave([Leaving(memberID: leader)])
        #expect(h.joinAnswer(parked)?.errorCode == .unknownMemberID)
        #expect(h.group.leaderID == follower)
    }

    @Test func lastMemberLeavingEmptiesTheGroupWithANewGeneration() {
        var h = H()
        let (leader, follower) = h.stableGroupOfTwo()
        _ = h.leave([Leaving(memberID: leader), Leaving(memberID: follower)])
        #expect(h.group.state == .empty)
        #expect(h.group.generationID == 2)
        #expect(h.group.leaderID == nil)
        #expect(h.group.protocolName == nil)
        #expect(h.group.protocolType == "consumer")
    }

    @Test func batchLeaveAnswersEachMember() {
        var h = H()
        let (leader, follower) = h.stableGroupOfTwo()
        let pending = h.joinNow(H.request())?.memberID ?? ""
        let response = h.leave([
            Leaving(memberID: follower),
            Leaving(memberID: "stranger"),
            Leaving(memberID: pending),
            Leaving(memberID: leader, groupInstanceID: "not-registered"),
        ])
        #expect(response.errorCode == .noError)
        #expect(response.members.map(\.errorCode) == [.noError, .unknownMemberID, .noError, .unknownMemberID])
        #expect(response.members.map(\.memberID) == [follower, "stranger", pending, leader])
        #expect(h.group.pendingMemberCount == 0)
        #expect(h.group.memberCount == 1)
    }

    @Test func staticMemberJoinsWithoutAMemberIDRoundTripAndLeavesByInstanceID() {
        var h = H()
        let token = h.join(H.request(instance: "pod-1"))
        #expect(h.answers[token] == nil)
        h.advance(by: 3_000)
        let memberID = h.joinAnswer(token)?.memberID ?? ""
        #expect(memberID.hasPrefix("pod-1-"))
        #expect(h.group.describe().members.first?.groupInstanceID == "pod-1")
        #expect(h.joinAnswer(token)?.members.first?.groupInstanceID == "pod-1")
        let fenced = h.leave([Leaving(memberID: "someone-else", groupInstanceID: "pod-1")])
        #expect(fenced.members.first?.errorCode == .fencedInstanceID)
        let byInstance = h.leave([Leaving(memberID: "", groupInstanceID: "pod-1")])
        #expect(byInstance.members.first?.errorCode == .noError)
        #expect(h.group.memberCount == 0)
    }

    /// A static group of two (instances a and b), Stable in generation 1 with assignments [1] and [2].
    private func stableStaticPair(_ h: inout H) -> (a: String, b: String) {
        let a = h.join(H.request(instance: "a"))
        let b = h.join(H.request(instance: "b"))
        h.completeInitialJoin()
        let aID = h.joinAnswer(a)?.memberID ?? "", bID = h.joinAnswer(b)?.memberID ?? ""
        _ = h.sync(memberID: bID, generation: 1, instance: "b")
        _ = h.sync(memberID: aID, generation: 1, instance: "a", assignments: [aID: [1], bID: [2]])
        #expect(h.group.state == .stable)
        return (aID, bID)
    }

    @Test func staticMemberRestartingInStableTakesOverWithoutARebalance() {
        var h = H()
        let (a, b) = stableStaticPair(&h)
        let restart = h.joinNow(H.request(instance: "b"))
        let newID = restart?.memberID ?? ""
        #expect(restart?.errorCode == .noError)
        #expect(newID != b && newID.hasPrefix("b-"))
        #expect(restart?.generationID == 1)
        #expect(restart?.leaderID == a)
        #expect(h.group.state == .stable)
        #expect(h.syncNow(memberID: newID, generation: 1, instance: "b")?.assignment == [2])
        #expect(h.heartbeat(memberID: b, generation: 1, instance: "b") == .fencedInstanceID)
        #expect(h.heartbeat(memberID: b, generation: 1) == .unknownMemberID)
        #expect(h.heartbeat(memberID: newID, generation: 1, instance: "b") == .noError)
    }

    @Test func staticLeaderRestartingIsToldTheOldLeaderIDSoItDoesNotReassign() {
        var h = H()
        let (a, _) = stableStaticPair(&h)
        let restart = h.joinNow(H.request(instance: "a"))
        let newID = restart?.memberID ?? ""
        #expect(restart?.leaderID == a)
        #expect(restart?.members == [])
        #expect(h.group.leaderID == newID)
        #expect(h.syncNow(memberID: newID, generation: 1, instance: "a")?.assignment == [1])
    }

    @Test func staticMemberRestartingWithOtherProtocolsRebalances() {
        var h = H()
        _ = stableStaticPair(&h)
        let restart = h.join(H.request(instance: "b", protocols: ["sticky", "range"]))
        // a supports only range, so range stays selected: answered at once, no rebalance.
        #expect(h.joinAnswer(restart)?.generationID == 1)
        #expect(h.group.state == .stable)
        var other = H()
        _ = stableStaticPair(&other)
        _ = other.join(H.request(instance: "a", protocols: ["sticky", "range"]))
        _ = other.join(H.request(instance: "b", protocols: ["sticky", "range"]))
        #expect(other.group.state == .preparingRebalance)
    }

    @Test func staticMemberRestartingFencesItsOldParkedJoin() {
        var h = H()
        let (a, b) = stableStaticPair(&h)
        let parked = h.join(H.request(memberID: a, instance: "a"))  // the leader rejoins: PreparingRebalance
        let restart = h.join(H.request(instance: "a"))
        #expect(h.joinAnswer(parked)?.errorCode == .fencedInstanceID)
        #expect(h.answers[restart] == nil)
        _ = h.join(H.request(memberID: b, instance: "b"))
        #expect(h.joinAnswer(restart)?.generationID == 2)
        #expect(h.answeredTwice.isEmpty)
    }

    @Test func knownMemberIDWithAnotherInstanceIsFenced() {
        var h = H()
        let (a, _) = stableStaticPair(&h)
        #expect(h.joinNow(H.request(memberID: a, instance: "b"))?.errorCode == .fencedInstanceID)
        #expect(h.joinNow(H.request(memberID: a, instance: "zzz"))?.errorCode == .unknownMemberID)
    }

    @Test func staticMembersThatDoNotRejoinStayUntilTheirSessionEnds() {
        var h = H()
        let (a, b) = stableStaticPair(&h)
        let rejoin = h.join(H.request(memberID: a, instance: "a"))
        for _ in 0..<3 {
            h.advance(by: 9_000)
            #expect(h.heartbeat(memberID: b, generation: 1, instance: "b") == .rebalanceInProgress)
        }
        h.advance(by: 3_000)  // the rebalance timeout: b did not rejoin, but it is static: kept
        #expect(h.joinAnswer(rejoin)?.generationID == 2)
        #expect(h.joinAnswer(rejoin)?.members.map(\.memberID) == [a, b])
        #expect(h.group.memberCount == 2)
    }

    @Test func offsetCommitDecisions() {
        var h = H()
        #expect(h.commit(memberID: "", generation: -1) == .accept)  // a simple consumer, empty group
        #expect(h.commit(memberID: "x", generation: 3) == .reject(.unknownMemberID))
        let (leader, follower) = h.twoMembersJoined()
        #expect(h.commit(memberID: leader, generation: 1) == .reject(.rebalanceInProgress))
        _ = h.sync(memberID: leader, generation: 1)
        #expect(h.commit(memberID: follower, generation: 1) == .accept)
        #expect(h.commit(memberID: follower, generation: 0) == .reject(.illegalGeneration))
        #expect(h.commit(memberID: "x", generation: 1) == .reject(.unknownMemberID))
        #expect(h.commit(memberID: "", generation: -1) == .reject(.unknownMemberID))
        #expect(h.commit(memberID: follower, generation: 1, instance: "i") == .reject(.unknownMemberID))
        _ = h.join(H.request(memberID: leader))  // PreparingRebalance: members may commit while revoking
        #expect(h.commit(memberID: follower, generation: 1) == .accept)
        _ = h.group.shutdown(now: h.now)
        #expect(h.commit(memberID: "", generation: -1) == .reject(.coordinatorNotAvailable))
    }

    @Test func deleteOnlyEmptyGroupsAndShutdownAnswersEveryParkedRequest() {
        var h = H()
        let (_, follower) = h.twoMembersJoined()
        let parkedSync = h.sync(memberID: follower, generation: 1)
        let newcomer = h.join(H.request(version: 3))  // parked in the new rebalance
        #expect(h.group.delete(now: h.now) == .nonEmptyGroup)
        h.record(h.group.shutdown(now: h.now))
        #expect(h.syncAnswer(parkedSync)?.errorCode == .rebalanceInProgress)
        #expect(h.joinAnswer(newcomer)?.errorCode == .notCoordinator)
        #expect(h.group.state == .dead)
        #expect(h.group.delete(now: h.now) == .coordinatorNotAvailable)
        #expect(h.leave([Leaving(memberID: follower)]).errorCode == .coordinatorNotAvailable)
    }
}
