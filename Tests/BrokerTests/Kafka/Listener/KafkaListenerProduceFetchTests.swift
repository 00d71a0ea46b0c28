import Broker
import KafkaProtocol
import NIOCore
import RecordCodec
import Testing

/// Produce, Fetch and ListOffsets through the Kafka listener, on the broker's own partitions.
@Suite struct KafkaListenerProduceFetchTests {
    static func produceRequest(
        topic: String,
        partition: Int32 = 0,
        acks: Int16 = 1,
        records: ByteBuffer?
    ) -> KafkaProduceRequest {
        KafkaProduceRequest(
            acks: acks,
            timeoutMs: 30_000,
            topics: [.init(name: topic, partitions: [.init(partitionIndex: partition, records: records)])]
        )
    }

    static func fetchRequest(
        topic: String,
        partition: Int32 = 0,
        offset: Int64,
        maxWaitMs: Int32 = 0,
        minBytes: Int32 = 0
    ) -> KafkaFetchRequest {
        KafkaFetchRequest(
            maxWaitMs: maxWaitMs,
            minBytes: minBytes,
            maxBytes: 1 << 20,
            topics: [
                .init(
                    name: topic,
                    partitions: [.init(partitionIndex: partition, fetchOffset: offset, partitionMaxBytes: 1 << 20)]
                )
            ]
        )
    }

    @Test(arguments: [Int16(3), 8])
    func producedBatchesAreFetchedByteForByte(produceVersion: Int16) async throws {
        try await withKafkaBroker { _, nativePort, kafkaPort in
            try await createTopic("events", partitions: 2, nativePort: nativePort)
            let connection = try await KafkaTestConnection(port: kafkaPort)
            let headers = [RecordHeader(key: "trace", value: ByteBuffer(string: "abc"))]
            let first = batchBytes(["a", "b", "c"], key: "k1", headers: headers)
            let second = batchBytes(["d"], key: "k2")
            var offsets: [Int64] = []
            for batch in [first, second] {
                let response = try await connection.call(
                    Self.produceRequest(topic: "events", partition: 1, records: batch),
                    version: produceVersion,
                    as: KafkaProduceResponse.self
                )
                let partition = try #require(response.topics.first?.partitions.first)
                #expect(partition.errorCode == .none)
                offsets.append(partition.baseOffset)
            }
            #expect(offsets == [0, 3])
            for fetchVersion: Int16 in [4, 11] {
                let fetched = try await connection.call(
                    Self.fetchRequest(topic: "events", partition: 1, offset: 0),
                    version: fetchVersion,
                    as: KafkaFetchResponse.self
                )
                let partition = try #require(fetched.topics.first?.partitions.first)
                #expect(partition.errorCode == .none)
                #expect(partition.highWatermark == 4)
                #expect(partition.logStartOffset == (fetchVersion >= 5 ? 0 : -1))  // a v5+ field
                let records = try #require(partition.records)
                // The first batch was sent with base offset 0: the log holds the client's bytes.
                #expect(records.getSlice(at: records.readerIndex, length: first.readableBytes) == first)
                let decoded = try decodeRecords(records)
                #expect(decoded.map { String(buffer: $0.value!) } == ["a", "b", "c", "d"])
                #expect(decoded.map { $0.key.map { String(buffer: $0) } } == ["k1", "k1", "k1", "k2"])
                #expect(decoded[0].headers == headers)
            }
        }
    }

    @Test func acksZeroIsNeverAnsweredAndAFailureClosesTheConnection() async throws {
        try await withKafkaBroker { _, nativePort, kafkaPort in
            try await createTopic("quiet", partitions: 1, nativePort: nativePort)
            let connection = try await KafkaTestConnection(port: kafkaPort)
            try await connection.send(
                Self.produceRequest(topic: "quiet", acks: 0, records: batchBytes(["x"])),
                version: 7
            )
            // The next frame answers the metadata request sent after it: the produce had none.
            let id = try await connection.send(KafkaMetadataRequest(topics: ["quiet"]), version: 1)
            _ = try await connection.response(KafkaMetadataResponse.self, version: 1, correlationID: id)
            let fetched = try await connection.call(
                Self.fetchRequest(topic: "quiet", offset: 0),
                version: 11,
                as: KafkaFetchResponse.self
            )
            #expect(try decodeRecords(try #require(fetched.topics.first?.partitions.first?.records)).count == 1)
            try await connection.send(
                Self.produceRequest(topic: "missing", acks: 0, records: batchBytes(["y"])),
                version: 7
            )
            try await connection.waitUntilClosed()
            #expect(connection.pendingFrameCount == 0)
        }
    }

    @Test func acksAllWaitsForDurabilityAndInvalidAcksAreRefused() async throws {
        try await withKafkaBroker { _, nativePort, kafkaPort in
            try await createTopic("safe", partitions: 1, nativePort: nativePort)
            let connection = try await KafkaTestConnection(port: kafkaPort)
            let durable = try await connection.call(
                Self.produceRequest(topic: "safe", acks: -1, records: batchBytes(["d"])),
                version: 8,
                as: KafkaProduceResponse.self
            )
            #expect(durable.topics.first?.partitions.first?.errorCode == KafkaErrorCode.none)
            let invalid = try await connection.call(
                Self.produceRequest(topic: "safe", acks: 2, records: batchBytes(["d"])),
                version: 8,
                as: KafkaProduceResponse.self
            )
            #expect(invalid.topics.first?.partitions.first?.errorCode == .invalidRequiredAcks)
        }
    }

    @Test func produceErrorsUseKafkaCodes() async throws {
        try await withKafkaBroker { _, nativePort, kafkaPort in
            try await createTopic("two", partitions: 2, nativePort: nativePort)
            let connection = try await KafkaTestConnection(port: kafkaPort)
            var corrupt = batchBytes(["z"])
            let crcIndex = corrupt.readerIndex + 17
            corrupt.setInteger(corrupt.getInteger(at: crcIndex, as: UInt8.self)! ^ 0xFF, at: crcIndex)
            let cases: [(String, Int32, ByteBuffer?, KafkaErrorCode)] = [
                ("missing", 0, batchBytes(["x"]), .unknownTopicOrPartition),
                ("two", 5, batchBytes(["x"]), .unknownTopicOrPartition),
                ("two", -1, batchBytes(["x"]), .unknownTopicOrPartition),
                ("two", 0, corrupt, .corruptMessage),
                ("two", 0, nil, .invalidRequest),
            ]
            for (topic, partition, records, expected) in cases {
                let response = try await connection.call(
                    Self.produceRequest(topic: topic, partition: partition, records: records),
                    version: 5,
                    as: KafkaProduceResponse.self
                )
                #expect(response.topics.first?.partitions.first?.errorCode == expected, "\(topic)/\(partition)")
                #expect(response.topics.first?.partitions.first?.baseOffset == -1)
            }
        }
    }

    @Test func fetchPastTheEndIsOffsetOutOfRange() async throws {
        try await withKafkaBroker { _, nativePort, kafkaPort in
            try await createTopic("short", partitions: 1, nativePort: nativePort)
            let connection = try await KafkaTestConnection(port: kafkaPort)
            _ = try await connection.call(
                Self.produceRequest(topic: "short", records: batchBytes(["1", "2"])),
                version: 8,
                as: KafkaProduceResponse.self
            )
            let response = try await connection.call(
                Self.fetchRequest(topic: "short", offset: 7),
                version: 11,
                as: KafkaFetchResponse.self
            )
            let partition = try #require(response.topics.first?.partitions.first)
            #expect(partition.errorCode == .offsetOutOfRange)
            #expect(partition.highWatermark == 2)
            let unknown = try await connection.call(
                Self.fetchRequest(topic: "nope", offset: 0),
                version: 11,
                as: KafkaFetchResponse.self
            )
            #expect(unknown.topics.first?.partitions.first?.errorCode == .unknownTopicOrPartition)
        }
    }

    @Test func aLongPollingFetchIsWokenByAProduceAndLaterRequestsWaitForIt() async throws {
        try await withKafkaBroker { _, nativePort, kafkaPort in
            try await createTopic("poll", partitions: 1, nativePort: nativePort)
            let consumer = try await KafkaTestConnection(port: kafkaPort)
            let producer = try await KafkaTestConnection(port: kafkaPort)
            let fetchID = try await consumer.send(
                Self.fetchRequest(topic: "poll", offset: 0, maxWaitMs: 60_000, minBytes: 1),
                version: 11
            )
            // Pipelined behind the waiting fetch: its answer is ready first but must come second.
            let metadataID = try await consumer.send(KafkaMetadataRequest(topics: ["poll"]), version: 8)
            _ = try await producer.call(
                Self.produceRequest(topic: "poll", records: batchBytes(["wake"])),
                version: 8,
                as: KafkaProduceResponse.self
            )
            let fetched = try await consumer.response(KafkaFetchResponse.self, version: 11, correlationID: fetchID)
            let records = try decodeRecords(try #require(fetched.topics.first?.partitions.first?.records))
            #expect(records.map { String(buffer: $0.value!) } == ["wake"])
            _ = try await consumer.response(KafkaMetadataResponse.self, version: 8, correlationID: metadataID)
        }
    }

    @Test(arguments: [Int16(0), 1, 5])
    func listOffsetsEarliestLatestAndByTimestamp(version: Int16) async throws {
        try await withKafkaBroker { _, nativePort, kafkaPort in
            try await createTopic("timed", partitions: 1, nativePort: nativePort)
            let connection = try await KafkaTestConnection(port: kafkaPort)
            for (value, timestamp) in [("a", Int64(1_000)), ("b", 2_000), ("c", 3_000)] {
                _ = try await connection.call(
                    Self.produceRequest(topic: "timed", records: batchBytes([value], timestamp: timestamp)),
                    version: 8,
                    as: KafkaProduceResponse.self
                )
            }
            func offset(_ timestamp: Int64, topic: String = "timed") async throws -> (KafkaErrorCode, Int64?) {
                let request = KafkaListOffsetsRequest(
                    topics: [.init(name: topic, partitions: [.init(partitionIndex: 0, timestamp: timestamp)])]
                )
                let response = try await connection.call(request, version: version, as: KafkaListOffsetsResponse.self)
                let partition = try #require(response.topics.first?.partitions.first)
                return (partition.errorCode, version == 0 ? partition.oldStyleOffsets.first : partition.offset)
            }
            #expect(try await offset(-2) == (.none, 0))
            #expect(try await offset(-1) == (.none, 3))
            if version > 0 {
                #expect(try await offset(1_500) == (.none, 1))
                #expect(try await offset(9_000) == (.none, -1))
            }
            #expect(try await offset(-1, topic: "nope").0 == .unknownTopicOrPartition)
        }
    }
}
