import Foundation
import NIOCore
import Testing

@testable import KafkaProtocol

/// Checks the codecs against an independent implementation: kafka-python's protocol classes,
/// run through `Scripts/kafka_protocol.py`, must write byte for byte what the Swift codecs write
/// for the same messages, at every served version (requests as whole frames with their header,
/// responses as bodies). Needs `python3` with kafka-python 2.x
/// (`python3 -m pip install 'kafka-python==2.*'`); without it this test fails and says so.
@Suite("kafka-python protocol cross-check")
struct KafkaPythonProtocolCrossCheckTests {
    @Test func everyServedVersionWritesTheBytesKafkaPythonWrites() async throws {
        let expected = try await Self.runScript()
        var compared = 0
        func request<Body: KafkaRequestBody>(_ name: String, _ body: Body) {
            for version in supportedVersions(Body.apiKey) {
                var frame = body.encodeFrame(version: version, correlationID: 7, clientID: "kc")
                frame.moveReaderIndex(forwardBy: 4)
                compare("\(name)-request-v\(version)", frame)
            }
        }
        func response<Body: KafkaResponseBody>(_ name: String, _ body: Body) {
            for version in supportedVersions(Body.apiKey) {
                var encoded = ByteBuffer()
                body.encode(into: &encoded, version: version)
                compare("\(name)-response-v\(version)", encoded)
                var reader = KafkaReader(encoded)
                #expect(throws: Never.self) { _ = try Body(from: &reader, version: version) }
            }
        }
        func compare(_ key: String, _ bytes: ByteBuffer) {
            let hex = bytes.readableBytesView.map { String(format: "%02x", $0) }.joined()
            #expect(expected[key] == hex, "\(key)")
            compared += 1
        }

        request(
            "apiVersions",
            KafkaAPIVersionsRequest(clientSoftwareName: "confluent-kafka-python", clientSoftwareVersion: "2.6.0")
        )
        response(
            "apiVersions",
            KafkaAPIVersionsResponse(
                apiKeys: [
                    .init(apiKey: .produce, minimumVersion: 3, maximumVersion: 8),
                    .init(apiKey: .apiVersions, minimumVersion: 0, maximumVersion: 3),
                ],
                throttleTimeMs: 25
            )
        )
        request("metadata", Self.metadataRequest)
        response("metadata", Self.metadataResponse)
        request("produce", Self.produceRequest)
        response("produce", Self.produceResponse)
        request("fetch", Self.fetchRequest)
        response("fetch", Self.fetchResponse)
        request("listOffsets", Self.listOffsetsRequest)
        response("listOffsets", Self.listOffsetsResponse)
        request("initProducerId", KafkaInitProducerIDRequest(transactionalID: "tx", transactionTimeoutMs: 60_000))
        response(
            "initProducerId",
            KafkaInitProducerIDResponse(throttleTimeMs: 1, producerID: 1_000_001, producerEpoch: 2)
        )
        #expect(compared == expected.count, "the script wrote \(expected.count) samples, \(compared) compared")
    }

    /// kafka-python 2.3 asks ApiVersions v4; Sluice's answer, in the v0 layout with
    /// UNSUPPORTED_VERSION, must be what kafka-python's own decoding of that answer reads.
    @Test(arguments: [Int16(4), 3, 0])
    func unsupportedVersionAnswerDecodesInKafkaPython(askedVersion: Int16) async throws {
        var body = ByteBuffer()
        KafkaAPIVersionsResponse.unsupportedVersion().encode(into: &body, version: 0)
        let hex = body.readableBytesView.map { String(format: "%02x", $0) }.joined()
        struct Decoded: Decodable {
            var `class`: String
            var error_code: Int16
            var api_versions: [[Int16]]
        }
        let output = try await Self.runScript(arguments: ["decode-api-versions", String(askedVersion), hex])
        let decoded = try JSONDecoder().decode(Decoded.self, from: output)
        #expect(decoded.class == "ApiVersionsResponse_v0")
        #expect(decoded.error_code == 35)
        #expect(
            decoded.api_versions
                == KafkaAPIVersions.supported.map { [$0.apiKey.rawValue, $0.minimumVersion, $0.maximumVersion] }
        )
    }

    // The samples of kafka_protocol.py: every field of every version (a version drops the ones
    // it does not have when encoding).

    static let metadataRequest = KafkaMetadataRequest(
        topics: ["orders", "payments"],
        allowAutoTopicCreation: false,
        includeClusterAuthorizedOperations: true,
        includeTopicAuthorizedOperations: true
    )

    static let metadataResponse = KafkaMetadataResponse(
        throttleTimeMs: 5,
        brokers: [.init(nodeID: 1, host: "127.0.0.1", port: 9092, rack: "r1")],
        clusterID: "sluice",
        controllerID: 1,
        topics: [
            .init(
                name: "orders",
                isInternal: true,
                partitions: [
                    .init(
                        partitionIndex: 0,
                        leaderID: 1,
                        leaderEpoch: 4,
                        replicaNodes: [1],
                        isrNodes: [1],
                        offlineReplicas: [2]
                    ),
                    .init(
                        errorCode: .leaderNotAvailable,
                        partitionIndex: 1,
                        leaderID: -1,
                        replicaNodes: [],
                        isrNodes: []
                    ),
                ],
                topicAuthorizedOperations: 15
            ),
            .init(errorCode: .unknownTopicOrPartition, name: "missing", partitions: []),
        ],
        clusterAuthorizedOperations: 3
    )

    static let produceRequest = KafkaProduceRequest(
        transactionalID: "tx-1",
        acks: -1,
        timeoutMs: 30_000,
        topics: [
            .init(
                name: "orders",
                partitions: [
                    .init(partitionIndex: 0, records: ByteBuffer(bytes: Array(0..<61))),
                    .init(partitionIndex: 3, records: nil),
                ]
            ),
            .init(name: "empty", partitions: []),
        ]
    )

    static let produceResponse = KafkaProduceResponse(
        topics: [
            .init(
                name: "orders",
                partitions: [
                    .init(partitionIndex: 0, baseOffset: 42, logAppendTimeMs: 1_700_000_000_000, logStartOffset: 7),
                    .init(
                        partitionIndex: 3,
                        errorCode: .invalidRecord,
                        baseOffset: -1,
                        recordErrors: [.init(batchIndex: 2, message: "bad key"), .init(batchIndex: 5, message: nil)],
                        errorMessage: "2 records failed"
                    ),
                ]
            )
        ],
        throttleTimeMs: 12
    )

    static let fetchRequest = KafkaFetchRequest(
        maxWaitMs: 500,
        minBytes: 1,
        maxBytes: 52_428_800,
        isolationLevel: 1,
        sessionID: 17,
        sessionEpoch: 3,
        topics: [
            .init(
                name: "orders",
                partitions: [
                    .init(
                        partitionIndex: 0,
                        currentLeaderEpoch: 2,
                        fetchOffset: 1_000,
                        logStartOffset: 0,
                        partitionMaxBytes: 1_048_576
                    ),
                    .init(partitionIndex: 1, fetchOffset: 0, partitionMaxBytes: 1),
                ]
            )
        ],
        forgottenTopics: [.init(name: "old", partitions: [4, 5])],
        rackID: "rack-a"
    )

    static let fetchResponse = KafkaFetchResponse(
        throttleTimeMs: 3,
        errorCode: .fetchSessionIDNotFound,
        sessionID: 17,
        topics: [
            .init(
                name: "orders",
                partitions: [
                    .init(
                        partitionIndex: 0,
                        highWatermark: 1_200,
                        lastStableOffset: 1_200,
                        logStartOffset: 10,
                        abortedTransactions: [.init(producerID: 9, firstOffset: 1_100)],
                        preferredReadReplica: 1,
                        records: ByteBuffer(bytes: [0xAB, 0xCD, 0xEF])
                    ),
                    .init(partitionIndex: 1, errorCode: .offsetOutOfRange, highWatermark: -1, records: nil),
                ]
            )
        ]
    )

    static let listOffsetsRequest = KafkaListOffsetsRequest(
        isolationLevel: 1,
        topics: [
            .init(
                name: "orders",
                partitions: [
                    .init(partitionIndex: 0, currentLeaderEpoch: 3, timestamp: -2, maxNumOffsets: 5),
                    .init(partitionIndex: 1, timestamp: 1_700_000_000_000),
                ]
            )
        ]
    )

    static let listOffsetsResponse = KafkaListOffsetsResponse(
        throttleTimeMs: 8,
        topics: [
            .init(
                name: "orders",
                partitions: [
                    .init(
                        partitionIndex: 0,
                        oldStyleOffsets: [120, 0],
                        timestamp: 1_700_000_000_000,
                        offset: 120,
                        leaderEpoch: 3
                    ),
                    .init(partitionIndex: 9, errorCode: .unknownTopicOrPartition),
                ]
            )
        ]
    )

    // MARK: Running the script

    static let script = KafkaPythonScript(name: "kafka_protocol.py")

    /// Runs the script and returns its samples (name to hex).
    static func runScript() async throws -> [String: String] { try await script.samples() }

    /// Runs the script with `arguments` and returns its standard output.
    static func runScript(arguments: [String]) async throws -> Data { try await script.run(arguments: arguments) }
}
