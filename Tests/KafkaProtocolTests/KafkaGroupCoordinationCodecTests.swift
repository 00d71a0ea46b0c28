import NIOCore
import Testing

@testable import KafkaProtocol

/// FindCoordinator, JoinGroup, SyncGroup, Heartbeat and LeaveGroup: every version round-trips, every truncation
/// throws, hostile counts throw before allocating, and JoinGroup v5 matches bytes written from the spec.
@Suite struct KafkaGroupCoordinationCodecTests {
    static let metadata = ByteBuffer(bytes: [0, 1, 0, 0, 0, 1, 0, 1, 0x74])

    @Test(arguments: KafkaFindCoordinatorRequest.versions)
    func findCoordinator(version: Int16) throws {
        try checkCodecRequest(
            KafkaFindCoordinatorRequest(key: "orders", keyType: version >= 1 ? 0 : 0),
            version: version
        )
        if version >= 1 {
            try checkCodecRequest(KafkaFindCoordinatorRequest(key: "tx-1", keyType: 1), version: version)
        }
        try checkResponse(
            KafkaFindCoordinatorResponse(
                throttleTimeMs: version >= 1 ? 5 : 0,
                errorCode: .none,
                errorMessage: version >= 1 ? "ok" : nil,
                nodeID: 0,
                host: "127.0.0.1",
                port: 9092
            ),
            version: version
        )
    }

    static func joinRequest(_ version: Int16) -> KafkaJoinGroupRequest {
        KafkaJoinGroupRequest(
            groupID: "g",
            sessionTimeoutMs: 10_000,
            rebalanceTimeoutMs: version >= 1 ? 30_000 : -1,
            memberID: "m-1",
            groupInstanceID: version >= 5 ? "pod-1" : nil,
            protocolType: "consumer",
            protocols: [
                .init(name: "range", metadata: metadata),
                .init(name: "roundrobin", metadata: ByteBuffer()),
            ]
        )
    }

    @Test(arguments: KafkaJoinGroupRequest.versions)
    func joinGroup(version: Int16) throws {
        try checkCodecRequest(Self.joinRequest(version), version: version)
        let members: [KafkaJoinGroupResponse.Member] = [
            .init(memberID: "m-1", groupInstanceID: version >= 5 ? "pod-1" : nil, metadata: Self.metadata),
            .init(memberID: "m-2", metadata: ByteBuffer()),
        ]
        try checkResponse(
            KafkaJoinGroupResponse(
                throttleTimeMs: version >= 2 ? 7 : 0,
                errorCode: .none,
                generationID: 3,
                protocolName: "range",
                leader: "m-1",
                memberID: "m-1",
                members: members
            ),
            version: version
        )
        try checkResponse(
            KafkaJoinGroupResponse(
                errorCode: KafkaErrorCode(rawValue: 79),
                generationID: -1,
                protocolName: "",
                leader: "",
                memberID: "m-3"
            ),
            version: version
        )
    }

    @Test func joinGroupV5RequestMatchesTheSpecByteForByte() {
        let request = KafkaJoinGroupRequest(
            groupID: "g",
            sessionTimeoutMs: 10_000,
            rebalanceTimeoutMs: 30_000,
            memberID: "",
            groupInstanceID: nil,
            protocolType: "consumer",
            protocols: [.init(name: "range", metadata: ByteBuffer(bytes: [0, 1]))]
        )
        // GroupId STRING, SessionTimeoutMs INT32, RebalanceTimeoutMs INT32, MemberId STRING,
        // GroupInstanceId NULLABLE_STRING (null: -1), ProtocolType STRING, Protocols ARRAY [Name STRING, Metadata BYTES].
        let expected: [UInt8] =
            [0x00, 0x01, 0x67]
            + [0x00, 0x00, 0x27, 0x10]
            + [0x00, 0x00, 0x75, 0x30]
            + [0x00, 0x00]
            + [0xFF, 0xFF]
            + [0x00, 0x08] + Array("consumer".utf8)
            + [0x00, 0x00, 0x00, 0x01]
            + [0x00, 0x05] + Array("range".utf8)
            + [0x00, 0x00, 0x00, 0x02, 0x00, 0x01]
        #expect(encodedBytes(request, version: 5) == expected)
        // v4 has no GroupInstanceId; v0 neither RebalanceTimeoutMs.
        #expect(encodedBytes(request, version: 4) == Array(expected[0..<13]) + Array(expected[15...]))
        #expect(
            encodedBytes(request, version: 0) == Array(expected[0..<7]) + Array(expected[11..<13])
                + Array(expected[15...])
        )
    }

    @Test(arguments: KafkaSyncGroupRequest.versions)
    func syncGroup(version: Int16) throws {
        try checkCodecRequest(
            KafkaSyncGroupRequest(
                groupID: "g",
                generationID: 3,
                memberID: "m-1",
                groupInstanceID: version >= 3 ? "pod-1" : nil,
                assignments: [
                    .init(memberID: "m-1", assignment: Self.metadata),
                    .init(memberID: "m-2", assignment: ByteBuffer()),
                ]
            ),
            version: version
        )
        try checkCodecRequest(KafkaSyncGroupRequest(groupID: "g", generationID: 3, memberID: "m-2"), version: version)
        try checkResponse(
            KafkaSyncGroupResponse(throttleTimeMs: version >= 1 ? 1 : 0, errorCode: .none, assignment: Self.metadata),
            version: version
        )
    }

    @Test(arguments: KafkaHeartbeatRequest.versions)
    func heartbeat(version: Int16) throws {
        try checkCodecRequest(
            KafkaHeartbeatRequest(
                groupID: "g",
                generationID: 3,
                memberID: "m-1",
                groupInstanceID: version >= 3 ? "pod-1" : nil
            ),
            version: version
        )
        try checkResponse(
            KafkaHeartbeatResponse(throttleTimeMs: version >= 1 ? 2 : 0, errorCode: KafkaErrorCode(rawValue: 27)),
            version: version
        )
    }

    @Test(arguments: KafkaLeaveGroupRequest.versions)
    func leaveGroup(version: Int16) throws {
        let members: [KafkaLeaveGroupRequest.Member] =
            version >= 3
            ? [.init(memberID: "m-1"), .init(memberID: "", groupInstanceID: "pod-2")] : [.init(memberID: "m-1")]
        try checkCodecRequest(KafkaLeaveGroupRequest(groupID: "g", members: members), version: version)
        try checkResponse(
            KafkaLeaveGroupResponse(
                throttleTimeMs: version >= 1 ? 3 : 0,
                errorCode: .none,
                members: version >= 3
                    ? [
                        .init(memberID: "m-1"),
                        .init(memberID: "", groupInstanceID: "pod-2", errorCode: KafkaErrorCode(rawValue: 25)),
                    ] : []
            ),
            version: version
        )
    }

    @Test func leaveGroupV0To2CarryOneMemberIDAsAString() {
        let request = KafkaLeaveGroupRequest(groupID: "g", members: [.init(memberID: "m")])
        for version: Int16 in 0...2 {
            #expect(encodedBytes(request, version: version) == kafkaString("g") + kafkaString("m"))
        }
        #expect(
            encodedBytes(request, version: 3) == kafkaString("g") + int32Bytes(1) + kafkaString("m") + [0xFF, 0xFF]
        )
    }

    @Test func hostileCountsThrowWithoutAllocating() {
        // JoinGroup v5 with a protocol count of 2^31-1 and four bytes left.
        let join =
            kafkaString("g") + int32Bytes(1) + int32Bytes(1) + kafkaString("") + [0xFF, 0xFF]
            + kafkaString("consumer") + int32Bytes(Int32.max) + [0, 0, 0, 0]
        #expect(bodyDecodingError(KafkaJoinGroupRequest.self, version: 5, join)?.code == .invalidLength)
        let sync = kafkaString("g") + int32Bytes(1) + kafkaString("m") + int32Bytes(Int32.max)
        #expect(bodyDecodingError(KafkaSyncGroupRequest.self, version: 2, sync)?.code == .invalidLength)
        let leave = kafkaString("g") + int32Bytes(Int32.max) + [0, 0, 0, 0, 0, 0]
        #expect(bodyDecodingError(KafkaLeaveGroupRequest.self, version: 3, leave)?.code == .invalidLength)
        let negative = kafkaString("g") + int32Bytes(-1)
        #expect(bodyDecodingError(KafkaLeaveGroupRequest.self, version: 3, negative)?.code == .invalidLength)
        // A member count in a response: 100,000 members claimed, 12 bytes left.
        let response =
            int32Bytes(0) + [0, 0] + int32Bytes(1) + kafkaString("") + kafkaString("") + kafkaString("")
            + int32Bytes(100_000) + Array(repeating: 0, count: 12)
        #expect(
            decodingError(response) { try KafkaJoinGroupResponse(from: &$0, version: 5) }?.code == .invalidLength
        )
    }

    @Test func versionsOutsideTheCodecsRangesThrow() {
        #expect(
            bodyDecodingError(KafkaFindCoordinatorRequest.self, version: 3, kafkaString("g") + [0])?.code
                == .invalidValue
        )
        #expect(bodyDecodingError(KafkaJoinGroupRequest.self, version: 6, [])?.code == .invalidValue)
        #expect(bodyDecodingError(KafkaSyncGroupRequest.self, version: 4, [])?.code == .invalidValue)
        #expect(bodyDecodingError(KafkaHeartbeatRequest.self, version: -1, [])?.code == .invalidValue)
        #expect(bodyDecodingError(KafkaLeaveGroupRequest.self, version: 4, [])?.code == .invalidValue)
    }
}
