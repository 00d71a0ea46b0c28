import Foundation
import NIOCore
import Testing

@testable import KafkaProtocol

/// Checks the group and admin codecs against an independent implementation: kafka-python's protocol classes, run
/// through `Scripts/kafka_group_protocol.py`, must write byte for byte the bodies the Swift codecs write for the
/// same messages, at every version both implement. Needs `python3` with kafka-python 2.x; without it this test
/// fails and says so.
@Suite("kafka-python group and admin protocol cross-check")
struct KafkaPythonGroupCrossCheckTests {
    static let meta = ByteBuffer(bytes: [0, 1, 0, 0, 0, 1, 0, 1, 0x74])

    @Test func everyVersionWritesTheBytesKafkaPythonWrites() async throws {
        let expected = try await Self.runScript()
        var compared = 0
        func compare<Body: KafkaRequestBody>(_ key: String, _ body: Body, _ version: Int16) {
            var buffer = ByteBuffer()
            body.encode(into: &buffer, version: version)
            check("\(key)-request-v\(version)", buffer)
        }
        func compare<Body: KafkaResponseBody>(_ key: String, _ body: Body, _ version: Int16) {
            var buffer = ByteBuffer()
            body.encode(into: &buffer, version: version)
            check("\(key)-response-v\(version)", buffer)
        }
        func check(_ key: String, _ buffer: ByteBuffer) {
            let hex = buffer.readableBytesView.map { String(format: "%02x", $0) }.joined()
            #expect(expected[key] == hex, "\(key)")
            compared += 1
        }

        for version: Int16 in 0...2 {
            compare("findCoordinator", KafkaFindCoordinatorRequest(key: "orders", keyType: 1), version)
            compare(
                "findCoordinator",
                KafkaFindCoordinatorResponse(
                    throttleTimeMs: 5,
                    errorCode: KafkaErrorCode(rawValue: 15),
                    errorMessage: "not yet",
                    nodeID: 1,
                    host: "broker",
                    port: 9092
                ),
                version
            )
        }
        for version: Int16 in 0...5 {
            compare("joinGroup", Self.joinRequest, version)
            compare("joinGroup", Self.joinResponse, version)
        }
        for version: Int16 in 0...3 {
            compare("syncGroup", Self.syncRequest, version)
            compare(
                "syncGroup",
                KafkaSyncGroupResponse(throttleTimeMs: 1, errorCode: .none, assignment: Self.meta),
                version
            )
            compare(
                "heartbeat",
                KafkaHeartbeatRequest(groupID: "g", generationID: 3, memberID: "m-1", groupInstanceID: "pod-1"),
                version
            )
            compare(
                "heartbeat",
                KafkaHeartbeatResponse(throttleTimeMs: 2, errorCode: KafkaErrorCode(rawValue: 27)),
                version
            )
            let leaving: [KafkaLeaveGroupRequest.Member] =
                version >= 3
                ? [.init(memberID: "m-1"), .init(memberID: "", groupInstanceID: "pod-2")] : [.init(memberID: "m-1")]
            compare("leaveGroup", KafkaLeaveGroupRequest(groupID: "g", members: leaving), version)
            compare("leaveGroup", Self.leaveResponse, version)
            compare("createTopics", Self.createRequest, version)
            compare("createTopics", Self.createResponse, version)
            compare("deleteTopics", KafkaDeleteTopicsRequest(topicNames: ["a", "b"], timeoutMs: 5_000), version)
            compare(
                "deleteTopics",
                KafkaDeleteTopicsResponse(
                    throttleTimeMs: 2,
                    responses: [.init(name: "a"), .init(name: "zzz", errorCode: KafkaErrorCode(rawValue: 3))]
                ),
                version
            )
        }
        for version: Int16 in 0...7 {
            compare("offsetCommit", Self.commitRequest, version)
            compare("offsetCommit", Self.commitResponse, version)
        }
        for version: Int16 in 0...5 {
            compare("offsetFetch", Self.fetchRequest, version)
            compare("offsetFetch", Self.fetchResponse, version)
        }
        for version: Int16 in 0...2 {
            compare("describeConfigs", Self.describeRequest, version)
            compare("describeConfigs", Self.describeResponse(version), version)
        }
        #expect(compared == expected.count, "the script wrote \(expected.count) samples, \(compared) compared")
    }

    // The samples of kafka_group_protocol.py (a version drops the fields it does not have).

    static let joinRequest = KafkaJoinGroupRequest(
        groupID: "g",
        sessionTimeoutMs: 10_000,
        rebalanceTimeoutMs: 30_000,
        memberID: "m-1",
        groupInstanceID: "pod-1",
        protocolType: "consumer",
        protocols: [.init(name: "range", metadata: meta), .init(name: "roundrobin", metadata: ByteBuffer())]
    )

    static let joinResponse = KafkaJoinGroupResponse(
        throttleTimeMs: 7,
        errorCode: .none,
        generationID: 3,
        protocolName: "range",
        leader: "m-1",
        memberID: "m-1",
        members: [
            .init(memberID: "m-1", groupInstanceID: "pod-1", metadata: meta),
            .init(memberID: "m-2", groupInstanceID: nil, metadata: ByteBuffer()),
        ]
    )

    static let syncRequest = KafkaSyncGroupRequest(
        groupID: "g",
        generationID: 3,
        memberID: "m-1",
        groupInstanceID: "pod-1",
        assignments: [.init(memberID: "m-1", assignment: meta), .init(memberID: "m-2", assignment: ByteBuffer())]
    )

    static let leaveResponse = KafkaLeaveGroupResponse(
        throttleTimeMs: 3,
        errorCode: .none,
        members: [
            .init(memberID: "m-1"),
            .init(memberID: "", groupInstanceID: "pod-2", errorCode: KafkaErrorCode(rawValue: 25)),
        ]
    )

    static let commitRequest = KafkaOffsetCommitRequest(
        groupID: "g",
        generationID: 4,
        memberID: "m-1",
        groupInstanceID: "pod-1",
        retentionTimeMs: 86_400_000,
        topics: [
            .init(
                name: "orders",
                partitions: [
                    .init(
                        partitionIndex: 0,
                        committedOffset: 42,
                        committedLeaderEpoch: 3,
                        commitTimestamp: 1_700_000_000_000,
                        committedMetadata: "meta"
                    ),
                    .init(partitionIndex: 7, committedOffset: Int64.max, committedMetadata: nil),
                ]
            ),
            .init(name: "empty", partitions: []),
        ]
    )

    static let commitResponse = KafkaOffsetCommitResponse(
        throttleTimeMs: 9,
        topics: [
            .init(
                name: "orders",
                partitions: [
                    .init(partitionIndex: 0), .init(partitionIndex: 7, errorCode: KafkaErrorCode(rawValue: 22)),
                ]
            )
        ]
    )

    static let fetchRequest = KafkaOffsetFetchRequest(
        groupID: "g",
        topics: [.init(name: "orders", partitionIndexes: [0, 1, 2]), .init(name: "audit", partitionIndexes: [])]
    )

    static let fetchResponse = KafkaOffsetFetchResponse(
        throttleTimeMs: 4,
        topics: [
            .init(
                name: "orders",
                partitions: [
                    .init(partitionIndex: 0, committedOffset: 42, committedLeaderEpoch: 2, metadata: "meta"),
                    .init(partitionIndex: 1, committedOffset: -1, metadata: nil),
                    .init(partitionIndex: 2, committedOffset: -1, errorCode: KafkaErrorCode(rawValue: 3)),
                ]
            )
        ],
        errorCode: KafkaErrorCode(rawValue: 16)
    )

    static let createRequest = KafkaCreateTopicsRequest(
        topics: [
            .init(
                name: "orders",
                numPartitions: 3,
                replicationFactor: 1,
                configs: [.init(name: "retention.ms", value: "60000"), .init(name: "cleanup.policy", value: nil)]
            ),
            .init(
                name: "placed",
                numPartitions: -1,
                replicationFactor: -1,
                assignments: [.init(partitionIndex: 0, brokerIDs: [0]), .init(partitionIndex: 1, brokerIDs: [])]
            ),
        ],
        timeoutMs: 30_000,
        validateOnly: true
    )

    static let createResponse = KafkaCreateTopicsResponse(
        throttleTimeMs: 1,
        topics: [
            .init(name: "orders"),
            .init(name: "dup", errorCode: KafkaErrorCode(rawValue: 36), errorMessage: "Topic 'dup' already exists."),
        ]
    )

    static let describeRequest = KafkaDescribeConfigsRequest(
        resources: [
            .init(resourceType: 2, resourceName: "orders", configurationKeys: ["retention.ms"]),
            .init(resourceType: 4, resourceName: "0", configurationKeys: nil),
        ],
        includeSynonyms: true
    )

    static func describeResponse(_ version: Int16) -> KafkaDescribeConfigsResponse {
        KafkaDescribeConfigsResponse(
            throttleTimeMs: 3,
            results: [
                .init(
                    resourceType: 2,
                    resourceName: "orders",
                    configs: [
                        .init(
                            name: "retention.ms",
                            value: "604800000",
                            readOnly: false,
                            isDefault: true,
                            configSource: 5,
                            isSensitive: false,
                            synonyms: [.init(name: "log.retention.ms", value: nil, source: 5)]
                        )
                    ]
                ),
                .init(
                    errorCode: KafkaErrorCode(rawValue: 3),
                    errorMessage: "unknown topic",
                    resourceType: 2,
                    resourceName: "gone",
                    configs: []
                ),
            ]
        )
    }

    /// Runs `Scripts/kafka_group_protocol.py` and returns its samples, key to hex.
    static func runScript() async throws -> [String: String] {
        try await KafkaPythonScript(name: "kafka_group_protocol.py").samples()
    }
}
