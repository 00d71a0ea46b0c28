import Broker
import KafkaProtocol
import NIOCore
import Testing

/// Classic group coordination through the Kafka listener with the bare codecs (what a Kafka
/// consumer sends before it fetches): FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup.
@Suite struct KafkaListenerGroupTests {
    @Test func oneMemberFindsTheCoordinatorJoinsSyncsHeartbeatsAndLeaves() async throws {
        try await withKafkaBroker { _, _, kafkaPort in
            let connection = try await KafkaTestConnection(port: kafkaPort)
            let coordinator = try await connection.call(
                KafkaFindCoordinatorRequest(key: "orders-service"),
                version: 2,
                as: KafkaFindCoordinatorResponse.self
            )
            #expect(coordinator.errorCode == .none)
            #expect(coordinator.nodeID == 0)
            #expect(coordinator.port == Int32(kafkaPort))
            let transactions = try await connection.call(
                KafkaFindCoordinatorRequest(key: "tx", keyType: 1),
                version: 2,
                as: KafkaFindCoordinatorResponse.self
            )
            #expect(transactions.errorCode == .coordinatorNotAvailable)

            func join(_ memberID: String) -> KafkaJoinGroupRequest {
                KafkaJoinGroupRequest(
                    groupID: "orders-service",
                    sessionTimeoutMs: 10_000,
                    rebalanceTimeoutMs: 10_000,
                    memberID: memberID,
                    groupInstanceID: nil,
                    protocolType: "consumer",
                    protocols: [.init(name: "range", metadata: ByteBuffer(bytes: [0, 1]))]
                )
            }
            let first = try await connection.call(join(""), version: 5, as: KafkaJoinGroupResponse.self)
            #expect(first.errorCode == .memberIDRequired)
            // The join completes when the initial rebalance delay (3 s) ends.
            let joined = try await connection.call(join(first.memberID), version: 5, as: KafkaJoinGroupResponse.self)
            #expect(joined.errorCode == .none)
            #expect(joined.generationID == 1)
            #expect(joined.leader == first.memberID)
            #expect(joined.members.map(\.memberID) == [first.memberID])
            let synced = try await connection.call(
                KafkaSyncGroupRequest(
                    groupID: "orders-service",
                    generationID: 1,
                    memberID: first.memberID,
                    groupInstanceID: nil,
                    assignments: [.init(memberID: first.memberID, assignment: ByteBuffer(bytes: [7]))]
                ),
                version: 3,
                as: KafkaSyncGroupResponse.self
            )
            #expect(synced.errorCode == .none)
            #expect(synced.assignment == ByteBuffer(bytes: [7]))
            let beat = try await connection.call(
                KafkaHeartbeatRequest(groupID: "orders-service", generationID: 1, memberID: first.memberID),
                version: 3,
                as: KafkaHeartbeatResponse.self
            )
            #expect(beat.errorCode == .none)
            let left = try await connection.call(
                KafkaLeaveGroupRequest(groupID: "orders-service", members: [.init(memberID: first.memberID)]),
                version: 3,
                as: KafkaLeaveGroupResponse.self
            )
            #expect(left.errorCode == .none)
            #expect(left.members.map(\.errorCode) == [.none])
        }
    }
}
