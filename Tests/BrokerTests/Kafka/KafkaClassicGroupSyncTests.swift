import Testing

@testable import Broker

/// SyncGroup and Heartbeat: the leader's assignment, parked followers, errors, session and sync timeouts.
@Suite struct KafkaClassicGroupSyncTests {
    typealias H = KafkaGroupHarness

    @Test func followerWaitsForTheLeaderWhoseAssignmentReachesEveryMember() {
        var h = H()
        let (leader, follower) = h.twoMembersJoined()
        let followerSync = h.sync(memberID: follower, generation: 1)
        #expect(h.answers[followerSync] == nil)
        #expect(h.group.state == .completingRebalance)
        let leaderSync = h.sync(memberID: leader, generation: 1, assignments: [leader: [1, 1], follower: [2, 2]])
        #expect(h.group.state == .stable)
        #expect(h.syncAnswer(followerSync) == KafkaClassicGroup.SyncResponse(errorCode: .noError, assignment: [2, 2]))
        #expect(h.syncAnswer(leaderSync) == KafkaClassicGroup.SyncResponse(errorCode: .noError, assignment: [1, 1]))
        #expect(h.group.describe().members.map(\.assignmentGenerationID) == [1, 1])
    }

    @Test func membersTheLeaderLeftOutGetAnEmptyAssignmentAndUnknownIDsAreIgnored() {
        var h = H()
        let (leader, follower) = h.twoMembersJoined()
        _ = h.sync(memberID: leader, generation: 1, assignments: [leader: [5], "ghost": [9]])
        let late = h.sync(memberID: follower, generation: 1)  // Stable: answered at once
        #expect(h.syncAnswer(late) == KafkaClassicGroup.SyncResponse(errorCode: .noError, assignment: []))
        #expect(h.group.memberCount == 2)
    }

    @Test func syncErrors() {
        var h = H()
        let (leader, follower) = h.twoMembersJoined()
        #expect(h.syncNow(memberID: follower, generation: 0)?.errorCode == .illegalGeneration)
        #expect(h.syncNow(memberID: follower, generation: 2)?.errorCode == .illegalGeneration)
        #expect(h.syncNow(memberID: "stranger", generation: 1)?.errorCode == .unknownMemberID)
        #expect(h.syncNow(memberID: follower, generation: 1, instance: "i-1")?.errorCode == .unknownMemberID)
        _ = h.sync(memberID: leader, generation: 1, assignments: [leader: [1], follower: [2]])
        // A new member joins: PreparingRebalance.
        _ = h.joinNewMember()
        #expect(h.group.state == .preparingRebalance)
        #expect(h.syncNow(memberID: follower, generation: 1)?.errorCode == .rebalanceInProgress)
        _ = h.group.shutdown(now: h.now)
        #expect(h.syncNow(memberID: follower, generation: 1)?.errorCode == .coordinatorNotAvailable)
    }

    @Test func syncInStableAnswersTheStoredAssignmentAgain() {
        var h = H()
        let (_, follower) = h.stableGroupOfTwo()
        #expect(h.syncNow(memberID: follower, generation: 1)?.assignment == [2])
    }

    @Test func parkedSyncIsAnsweredRebalanceInProgressWhenARebalanceStarts() {
        var h = H()
        let (_, follower) = h.twoMembersJoined()
        let parked = h.sync(memberID: follower, generation: 1)
        _ = h.join(H.request(version: 3))  // a new member: CompletingRebalance -> PreparingRebalance
        #expect(h.syncAnswer(parked)?.errorCode == .rebalanceInProgress)
        #expect(h.group.describe().members.allSatisfy { $0.assignment.isEmpty })
    }

    @Test func membersThatNeverSyncAreRemovedAfterTheRebalanceTimeout() {
        var h = H()
        let (leader, follower) = h.twoMembersJoined()
        let parked = h.sync(memberID: follower, generation: 1)
        for _ in 0..<3 {
            h.advance(by: 9_000)
            #expect(h.heartbeat(memberID: leader, generation: 1) == .noError)
        }
        h.advance(by: 2_999)
        #expect(h.group.memberCount == 2)
        h.advance(by: 1)  // 30,000 after the join completed: the leader heartbeats but never synced
        #expect(h.group.memberCount == 1)
        #expect(h.group.describe().members.map(\.memberID) == [follower])
        #expect(h.syncAnswer(parked)?.errorCode == .rebalanceInProgress)
        #expect(h.group.state == .preparingRebalance)
        #expect(h.group.leaderID == follower)
    }

    @Test func heartbeatAnswersByState() {
        var h = H()
        let (leader, follower) = h.twoMembersJoined()
        #expect(h.heartbeat(memberID: follower, generation: 1) == .noError)  // CompletingRebalance
        _ = h.sync(memberID: leader, generation: 1)
        #expect(h.heartbeat(memberID: follower, generation: 1) == .noError)  // Stable
        #expect(h.heartbeat(memberID: follower, generation: 0) == .illegalGeneration)
        #expect(h.heartbeat(memberID: "stranger", generation: 1) == .unknownMemberID)
        #expect(h.heartbeat(memberID: follower, generation: 1, instance: "i") == .unknownMemberID)
        _ = h.join(H.request(memberID: leader))  // the leader rejoins: PreparingRebalance
        #expect(h.heartbeat(memberID: follower, generation: 1) == .rebalanceInProgress)
        _ = h.group.shutdown(now: h.now)
        #expect(h.heartbeat(memberID: follower, generation: 1) == .coordinatorNotAvailable)
    }

    @Test func heartbeatsKeepAMemberAndSilenceRemovesIt() {
        var h = H()
        let (leader, follower) = h.stableGroupOfTwo()
        for _ in 0..<5 {
            h.advance(by: 9_000)
            #expect(h.heartbeat(memberID: leader, generation: 1) == .noError)
            #expect(h.heartbeat(memberID: follower, generation: 1) == .noError)
        }
        h.advance(by: 9_000)
        #expect(h.heartbeat(memberID: leader, generation: 1) == .noError)
        h.advance(by: 999)
        #expect(h.group.memberCount == 2)
        h.advance(by: 1)  // the follower's 10,000 ms session since its last heartbeat
        #expect(h.group.memberCount == 1)
        #expect(h.group.state == .preparingRebalance)
        #expect(h.heartbeat(memberID: follower, generation: 1) == .unknownMemberID)
        #expect(h.heartbeat(memberID: leader, generation: 1) == .rebalanceInProgress)
    }

    @Test func sessionExpiryIsAppliedBeforeALateRequestEvenWithoutATick() {
        var h = H()
        let (_, follower) = h.stableGroupOfTwo()
        h.now += 10_000  // no tick: the heartbeat itself applies the due deadline first
        #expect(h.heartbeat(memberID: follower, generation: 1) == .unknownMemberID)
    }

    @Test func aMemberParkedInARebalanceIsNotRemovedForSilence() {
        var h = H()
        let (leader, follower) = h.stableGroupOfTwo()
        let rejoin = h.join(H.request(memberID: leader, session: 10_000, rebalance: 60_000))
        for _ in 0..<6 {  // the follower heartbeats but does not rejoin
            h.advance(by: 9_000)
            #expect(h.heartbeat(memberID: follower, generation: 1) == .rebalanceInProgress)
        }
        // 54,000: the leader's 10,000 ms session passed long ago, but its join is parked.
        #expect(h.group.describe().members.map(\.memberID) == [leader, follower])
        #expect(h.answers[rejoin] == nil)
        h.advance(by: 6_000)  // the rebalance timeout: the follower did not rejoin
        #expect(h.joinAnswer(rejoin)?.generationID == 2)
        #expect(h.group.describe().members.map(\.memberID) == [leader])
    }

    @Test func aNewMemberWaitingLongerThanTheNewMemberJoinTimeoutIsDropped() {
        let configuration = KafkaClassicGroupConfiguration(newMemberJoinTimeoutMilliseconds: 20_000)
        var h = H(configuration: configuration)
        let (leader, follower) = h.stableGroupOfTwo()
        let newcomer = h.joinNewMember(rebalance: 100_000)
        h.advance(by: 9_000)
        _ = h.heartbeat(memberID: follower, generation: 1)
        _ = h.join(H.request(memberID: leader, rebalance: 100_000))
        h.advance(by: 9_000)
        _ = h.heartbeat(memberID: follower, generation: 1)
        h.advance(by: 2_000)  // 20,000: the new member's parked join times out
        #expect(h.joinAnswer(newcomer.token)?.errorCode == .unknownMemberID)
        #expect(!h.group.describe().members.map(\.memberID).contains(newcomer.memberID))
    }
}
