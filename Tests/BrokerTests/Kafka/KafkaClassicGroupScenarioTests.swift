import Testing

@testable import Broker

/// A group's life as real consumers drive it: two join, the leader assigns, a third joins, one leaves, one dies.
@Suite struct KafkaClassicGroupScenarioTests {
    typealias H = KafkaGroupHarness

    @Test func twoJoinThirdJoinsOneLeavesOneTimesOut() {
        var h = H()
        // Two members join; the first is the leader and assigns.
        let (a, b) = h.stableGroupOfTwo()
        #expect(h.group.generationID == 1)

        // A third joins: rebalance; the old members learn it from their heartbeats and rejoin.
        let c = h.joinNewMember()
        #expect(h.group.state == .preparingRebalance)
        #expect(h.heartbeat(memberID: a, generation: 1) == .rebalanceInProgress)
        #expect(h.heartbeat(memberID: b, generation: 1) == .rebalanceInProgress)
        let aJoin = h.join(H.request(memberID: a))
        #expect(h.answers[aJoin] == nil)
        let bJoin = h.join(H.request(memberID: b))
        #expect(h.joinAnswer(aJoin)?.generationID == 2)
        #expect(h.joinAnswer(aJoin)?.members.map(\.memberID) == [a, b, c.memberID])
        #expect(h.joinAnswer(bJoin)?.generationID == 2)
        #expect(h.joinAnswer(c.token)?.generationID == 2)
        #expect(h.joinAnswer(c.token)?.leaderID == a)
        let bSync = h.sync(memberID: b, generation: 2)
        let cSync = h.sync(memberID: c.memberID, generation: 2)
        _ = h.sync(memberID: a, generation: 2, assignments: [a: [1], b: [2], c.memberID: [3]])
        #expect(h.syncAnswer(bSync)?.assignment == [2])
        #expect(h.syncAnswer(cSync)?.assignment == [3])
        #expect(h.group.state == .stable)
        // A commit from the previous generation is refused now.
        #expect(h.commit(memberID: b, generation: 1) == .reject(.illegalGeneration))
        #expect(h.commit(memberID: b, generation: 2) == .accept)

        // b leaves.
        #expect(h.leave([.init(memberID: b)]).singleMemberErrorCode == .noError)
        #expect(h.heartbeat(memberID: c.memberID, generation: 2) == .rebalanceInProgress)
        let aJoin3 = h.join(H.request(memberID: a))
        let cJoin3 = h.join(H.request(memberID: c.memberID))
        #expect(h.joinAnswer(aJoin3)?.generationID == 3)
        #expect(h.joinAnswer(cJoin3)?.generationID == 3)
        _ = h.sync(memberID: c.memberID, generation: 3)
        _ = h.sync(memberID: a, generation: 3, assignments: [a: [1, 2], c.memberID: [3]])
        #expect(h.group.state == .stable)

        // c stops heartbeating: after its session it is removed and a rebalance starts.
        h.advance(by: 6_000)
        #expect(h.heartbeat(memberID: a, generation: 3) == .noError)
        h.advance(by: 4_000)  // c's 10,000 ms session since its sync
        #expect(h.group.state == .preparingRebalance)
        #expect(h.heartbeat(memberID: c.memberID, generation: 3) == .unknownMemberID)
        let aJoin4 = h.join(H.request(memberID: a))
        #expect(h.joinAnswer(aJoin4)?.generationID == 4)
        #expect(h.joinAnswer(aJoin4)?.members.map(\.memberID) == [a])
        _ = h.sync(memberID: a, generation: 4, assignments: [a: [1, 2, 3]])
        #expect(h.group.describe().members.map(\.assignment) == [[1, 2, 3]])
        #expect(h.answeredTwice.isEmpty)
        #expect(Set(h.issued) == Set(h.answers.keys))
    }
}
