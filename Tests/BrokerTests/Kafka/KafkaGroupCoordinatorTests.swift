import KafkaProtocol
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import Testing

@testable import Broker

/// The coordinator on an event loop: requests the state machine parks are answered through their
/// futures when the loop's timer reaches the deadline, in the codecs' types the listener uses.
@Suite("Kafka group coordinator")
struct KafkaGroupCoordinatorTests {
    /// A coordinator on an embedded loop whose clock moves with the loop's time.
    final class Harness: Sendable {
        let loop = EmbeddedEventLoop()
        let clock = NIOLockedValueBox<Int64>(1_000_000)
        let coordinator: KafkaGroupCoordinator

        init() {
            let clock = self.clock
            coordinator = KafkaGroupCoordinator(
                loop: loop,
                memberIDGenerator: .seeded(7),
                clock: { clock.withLockedValue { $0 } }
            )
        }

        func advance(by milliseconds: Int64) {
            clock.withLockedValue { $0 += milliseconds }
            loop.advanceTime(by: .milliseconds(milliseconds))
        }

        /// The future's value if it has completed.
        func value<T>(_ future: EventLoopFuture<T>) -> T? {
            loop.run()
            var result: T?
            future.whenSuccess { result = $0 }
            return result
        }

        static func join(memberID: String = "", version: Int16 = 5) -> KafkaJoinGroupRequest {
            KafkaJoinGroupRequest(
                groupID: "g",
                sessionTimeoutMs: 10_000,
                rebalanceTimeoutMs: 30_000,
                memberID: memberID,
                groupInstanceID: nil,
                protocolType: "consumer",
                protocols: [.init(name: "range", metadata: ByteBuffer(bytes: [1, 2, 3]))]
            )
        }
    }

    @Test("a join is parked until the initial rebalance delay ends, then answered with the member list")
    func joinAnsweredByTheTimer() throws {
        let harness = Harness()
        let coordinator = harness.coordinator
        // JoinGroup v5 without a member id: MEMBER_ID_REQUIRED with the id to use.
        let first = try #require(
            harness.value(coordinator.join(Harness.join(), version: 5, clientID: "c", clientHost: "h"))
        )
        #expect(first.errorCode == .memberIDRequired)
        let memberID = first.memberID
        #expect(!memberID.isEmpty)
        let parked = coordinator.join(Harness.join(memberID: memberID), version: 5, clientID: "c", clientHost: "h")
        #expect(harness.value(parked) == nil, "answered before the initial rebalance delay")
        harness.advance(by: 3_000)
        let answer = try #require(harness.value(parked))
        #expect(answer.errorCode == .none)
        #expect(answer.generationID == 1)
        #expect(answer.leader == memberID)
        #expect(answer.protocolName == "range")
        #expect(answer.members.map(\.memberID) == [memberID])
        #expect(answer.members.first?.metadata == ByteBuffer(bytes: [1, 2, 3]))

        // The leader syncs its assignment; heartbeats go through; it leaves (v0-2: one error code).
        let assignment = ByteBuffer(bytes: [9, 9])
        let sync = try #require(
            harness.value(
                coordinator.sync(
                    KafkaSyncGroupRequest(
                        groupID: "g",
                        generationID: 1,
                        memberID: memberID,
                        groupInstanceID: nil,
                        assignments: [.init(memberID: memberID, assignment: assignment)]
                    )
                )
            )
        )
        #expect(sync.errorCode == .none)
        #expect(sync.assignment == assignment)
        let beat = try #require(
            harness.value(
                coordinator.heartbeat(KafkaHeartbeatRequest(groupID: "g", generationID: 1, memberID: memberID))
            )
        )
        #expect(beat.errorCode == .none)
        let stale = try #require(
            harness.value(
                coordinator.heartbeat(KafkaHeartbeatRequest(groupID: "g", generationID: 0, memberID: memberID))
            )
        )
        #expect(stale.errorCode == .illegalGeneration)
        let leave = try #require(
            harness.value(
                coordinator.leave(
                    KafkaLeaveGroupRequest(groupID: "g", members: [.init(memberID: memberID)]),
                    version: 2
                )
            )
        )
        #expect(leave.errorCode == .none)
        #expect(leave.members.isEmpty)
        let unknown = try #require(
            harness.value(
                coordinator.leave(
                    KafkaLeaveGroupRequest(groupID: "g", members: [.init(memberID: "nobody")]),
                    version: 3
                )
            )
        )
        #expect(unknown.errorCode == .none)
        #expect(unknown.members.map(\.errorCode) == [.unknownMemberID])
    }

    @Test("a member that stops heartbeating is removed by the timer after its session timeout")
    func sessionTimeoutByTheTimer() throws {
        let harness = Harness()
        let coordinator = harness.coordinator
        let memberID = try #require(
            harness.value(coordinator.join(Harness.join(), version: 5, clientID: "c", clientHost: "h"))
        ).memberID
        let parked = coordinator.join(Harness.join(memberID: memberID), version: 5, clientID: "c", clientHost: "h")
        harness.loop.run()  // the join reaches the coordinator before the clock moves
        harness.advance(by: 3_000)
        #expect(harness.value(parked)?.errorCode == KafkaErrorCode.none)
        _ = harness.value(
            coordinator.sync(
                KafkaSyncGroupRequest(
                    groupID: "g",
                    generationID: 1,
                    memberID: memberID,
                    groupInstanceID: nil,
                    assignments: []
                )
            )
        )
        harness.advance(by: 9_999)
        #expect(harness.value(coordinator.describe(groupID: "g"))??.members.count == 1)
        harness.advance(by: 1)
        #expect(harness.value(coordinator.describe(groupID: "g"))??.members.isEmpty ?? true)
        let late = try #require(
            harness.value(
                coordinator.heartbeat(KafkaHeartbeatRequest(groupID: "g", generationID: 1, memberID: memberID))
            )
        )
        #expect(late.errorCode == .unknownMemberID)
    }

    @Test("shutdown answers parked joins NOT_COORDINATOR, and later requests too")
    func shutdownAnswersParked() throws {
        let harness = Harness()
        let coordinator = harness.coordinator
        let memberID = try #require(
            harness.value(coordinator.join(Harness.join(), version: 5, clientID: "c", clientHost: "h"))
        ).memberID
        let parked = coordinator.join(Harness.join(memberID: memberID), version: 5, clientID: "c", clientHost: "h")
        #expect(harness.value(parked) == nil)
        _ = harness.value(coordinator.shutdown())
        #expect(harness.value(parked)?.errorCode == .notCoordinator)
        let after = harness.value(coordinator.join(Harness.join(), version: 5, clientID: "c", clientHost: "h"))
        #expect(after?.errorCode == .notCoordinator)
        let decision = harness.value(
            coordinator.validateOffsetCommit(groupID: "g", memberID: memberID, groupInstanceID: nil, generationID: 1)
        )
        #expect(decision == .reject(.notCoordinator))
    }
}
