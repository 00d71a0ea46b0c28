import BrokerProtocol
import NIOCore
import RecordCodec
import Testing

@testable import BrokerClient

@Suite struct ProducerTests {
    private func configuration(linger: Duration = .seconds(60)) -> ProducerConfiguration {
        var configuration = ProducerConfiguration()
        configuration.linger = linger
        configuration.retryBackoff = .milliseconds(1)
        return configuration
    }

    private func batches(of request: ProduceRequest) throws -> RecordBatch {
        try RecordBatch(validating: request.partitions[0].records)
    }

    @Test func batchesRecordsOfAPartitionUntilFlushed() async throws {
        let transport = FakeTransport(topics: ["t": 1])
        let handles = try await Producer.withProducer(transport: transport, configuration: configuration()) {
            producer in
            var handles: [PendingRecord] = []
            for index in 0..<5 {
                handles.append(try await producer.enqueue(topic: "t", value: ByteBuffer(string: "v\(index)")))
            }
            try await producer.flush()
            return handles
        }
        let requests = transport.produceRequests
        #expect(requests.count == 1)
        let batch = try batches(of: requests[0])
        #expect(batch.recordCount == 5)
        #expect(try batch.records().map { String(buffer: $0.value!) } == ["v0", "v1", "v2", "v3", "v4"])
        var offsets: [Int64?] = []
        for handle in handles { offsets.append(try await handle.metadata().offset) }
        #expect(offsets == [0, 1, 2, 3, 4])
    }

    @Test func aFullBatchIsSentWithoutWaitingForTheLinger() async throws {
        let transport = FakeTransport(topics: ["t": 1])
        var configuration = configuration()
        configuration.batchBytes = 100
        let metadata = try await Producer.withProducer(transport: transport, configuration: configuration) { producer in
            // A 200-byte value fills a batch by itself: `send` returns although the linger is a minute.
            try await producer.send(topic: "t", value: ByteBuffer(repeating: 1, count: 200))
        }
        #expect(metadata == RecordMetadata(topic: "t", partition: 0, offset: 0))
    }

    @Test func aMessageIDOverTheLimitIsRefusedAloneAndOthersAreSent() async throws {
        let transport = FakeTransport(topics: ["t": 1])
        let offset = try await Producer.withProducer(transport: transport, configuration: configuration()) {
            producer in
            let good = try await producer.enqueue(topic: "t", value: ByteBuffer(string: "a"), messageID: "ok")
            let error = await #expect(throws: ClientError.self) {
                _ = try await producer.enqueue(
                    topic: "t",
                    value: ByteBuffer(string: "b"),
                    messageID: ByteBuffer(repeating: 0x61, count: 1025)
                )
            }
            #expect(error?.code == .invalidArgument)
            #expect(error?.message.contains("maxMessageIDBytes") == true)
            try await producer.flush()
            return try await good.metadata().offset
        }
        #expect(offset == 0)
        #expect(try transport.produceRequests.map { try batches(of: $0).recordCount } == [1])
    }

    @Test func sequenceNumbersFollowEachPartitionsRecords() async throws {
        let transport = FakeTransport(topics: ["t": 2])
        try await Producer.withProducer(transport: transport, configuration: configuration()) { producer in
            for round in 0..<3 {
                for index in 0..<(round + 2) {
                    _ = try await producer.enqueue(topic: "t", value: ByteBuffer(string: "\(index)"), partition: 1)
                }
                try await producer.flush()
            }
        }
        let batches = try transport.produceRequests.map(batches(of:))
        #expect(batches.map(\.baseSequence) == [0, 2, 5])
        #expect(Set(batches.map(\.producerId)).count == 1)
        #expect(batches[0].producerId >= 0)
        #expect(transport.produceRequests.allSatisfy { $0.partitions[0].partition == 1 })
    }

    @Test func aBatchIsRetriedWithTheSameBytesAfterAConnectionError() async throws {
        let transport = FakeTransport(topics: ["t": 1])
        transport.failNextProduces(2)
        let metadata = try await Producer.withProducer(
            transport: transport,
            configuration: configuration(linger: .zero)
        ) { producer in
            try await producer.send(topic: "t", value: ByteBuffer(string: "once"))
        }
        let requests = transport.produceRequests
        #expect(requests.count == 3)
        #expect(requests[0].partitions[0].records == requests[1].partitions[0].records)
        #expect(requests[1].partitions[0].records == requests[2].partitions[0].records)
        #expect(metadata.offset == 0)
    }

    @Test func givesUpAfterTheLastRetry() async throws {
        let transport = FakeTransport(topics: ["t": 1])
        transport.failNextProduces(100)
        var configuration = configuration(linger: .zero)
        configuration.maxRetries = 2
        await #expect(throws: ClientError.self) {
            try await Producer.withProducer(transport: transport, configuration: configuration) { producer in
                try await producer.send(topic: "t", value: ByteBuffer(string: "x"))
            }
        }
        #expect(transport.produceRequests.count == 3)
    }

    @Test func keyedRecordsAndMessageIDsChooseTheirPartitions() async throws {
        let transport = FakeTransport(topics: ["t": 16])
        let (keyed, withID) = try await Producer.withProducer(
            transport: transport,
            configuration: configuration(linger: .zero)
        ) { producer in
            let keyed = try await producer.send(topic: "t", key: ByteBuffer(string: "customer-7"), value: nil)
            let withID = try await producer.send(topic: "t", value: ByteBuffer(string: "x"), messageID: "21")
            return (keyed, withID)
        }
        #expect(keyed.partition == Partitioner.partition(forKey: Array("customer-7".utf8), partitionCount: 16))
        #expect(withID.partition == Partitioner.partition(forKey: Array("21".utf8), partitionCount: 16))
        let request = try #require(transport.produceRequests.first { $0.partitions[0].hasMessageIDs })
        let record = try #require(try batches(of: request).records().first)
        #expect(record.headers == [RecordHeader(key: ProduceRequest.messageIDHeader, value: ByteBuffer(string: "21"))])
    }

    @Test func keylessRecordsGoRoundRobinOneBatchAtATime() async throws {
        let transport = FakeTransport(topics: ["t": 3])
        try await Producer.withProducer(transport: transport, configuration: configuration()) { producer in
            for _ in 0..<3 {
                for _ in 0..<4 { _ = try await producer.enqueue(topic: "t", value: ByteBuffer(string: "v")) }
                try await producer.flush()
            }
        }
        let requests = transport.produceRequests
        #expect(requests.map { $0.partitions[0].partition } == [0, 1, 2])
        #expect(try requests.map { try batches(of: $0).recordCount } == [4, 4, 4])
    }

    @Test func acksNoneReturnsWithoutAnOffset() async throws {
        let transport = FakeTransport(topics: ["t": 1])
        var configuration = configuration(linger: .zero)
        configuration.acks = .none
        let metadata = try await Producer.withProducer(transport: transport, configuration: configuration) { producer in
            try await producer.send(topic: "t", value: ByteBuffer(string: "x"))
        }
        #expect(metadata.offset == nil)
        #expect(metadata.description == "t/0")
        #expect(transport.produceRequests.first?.acks == Acks.none)
    }

    @Test func closedProducersRefuseRecords() async throws {
        let transport = FakeTransport(topics: ["t": 1])
        let producer = try await Producer.withProducer(transport: transport) { $0 }
        await #expect(throws: ClientError.self) { try await producer.send(topic: "t", value: nil) }
    }

    @Test func sequenceNumbersWrapLikeKafkas() {
        #expect(Producer.sequence(after: 5, count: 3) == 8)
        #expect(Producer.sequence(after: Int32.max - 1, count: 3) == 1)
    }
}
