import Broker
import KafkaProtocol
import NIOCore
import Testing

/// The Kafka listener's connection handling, ApiVersions and Metadata, through the real protocol
/// (what `kcat -L` sends) against an embedded broker.
@Suite struct KafkaListenerMetadataTests {
    @Test func listenerIsOffUnlessConfigured() async throws {
        try await withBroker { server, _ in
            #expect(server.kafkaLocalPort == nil)
        }
    }

    @Test func apiVersionsAdvertisesOnlyServedAPIs() async throws {
        try await withKafkaBroker { _, _, kafkaPort in
            let connection = try await KafkaTestConnection(port: kafkaPort)
            for version: Int16 in [0, 3] {
                let request = KafkaAPIVersionsRequest(clientSoftwareName: "kcat", clientSoftwareVersion: "1.7.1")
                let response = try await connection.call(request, version: version, as: KafkaAPIVersionsResponse.self)
                #expect(response.errorCode == .none)
                let keys = Set(response.apiKeys.map(\.apiKey))
                #expect(keys.contains(.apiVersions) && keys.contains(.metadata))
                #expect(keys.contains(.findCoordinator) && keys.contains(.joinGroup))
                // Nothing the listener does not serve.
                #expect(!keys.contains(.describeGroups) && !keys.contains(.listGroups))
                for range in response.apiKeys {
                    #expect(KafkaAPIVersions.range(for: range.apiKey) == range)
                }
            }
        }
    }

    @Test func apiVersionsAtAnUnsupportedVersionAnswersV0AndKeepsTheConnection() async throws {
        try await withKafkaBroker { _, _, kafkaPort in
            let connection = try await KafkaTestConnection(port: kafkaPort)
            // kafka-python 2.2+ asks v4 first: a v3 frame whose version field says 4.
            let id: Int32 = 41
            var frame = KafkaAPIVersionsRequest().encodeFrame(version: 3, correlationID: id, clientID: "kafka-python")
            frame.setInteger(Int16(4), at: frame.readerIndex + 6)
            try await connection.sendRaw(frame)
            let answer = try await connection.response(KafkaAPIVersionsResponse.self, version: 0, correlationID: id)
            #expect(answer.errorCode == .unsupportedVersion)
            #expect(answer.apiKeys.contains { $0.apiKey == .apiVersions && $0.maximumVersion == 3 })
            let retry = try await connection.call(
                KafkaAPIVersionsRequest(clientSoftwareName: "kafka-python", clientSoftwareVersion: "2.3.3"),
                version: 3,
                as: KafkaAPIVersionsResponse.self
            )
            #expect(retry.errorCode == .none)
        }
    }

    @Test func apiVersionsV3WithInvalidClientSoftwareIsInvalidRequest() async throws {
        try await withKafkaBroker { _, _, kafkaPort in
            let connection = try await KafkaTestConnection(port: kafkaPort)
            let request = KafkaAPIVersionsRequest(clientSoftwareName: "bad name!", clientSoftwareVersion: "1")
            let response = try await connection.call(request, version: 3, as: KafkaAPIVersionsResponse.self)
            #expect(response.errorCode == .invalidRequest)
        }
    }

    @Test func metadataListsEveryTopicLedByTheOneBroker() async throws {
        try await withKafkaBroker { _, nativePort, kafkaPort in
            try await createTopic("orders", partitions: 3, nativePort: nativePort)
            try await createTopic("audit", partitions: 1, nativePort: nativePort)
            let connection = try await KafkaTestConnection(port: kafkaPort)
            for version: Int16 in [0, 1, 4, 8] {
                // v0 asks "all topics" with an empty array, v1+ with null: both decode to nil.
                let request = KafkaMetadataRequest(topics: nil)
                let response = try await connection.call(request, version: version, as: KafkaMetadataResponse.self)
                #expect(response.brokers.map(\.nodeID) == [0])
                #expect(response.brokers.first?.host == "127.0.0.1")
                #expect(response.brokers.first?.port == Int32(kafkaPort))
                let topics = Dictionary(uniqueKeysWithValues: response.topics.map { ($0.name, $0) })
                #expect(Set(topics.keys) == ["orders", "audit"])
                let orders = try #require(topics["orders"])
                #expect(orders.errorCode == .none)
                #expect(orders.partitions.map(\.partitionIndex) == [0, 1, 2])
                #expect(
                    orders.partitions.allSatisfy { $0.leaderID == 0 && $0.replicaNodes == [0] && $0.isrNodes == [0] }
                )
                if version >= 1 { #expect(response.controllerID == 0) }
            }
        }
    }

    @Test func metadataForAMissingTopicIsUnknownTopicOrPartition() async throws {
        try await withKafkaBroker { _, _, kafkaPort in
            let connection = try await KafkaTestConnection(port: kafkaPort)
            let request = KafkaMetadataRequest(topics: ["nope"], allowAutoTopicCreation: true)
            let response = try await connection.call(request, version: 4, as: KafkaMetadataResponse.self)
            #expect(response.topics.map(\.errorCode) == [.unknownTopicOrPartition])
            #expect(response.topics.first?.partitions.isEmpty == true)
        }
    }

    @Test func metadataAutoCreatesOnlyWhenBothBrokerAndRequestAllowIt() async throws {
        try await withKafkaBroker({
            $0.autoCreateTopics = true
            $0.defaultPartitionCount = 2
        }) { _, _, kafkaPort in
            let connection = try await KafkaTestConnection(port: kafkaPort)
            let refused = try await connection.call(
                KafkaMetadataRequest(topics: ["kept-out"], allowAutoTopicCreation: false),
                version: 4,
                as: KafkaMetadataResponse.self
            )
            #expect(refused.topics.map(\.errorCode) == [.unknownTopicOrPartition])
            let created = try await connection.call(
                KafkaMetadataRequest(topics: ["fresh"], allowAutoTopicCreation: true),
                version: 4,
                as: KafkaMetadataResponse.self
            )
            #expect(created.topics.map(\.errorCode) == [.none])
            #expect(created.topics.first?.partitions.count == 2)
            let invalid = try await connection.call(
                KafkaMetadataRequest(topics: ["bad/name"], allowAutoTopicCreation: true),
                version: 4,
                as: KafkaMetadataResponse.self
            )
            #expect(invalid.topics.map(\.errorCode) == [.invalidTopicException])
        }
    }

    @Test func anUnservedAPIClosesTheConnectionAfterEarlierAnswers() async throws {
        try await withKafkaBroker { _, _, kafkaPort in
            let connection = try await KafkaTestConnection(port: kafkaPort)
            let id = try await connection.send(KafkaMetadataRequest(topics: []), version: 1)
            // DescribeGroups (15) v0, as a client that was not told it is not served.
            var frame = ByteBuffer()
            frame.writeKafkaSizePrefixed { body in
                KafkaRequestHeader(apiKey: .describeGroups, apiVersion: 0, correlationID: 99, clientID: "x")
                    .encode(into: &body, headerVersion: 1)
                body.writeInteger(Int32(1))
                body.writeInteger(Int16(1))
                body.writeString("g")
            }
            try await connection.sendRaw(frame)
            _ = try await connection.response(KafkaMetadataResponse.self, version: 1, correlationID: id)
            try await connection.waitUntilClosed()
            #expect(connection.pendingFrameCount == 0)
        }
    }

    @Test func anUnservedVersionClosesTheConnection() async throws {
        try await withKafkaBroker { _, _, kafkaPort in
            let connection = try await KafkaTestConnection(port: kafkaPort)
            var frame = ByteBuffer()
            frame.writeKafkaSizePrefixed { body in
                KafkaRequestHeader(apiKey: .metadata, apiVersion: 12, correlationID: 7, clientID: "x")
                    .encode(into: &body, headerVersion: 2)
            }
            try await connection.sendRaw(frame)
            try await connection.waitUntilClosed()
        }
    }

    @Test func aMalformedRequestClosesOnlyItsConnection() async throws {
        try await withKafkaBroker { _, _, kafkaPort in
            let bad = try await KafkaTestConnection(port: kafkaPort)
            let good = try await KafkaTestConnection(port: kafkaPort)
            // Metadata v1 whose topic array claims 1,000 topics with no bytes after it.
            var frame = ByteBuffer()
            frame.writeKafkaSizePrefixed { body in
                KafkaRequestHeader(apiKey: .metadata, apiVersion: 1, correlationID: 5, clientID: "x")
                    .encode(into: &body, headerVersion: 1)
                body.writeInteger(Int32(1_000))
            }
            try await bad.sendRaw(frame)
            try await bad.waitUntilClosed()
            let answer = try await good.call(
                KafkaAPIVersionsRequest(clientSoftwareName: "kcat", clientSoftwareVersion: "1.7.1"),
                version: 3,
                as: KafkaAPIVersionsResponse.self
            )
            #expect(answer.errorCode == .none)
        }
    }

    @Test func aFrameOverTheLimitClosesTheConnection() async throws {
        try await withKafkaBroker({ $0.limits.maxFrameBytes = 1_024 }) { _, _, kafkaPort in
            let connection = try await KafkaTestConnection(port: kafkaPort)
            var frame = ByteBuffer()
            frame.writeInteger(Int32(1_025))
            try await connection.sendRaw(frame)
            try await connection.waitUntilClosed()
        }
    }

    @Test func pipelinedRequestsBeyondTheInFlightLimitAreAnsweredInOrder() async throws {
        try await withKafkaBroker({ $0.limits.maxInFlightRequestsPerConnection = 2 }) { _, nativePort, kafkaPort in
            try await createTopic("t", partitions: 1, nativePort: nativePort)
            let connection = try await KafkaTestConnection(port: kafkaPort)
            var batch = ByteBuffer()
            var expected: [(id: Int32, isMetadata: Bool)] = []
            for index in 0..<40 {
                let id = Int32(1_000 + index)
                if index % 2 == 0 {
                    KafkaMetadataRequest(topics: ["t"]).encodeFrame(version: 1, correlationID: id, clientID: "p")
                        .withUnsafeReadableBytes { batch.writeBytes($0) }
                } else {
                    KafkaAPIVersionsRequest().encodeFrame(version: 0, correlationID: id, clientID: "p")
                        .withUnsafeReadableBytes { batch.writeBytes($0) }
                }
                expected.append((id, index % 2 == 0))
            }
            try await connection.sendRaw(batch)  // all 40 in one write: the limit of 2 is reached
            for (id, isMetadata) in expected {
                if isMetadata {
                    let response = try await connection.response(
                        KafkaMetadataResponse.self,
                        version: 1,
                        correlationID: id
                    )
                    #expect(response.topics.map(\.name) == ["t"])
                } else {
                    let response = try await connection.response(
                        KafkaAPIVersionsResponse.self,
                        version: 0,
                        correlationID: id
                    )
                    #expect(response.errorCode == .none)
                }
            }
        }
    }
}
