import Broker
import BrokerProtocol
import Foundation
import LogStore
import NIOCore
import RecordCodec
import Testing

@Suite("Produce and fetch against an embedded broker")
struct ProduceFetchTests {
    static func create(_ connection: TestConnection, _ topic: String, partitions: Int32) async throws {
        let result = try await connection.call(
            CreateTopicRequest(topic: topic, partitionCount: partitions),
            as: CreateTopicResponse.self
        ).result
        #expect(result.errorCode == .none, "\(result.errorMessage ?? "")")
    }

    static func produce(
        _ connection: TestConnection,
        _ topic: String,
        partition: Int32,
        _ records: ByteBuffer,
        acks: Acks = .durable,
        hasMessageIDs: Bool = false
    ) async throws -> ProduceResponse.PartitionResult {
        let response = try await connection.call(
            ProduceRequest(
                acks: acks,
                topic: topic,
                partitions: [.init(partition: partition, hasMessageIDs: hasMessageIDs, records: records)]
            ),
            as: ProduceResponse.self
        )
        return try #require(response.partitions.first)
    }

    static func fetch(
        _ connection: TestConnection,
        _ topic: String,
        partition: Int32,
        offset: Int64,
        maxWait: UInt32 = 0
    ) async throws -> FetchResponse.PartitionData {
        let response = try await connection.call(
            FetchRequest(
                maxWaitMilliseconds: maxWait,
                maxBytes: 1 << 20,
                topics: [
                    .init(topic: topic, partitions: [.init(partition: partition, offset: offset, maxBytes: 1 << 20)])
                ]
            ),
            as: FetchResponse.self
        )
        return try #require(response.topics.first?.partitions.first)
    }

    @Test("records produced with each acks level are fetched back byte for byte", arguments: Acks.allCases)
    func roundTrip(acks: Acks) async throws {
        try await withBroker { _, port in
            let connection = try await TestConnection(port: port)
            try await Self.create(connection, "events", partitions: 2)
            let batch = batchBytes(
                ["a", "b", "c"],
                key: "k",
                headers: [RecordHeader(key: "h", value: ByteBuffer(string: "1"))]
            )
            if acks == .none {
                try await connection.send(
                    ProduceRequest(acks: .none, topic: "events", partitions: [.init(partition: 1, records: batch)]),
                    correlationID: 7
                )
                // No response is due; a later request on the same connection is still answered,
                // and the records are there.
                let listed = try await connection.call(ListTopicsRequest(), as: ListTopicsResponse.self)
                #expect(listed.topics.map(\.topic) == ["events"])
                #expect(!connection.pendingFrames.contains { $0.correlationID == 7 })
            } else {
                let result = try await Self.produce(connection, "events", partition: 1, batch, acks: acks)
                #expect(result.errorCode == .none)
                #expect(result.partition == 1)
                #expect(result.baseOffset == 0 && result.lastOffset == 2 && result.recordOffsets.isEmpty)
            }
            var fetched = try await Self.fetch(connection, "events", partition: 1, offset: 0)
            for _ in 0..<100 where fetched.records.readableBytes == 0 {
                try await Task.sleep(for: .milliseconds(10))
                fetched = try await Self.fetch(connection, "events", partition: 1, offset: 0)
            }
            #expect(fetched.errorCode == .none)
            #expect(fetched.logEndOffset == 3)
            var stored = fetched.records
            stored.setInteger(Int64(0), at: stored.readerIndex)  // the broker wrote baseOffset 0; so did we
            #expect(stored == batch, "the broker stores and serves the producer's bytes as they are")
            let records = try decodeRecords(fetched.records)
            #expect(records.map { String(buffer: $0.value!) } == ["a", "b", "c"])
            #expect(records.map(\.offset) == [0, 1, 2])
            #expect(records.first?.headers == [RecordHeader(key: "h", value: ByteBuffer(string: "1"))])
        }
    }

    @Test("partition -1 routes a keyed batch with Kafka's murmur2 partitioner")
    func brokerChosenPartition() async throws {
        try await withBroker { _, port in
            let connection = try await TestConnection(port: port)
            try await Self.create(connection, "keyed", partitions: 7)
            for key in ["order-1", "order-2", "customer-42", "", "ünïcødé"] {
                let result = try await Self.produce(connection, "keyed", partition: -1, batchBytes(["x"], key: key))
                let expected = Partitioner.partition(forKey: Array(key.utf8), partitionCount: 7)
                #expect(result.partition == expected, "key \(key)")
            }
            // Keyless batches are spread round-robin.
            var seen = Set<Int32>()
            for _ in 0..<7 {
                seen.insert(try await Self.produce(connection, "keyed", partition: -1, batchBytes(["y"])).partition)
            }
            #expect(seen.count == 7)
            // Different keys in one entry with partition -1 are refused.
            let mixed = RecordBatch(records: [
                Record(key: ByteBuffer(string: "a"), value: nil, timestamp: 1),
                Record(key: ByteBuffer(string: "b"), value: nil, timestamp: 1),
            ]).buffer
            let refused = try await Self.produce(connection, "keyed", partition: -1, mixed)
            #expect(refused.errorCode == .invalidRequest)
        }
    }

    @Test("a retried idempotent batch is not appended twice; a gap in sequences is refused")
    func idempotentProducer() async throws {
        try await withBroker { _, port in
            let connection = try await TestConnection(port: port)
            try await Self.create(connection, "idem", partitions: 1)
            let id = try await connection.call(InitProducerRequest(), as: InitProducerResponse.self)
            let other = try await connection.call(InitProducerRequest(), as: InitProducerResponse.self)
            #expect(id.producerID != other.producerID)
            let producer = { (sequence: Int32) in
                ProducerIdentity(producerId: id.producerID, producerEpoch: id.producerEpoch, baseSequence: sequence)
            }
            let first = try await Self.produce(
                connection,
                "idem",
                partition: 0,
                batchBytes(["a", "b"], producer: producer(0))
            )
            let retry = try await Self.produce(
                connection,
                "idem",
                partition: 0,
                batchBytes(["a", "b"], producer: producer(0))
            )
            #expect(first.baseOffset == 0 && first.lastOffset == 1)
            #expect(retry.errorCode == .none && retry.baseOffset == 0 && retry.lastOffset == 1)
            let next = try await Self.produce(
                connection,
                "idem",
                partition: 0,
                batchBytes(["c"], producer: producer(2))
            )
            #expect(next.baseOffset == 2)
            let gap = try await Self.produce(connection, "idem", partition: 0, batchBytes(["e"], producer: producer(9)))
            #expect(gap.errorCode == .outOfOrderSequence)
            let fetched = try await Self.fetch(connection, "idem", partition: 0, offset: 0)
            let values = try decodeRecords(fetched.records).map { String(buffer: $0.value!) }
            #expect(values == ["a", "b", "c"], "fetched \(values)")
        }
    }

    @Test("a second record with the same message id within the window gets the first one's offset")
    func messageIDDeduplication() async throws {
        try await withBroker { _, port in
            let connection = try await TestConnection(port: port)
            try await Self.create(connection, "outbox", partitions: 3)
            func record(_ id: String, _ value: String) -> Record {
                Record(
                    value: ByteBuffer(string: value),
                    headers: [RecordHeader(key: ProduceRequest.messageIDHeader, value: ByteBuffer(string: id))],
                    timestamp: 5
                )
            }
            let first = try await Self.produce(
                connection,
                "outbox",
                partition: -1,
                RecordBatch(records: [record("m-1", "one")]).buffer,
                hasMessageIDs: true
            )
            let again = try await Self.produce(
                connection,
                "outbox",
                partition: -1,
                RecordBatch(records: [record("m-1", "one again")]).buffer,
                hasMessageIDs: true
            )
            #expect(again.partition == first.partition)
            #expect(again.offset(ofRecordAt: 0) == first.baseOffset)
            // A batch mixing a duplicate and a new id stores only the new record.
            let mixed = try await Self.produce(
                connection,
                "outbox",
                partition: first.partition,
                RecordBatch(records: [record("m-1", "dup"), record("m-2", "two")]).buffer,
                hasMessageIDs: true
            )
            #expect(mixed.offset(ofRecordAt: 0) == first.baseOffset)
            #expect(mixed.offset(ofRecordAt: 1) == first.baseOffset + 1)
            let fetched = try await Self.fetch(connection, "outbox", partition: first.partition, offset: 0)
            #expect(try decodeRecords(fetched.records).map { String(buffer: $0.value!) } == ["one", "two"])
        }
    }

    @Test("a fetch at the log end waits for the next append (long polling), or returns empty at its deadline")
    func longPolling() async throws {
        try await withBroker { server, port in
            let reader = try await TestConnection(port: port)
            let writer = try await TestConnection(port: port)
            try await Self.create(writer, "poll", partitions: 1)
            let empty = try await Self.fetch(reader, "poll", partition: 0, offset: 0, maxWait: 20)
            #expect(empty.errorCode == .none && empty.records.readableBytes == 0)
            try await reader.sendLongPoll("poll", maxWaitMilliseconds: 20_000, correlationID: 99)
            // The append comes once the fetch waits for it, so that the wakeup is what answers it.
            try await server.waitForParkedFetches("poll")
            _ = try await Self.produce(writer, "poll", partition: 0, batchBytes(["late"]))
            let frame = try await reader.response(99)
            let data = try #require(FetchResponse.decode(frame.body).topics.first?.partitions.first)
            #expect(try decodeRecords(data.records).map { String(buffer: $0.value!) } == ["late"])
        }
    }

    @Test("reads outside the log get offsetOutOfRange with the valid range; unknown topics and partitions are named")
    func fetchErrors() async throws {
        try await withBroker { _, port in
            let connection = try await TestConnection(port: port)
            try await Self.create(connection, "range", partitions: 1)
            _ = try await Self.produce(connection, "range", partition: 0, batchBytes(["a", "b"]))
            let past = try await Self.fetch(connection, "range", partition: 0, offset: 5)
            #expect(past.errorCode == .offsetOutOfRange)
            #expect(past.logStartOffset == 0 && past.logEndOffset == 2)
            #expect(try await Self.fetch(connection, "nope", partition: 0, offset: 0).errorCode == .unknownTopic)
            #expect(try await Self.fetch(connection, "range", partition: 3, offset: 0).errorCode == .unknownPartition)
            let produced = try await Self.produce(connection, "nope", partition: 0, batchBytes(["x"]))
            #expect(produced.errorCode == .unknownTopic)
            let corrupt = try await Self.produce(connection, "range", partition: 0, ByteBuffer(bytes: [1, 2, 3]))
            #expect(corrupt.errorCode == .corruptRecordBatch)
        }
    }

    @Test("listOffsets answers earliest, latest and by timestamp")
    func listOffsets() async throws {
        try await withBroker { _, port in
            let connection = try await TestConnection(port: port)
            try await Self.create(connection, "times", partitions: 1)
            for (index, timestamp) in [Int64(1_000), 2_000, 3_000].enumerated() {
                _ = try await Self.produce(
                    connection,
                    "times",
                    partition: 0,
                    batchBytes(["v\(index)"], timestamp: timestamp)
                )
            }
            let response = try await connection.call(
                ListOffsetsRequest(
                    topic: "times",
                    partitions: [
                        .init(partition: 0, timestamp: ListOffsetsRequest.earliest),
                        .init(partition: 0, timestamp: ListOffsetsRequest.latest),
                        .init(partition: 0, timestamp: 1_500),
                        .init(partition: 0, timestamp: 9_000),
                    ]
                ),
                as: ListOffsetsResponse.self
            )
            #expect(response.partitions.map(\.offset) == [0, 3, 1, -1])
        }
    }

    @Test("topics survive a restart of the broker with their data")
    func restart() async throws {
        let directory = NSTemporaryDirectory() + "sluice-restart-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for round in 0..<2 {
            let server = BrokerServer(configuration: BrokerConfiguration(dataDirectory: directory, port: 0))
            try await server.start()
            let connection = try await TestConnection(port: try #require(server.localPort))
            if round == 0 {
                try await Self.create(connection, "durable", partitions: 2)
                _ = try await Self.produce(connection, "durable", partition: 1, batchBytes(["kept"]))
            } else {
                let fetched = try await Self.fetch(connection, "durable", partition: 1, offset: 0)
                #expect(try decodeRecords(fetched.records).map { String(buffer: $0.value!) } == ["kept"])
                let id = try await connection.call(InitProducerRequest(), as: InitProducerResponse.self)
                #expect(id.producerID >= 1000, "producer ids are never reused across restarts")
            }
            if round == 0 { _ = try await connection.call(InitProducerRequest(), as: InitProducerResponse.self) }
            try await server.shutdown()
        }
    }
}

extension ProduceFetchTests {
    @Test("a produce entry of several batches is all or nothing when one batch's records are bad")
    func multiBatchEntryAllOrNothing() async throws {
        try await withBroker { _, port in
            let connection = try await TestConnection(port: port)
            try await Self.create(connection, "atomic", partitions: 1)
            let good = batchBytes(["fine"])
            // A batch with valid length, magic and CRC whose records claim gzip compression.
            var bad = Array(batchBytes(["bad"]).readableBytesView)
            bad[22] |= 0x01
            let crc = bad[21...].withUnsafeBytes { CRC32C.checksum($0) }
            withUnsafeBytes(of: crc.bigEndian) { bad.replaceSubrange(17..<21, with: $0) }
            var both = good
            both.writeBytes(bad)
            let result = try await Self.produce(connection, "atomic", partition: 0, both)
            #expect(result.errorCode == .corruptRecordBatch)
            let fetched = try await Self.fetch(connection, "atomic", partition: 0, offset: 0)
            #expect(fetched.logEndOffset == 0, "the good batch before the bad one was not appended")
        }
    }
}
