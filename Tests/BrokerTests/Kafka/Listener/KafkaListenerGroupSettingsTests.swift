import Broker
import KafkaProtocol
import NIOCore
import Testing

/// The listener's classic group settings (`KafkaListenerConfiguration.classicGroups`, set by
/// `brokerd --kafka-initial-rebalance-delay-ms`) reach the group coordinator.
@Suite struct KafkaListenerGroupSettingsTests {
    static func join(_ group: String, member: String = "") -> KafkaJoinGroupRequest {
        KafkaJoinGroupRequest(
            groupID: group,
            sessionTimeoutMs: 10_000,
            rebalanceTimeoutMs: 60_000,
            memberID: member,
            groupInstanceID: nil,
            protocolType: "consumer",
            protocols: [.init(name: "range", metadata: ByteBuffer(bytes: [0, 1]))]
        )
    }

    @Test("the group size limit from the listener's settings is the one enforced")
    func maxMembers() async throws {
        try await withKafkaBroker({ configuration in
            configuration.kafkaListener?.classicGroups = KafkaClassicGroupConfiguration(
                initialRebalanceDelayMilliseconds: 0,
                maxMembersPerGroup: 1
            )
        }) { _, _, kafkaPort in
            let first = try await KafkaTestConnection(port: kafkaPort)
            let one = try await first.call(Self.join("small"), version: 5, as: KafkaJoinGroupResponse.self)
            #expect(one.errorCode == .memberIDRequired)
            let second = try await KafkaTestConnection(port: kafkaPort)
            let two = try await second.call(Self.join("small"), version: 5, as: KafkaJoinGroupResponse.self)
            #expect(two.errorCode == .groupMaxSizeReached)
        }
    }
}
