import Testing

@testable import Broker

/// Less common paths: the size limit during a rebalance, static sessions ending, describe, idle groups.
@Suite struct KafkaClassicGroupEdgeTests {
    typealias H = KafkaGroupHarness

    @Test func aFullRebalanceRefusesAMemberThatHasNotRejoinedAndDropsIt() {
        var h = H(configuration: KafkaClassicGroupConfiguration(maxMembersPerGroup: 2))
        let (a, b) = h.stableGroupOfTwo()
        let aJoin = h.join(H.request(memberID: a))  // PreparingRebalance, one rejoined
        let newcomer = h.join(H.request(version: 3))  // a new member fills the rebalance (2 rejoined)
        #expect(h.answers[newcomer] == nil)
        let late = h.joinNow(H.request(memberID: b))  // b rejoins too late: refused and dropped
        #expect(late?.errorCode == .groupMaxSizeReached)
        #expect(h.joinAnswer(aJoin)?.generationID == 2)  // the others had all rejoined: the phase completes
        #expect(h.joinAnswer(newcomer)?.generationID == 2)
        #expect(h.group.memberCount == 2)
        #expect(!h.group.describe().members.map(\.memberID).contains(b))
    }

    @Test func aStaticMemberWhoseSessionEndsFreesItsInstanceID() {
        var h = H()
        let token = h.join(H.request(instance: "pod-1"))
        h.advance(by: 3_000)
        let first = h.joinAnswer(token)?.memberID ?? ""
        _ = h.sync(memberID: first, generation: 1, instance: "pod-1")
        #expect(h.group.state == .stable)
        h.advance(by: 10_000)  // no heartbeat for the whole session
        #expect(h.group.memberCount == 0)
        #expect(h.group.state == .preparingRebalance || h.group.state == .empty)
        #expect(h.group.staticMembers.isEmpty)
        #expect(h.heartbeat(memberID: first, generation: 1, instance: "pod-1") == .unknownMemberID)
        let again = h.join(H.request(instance: "pod-1"))
        h.advance(by: 3_000)
        #expect(h.joinAnswer(again)?.errorCode == .noError)
        #expect(h.joinAnswer(again)?.memberID != first)
    }

    @Test func describeShowsTheSelectedProtocolsMetadataAndAssignments() {
        var h = H()
        let first = h.join(H.request(version: 3, protocols: ["a", "b"], metadata: [7], clientID: "one"))
        _ = h.join(H.request(version: 3, protocols: ["b"], metadata: [9], clientID: "two"))
        let pending = h.joinNow(H.request(version: 4, protocols: ["b"]))
        #expect(pending?.errorCode == .memberIDRequired)
        // The pending id holds back nothing in an initial rebalance (it waits for its delay anyway).
        h.completeInitialJoin()
        let leader = h.joinAnswer(first)?.memberID ?? ""
        var description = h.group.describe()
        #expect(description.state == .completingRebalance)
        #expect(description.protocolType == "consumer" && description.protocolName == "b")
        #expect(description.leaderID == leader)
        #expect(description.members.map(\.clientID) == ["one", "two"])
        #expect(description.members.map(\.metadata) == [[7], [9]])
        #expect(description.pendingMemberCount == 1)
        let follower = description.members[1].memberID
        _ = h.sync(memberID: leader, generation: 1, assignments: [leader: [1], follower: [2]])
        description = h.group.describe()
        #expect(description.members.map(\.assignment) == [[1], [2]])
        #expect(description.members.map(\.assignmentGenerationID) == [1, 1])
    }

    @Test func anEmptyGroupHasNoDeadlineAndTicksDoNothing() {
        var h = H()
        #expect(h.group.nextDeadline == nil)
        #expect(h.group.isEmptyAndIdle)
        h.advance(by: 1_000_000)
        #expect(h.answers.isEmpty)
        #expect(h.group.state == .empty && h.group.generationID == 0)
    }

    @Test func joinsToAnEmptyGroupWithAnOldMemberIDAreUnknown() {
        var h = H()
        let (a, b) = h.stableGroupOfTwo()
        _ = h.leave([.init(memberID: a), .init(memberID: b)])
        #expect(h.group.state == .empty)
        #expect(h.joinNow(H.request(memberID: a))?.errorCode == .unknownMemberID)
        #expect(h.syncNow(memberID: a, generation: 2)?.errorCode == .unknownMemberID)
        #expect(h.heartbeat(memberID: a, generation: 2) == .unknownMemberID)
        #expect(h.commit(memberID: a, generation: 2) == .reject(.unknownMemberID))
        #expect(h.commit(memberID: "", generation: -1) == .accept)
    }

    @Test func aGroupCanChangeItsProtocolTypeOnlyWhileEmpty() {
        var h = H()
        let (a, b) = h.stableGroupOfTwo()
        #expect(h.joinNow(H.request(protocolType: "connect"))?.errorCode == .inconsistentGroupProtocol)
        _ = h.leave([.init(memberID: a), .init(memberID: b)])
        let connect = h.join(H.request(version: 3, protocolType: "connect"))
        h.advance(by: 3_000)
        #expect(h.joinAnswer(connect)?.errorCode == .noError)
        #expect(h.group.protocolType == "connect")
    }
}

extension KafkaClassicGroupEdgeTests {
    @Test func aStaticMemberRestartsInAFullGroup() {
        var h = H(configuration: KafkaClassicGroupConfiguration(maxMembersPerGroup: 2))
        let a = h.join(H.request(instance: "a"))
        let b = h.join(H.request(instance: "b"))
        h.completeInitialJoin()
        let aID = h.joinAnswer(a)?.memberID ?? "", bID = h.joinAnswer(b)?.memberID ?? ""
        _ = h.sync(memberID: bID, generation: 1, instance: "b")
        _ = h.sync(memberID: aID, generation: 1, instance: "a", assignments: [aID: [1], bID: [2]])
        #expect(h.joinNow(H.request(instance: "c"))?.errorCode == .groupMaxSizeReached)
        let restart = h.joinNow(H.request(instance: "b"))
        #expect(restart?.errorCode == .noError)
        #expect(restart?.generationID == 1)
        #expect(h.group.memberCount == 2)
    }
}

extension KafkaClassicGroupEdgeTests {
    /// A new member parked in a join may heartbeat (generation 1 is current while the group rebalances); its
    /// session then ends sooner than its new-member join timeout, and the group's next deadline must follow.
    @Test func aHeartbeatThatBringsADeadlineForwardIsStillApplied() {
        var h = H()
        let (a, b) = h.stableGroupOfTwo()
        // A pending member id keeps the join phase open until the rebalance timeout.
        #expect(h.joinNow(H.request(session: 1_800_000))?.errorCode == .memberIDRequired)
        let newcomer = h.joinNewMember(session: 10_000, rebalance: 100_000)
        _ = h.join(H.request(memberID: a, rebalance: 100_000))
        _ = h.join(H.request(memberID: b, rebalance: 100_000))
        #expect(h.group.nextDeadline == h.now + 100_000)  // the join phase; the newcomer has 300,000
        #expect(h.heartbeat(memberID: newcomer.memberID, generation: 1) == .rebalanceInProgress)
        #expect(h.group.nextDeadline == h.now + 10_000)
        h.advance(by: 10_000)
        #expect(h.joinAnswer(newcomer.token)?.errorCode == .unknownMemberID)
        #expect(h.group.memberCount == 2)
    }
}
