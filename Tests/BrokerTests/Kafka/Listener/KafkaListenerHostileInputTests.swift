import Broker
import KafkaProtocol
import NIOCore
import Testing

/// Hostile values in requests that decode, and frames of random bytes: every one is answered or
/// closes its connection; the broker keeps serving.
@Suite struct KafkaListenerHostileInputTests {
    @Test func negativeAndOutOfRangeFieldsAreAnsweredWithErrors() async throws {
        try await withKafkaBroker { _, nativePort, kafkaPort in
            try await createTopic("h", partitions: 1, nativePort: nativePort)
            let connection = try await KafkaTestConnection(port: kafkaPort)
            let fetch = KafkaFetchRequest(
                maxWaitMs: -1,
                minBytes: -5,
                maxBytes: -1,
                topics: [
                    .init(name: "h", partitions: [.init(partitionIndex: 0, fetchOffset: -7, partitionMaxBytes: -1)])
                ]
            )
            let fetched = try await connection.call(fetch, version: 11, as: KafkaFetchResponse.self)
            #expect(fetched.topics.first?.partitions.first?.errorCode == .offsetOutOfRange)

            let offsets = KafkaListOffsetsRequest(
                topics: [
                    .init(
                        name: "h",
                        partitions: [
                            .init(partitionIndex: -1, timestamp: -1),
                            .init(partitionIndex: 0, timestamp: -99),
                        ]
                    )
                ]
            )
            let listed = try await connection.call(offsets, version: 5, as: KafkaListOffsetsResponse.self)
            #expect(listed.topics.first?.partitions.map(\.errorCode) == [.unknownTopicOrPartition, .invalidRequest])

            var produce = KafkaListenerProduceFetchTests.produceRequest(
                topic: "h",
                acks: -1,
                records: batchBytes(["v"])
            )
            produce.timeoutMs = -1
            let produced = try await connection.call(produce, version: 8, as: KafkaProduceResponse.self)
            #expect(produced.topics.first?.partitions.first?.errorCode == KafkaErrorCode.none)

            let metadata = try await connection.call(
                KafkaMetadataRequest(topics: ["", String(repeating: "x", count: 300)]),
                version: 8,
                as: KafkaMetadataResponse.self
            )
            #expect(metadata.topics.allSatisfy { $0.errorCode != .none })
        }
    }

    /// Valid request frames to mutate.
    static func samples() -> [ByteBuffer] {
        [
            KafkaListenerProduceFetchTests.produceRequest(
                topic: "r",
                partition: 1,
                records: batchBytes(["a", "b"], key: "k")
            )
            .encodeFrame(version: 8, correlationID: 999, clientID: "fuzz"),
            KafkaListenerProduceFetchTests.fetchRequest(topic: "r", offset: 0, maxWaitMs: 100)
                .encodeFrame(version: 11, correlationID: 999, clientID: "fuzz"),
            KafkaMetadataRequest(topics: ["r", "other"]).encodeFrame(version: 8, correlationID: 999, clientID: "fuzz"),
            KafkaListOffsetsRequest(topics: [.init(name: "r", partitions: [.init(partitionIndex: 0, timestamp: -1)])])
                .encodeFrame(version: 5, correlationID: 999, clientID: "fuzz"),
            KafkaInitProducerIDRequest(transactionTimeoutMs: 1).encodeFrame(
                version: 1,
                correlationID: 999,
                clientID: "f"
            ),
        ]
    }

    @Test func randomAndMutatedFramesNeverStopTheBroker() async throws {
        try await withKafkaBroker { _, nativePort, kafkaPort in
            try await createTopic("r", partitions: 2, nativePort: nativePort)
            let seed: UInt64 = 0x4B41_464B_41
            var generator = SeededGenerator(seed: seed)
            let keys: [KafkaAPIKey] = [.produce, .fetch, .listOffsets, .metadata, .apiVersions, .initProducerID]
            let samples = Self.samples()
            for round in 0..<120 {
                let connection = try await KafkaTestConnection(port: kafkaPort)
                var frame: ByteBuffer
                if round % 2 == 0 {
                    // A valid request with 1 to 3 bytes after its header replaced.
                    frame = samples[(round / 2) % samples.count]
                    let headerEnd = frame.readerIndex + 4 + 8
                    for _ in 0..<Int.random(in: 1...3, using: &generator) {
                        let index = Int.random(in: headerEnd..<frame.writerIndex, using: &generator)
                        frame.setInteger(UInt8.random(in: 0...255, using: &generator), at: index)
                    }
                } else {
                    // A served API and version, then random bytes.
                    let key = keys[(round / 2) % keys.count]
                    let range = try #require(KafkaAPIVersions.range(for: key))
                    let version = Int16.random(in: range.minimumVersion...range.maximumVersion, using: &generator)
                    frame = ByteBuffer()
                    frame.writeKafkaSizePrefixed { body in
                        KafkaRequestHeader(apiKey: key, apiVersion: version, correlationID: 999, clientID: "fuzz")
                            .encode(
                                into: &body,
                                headerVersion: KafkaAPIVersions.requestHeaderVersion(apiKey: key, apiVersion: version)
                            )
                        let count = Int.random(in: 0..<64, using: &generator)
                        body.writeBytes((0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) })
                    }
                }
                try await connection.sendRaw(frame)
                // Either answered (the probe's answer then comes after it) or closed; never silence.
                let probe = try? await connection.send(
                    KafkaAPIVersionsRequest(clientSoftwareName: "probe", clientSoftwareVersion: "1"),
                    version: 3
                )
                var probeAnswered = false
                while !probeAnswered, probe != nil, let frame = try? await connection.nextFrame(timeoutSeconds: 60) {
                    probeAnswered = frame.getInteger(at: frame.readerIndex, as: Int32.self) == probe
                }
                if !probeAnswered { #expect(connection.isClosed, "seed \(seed) round \(round)") }
            }
            let healthy = try await KafkaTestConnection(port: kafkaPort)
            let answer = try await healthy.call(
                KafkaAPIVersionsRequest(clientSoftwareName: "after", clientSoftwareVersion: "1"),
                version: 3,
                as: KafkaAPIVersionsResponse.self
            )
            #expect(answer.errorCode == .none)
        }
    }
}
