import Broker
import BrokerClient
import BrokerProtocol
import NIOCore
import Testing

@Suite("A consumer starting each partition at its own position, against an embedded broker")
struct ConsumerPartitionStartTests {
    /// Topic "t" with 3 partitions of 5 records each; value "P/I" at offset I of partition P, timestamp 1000 × (I + 1).
    static func withFilledTopic(_ body: (BrokerConnection) async throws -> Void) async throws {
        try await withBroker { _, port in
            let connection = BrokerConnection(address: BrokerAddress(host: "127.0.0.1", port: port))
            try await Admin(transport: connection).createTopic("t", partitions: 3)
            try await Producer.withProducer(transport: connection) { producer in
                for partition in Int32(0)..<3 {
                    for index in 0..<5 {
                        _ = try await producer.send(
                            topic: "t",
                            value: ByteBuffer(string: "\(partition)/\(index)"),
                            partition: partition,
                            timestamp: Int64(1_000 * (index + 1))
                        )
                    }
                }
            }
            do {
                try await body(connection)
            } catch {
                await connection.close()
                throw error
            }
            await connection.close()
        }
    }

    static var toEnd: ConsumerConfiguration {
        var configuration = ConsumerConfiguration()
        configuration.stopsAtEnd = true
        return configuration
    }

    /// Every record to the end, as "P/I" sorted.
    static func values(_ consumer: Consumer) async throws -> [String] {
        var values: [String] = []
        for try await record in consumer.records() {
            #expect(String(buffer: record.value!) == "\(record.partition)/\(record.offset)")
            values.append(String(buffer: record.value!))
        }
        return values.sorted()
    }

    @Test("saved offsets: each listed partition from its offset, the others not read")
    func offsets() async throws {
        try await Self.withFilledTopic { connection in
            let consumer = Consumer(
                transport: connection,
                topic: "t",
                offsets: [0: 2, 2: 4],
                configuration: Self.toEnd
            )
            let consumerValues = try await Self.values(consumer)
            #expect(consumerValues == ["0/2", "0/3", "0/4", "2/4"])
            #expect(await consumer.positions == [0: 5, 2: 5])
        }
    }

    @Test("a position per partition: earliest, from the end, a timestamp and an offset in one consumer")
    func mixedPositions() async throws {
        try await Self.withFilledTopic { connection in
            let consumer = Consumer(
                transport: connection,
                topic: "t",
                from: [0: .fromEnd(2), 1: .timestamp(4_000), 2: .offset(1)],
                configuration: Self.toEnd
            )
            let consumerValues = try await Self.values(consumer)
            #expect(consumerValues == ["0/3", "0/4", "1/3", "1/4", "2/1", "2/2", "2/3", "2/4"])
            let earliest = Consumer(transport: connection, topic: "t", from: [1: .earliest], configuration: Self.toEnd)
            let earliestValues = try await Self.values(earliest)
            #expect(earliestValues == ["1/0", "1/1", "1/2", "1/3", "1/4"])
        }
    }

    @Test("partitions not listed start at otherPartitions, when given")
    func otherPartitions() async throws {
        try await Self.withFilledTopic { connection in
            let consumer = Consumer(
                transport: connection,
                topic: "t",
                from: [1: .offset(3)],
                otherPartitions: .fromEnd(1),
                configuration: Self.toEnd
            )
            let consumerValues = try await Self.values(consumer)
            #expect(consumerValues == ["0/4", "1/3", "1/4", "2/4"])
            let resumed = Consumer(
                transport: connection,
                topic: "t",
                offsets: [0: 4],
                otherPartitions: .latest,
                configuration: Self.toEnd
            )
            let resumedValues = try await Self.values(resumed)
            #expect(resumedValues == ["0/4"])
            #expect(await resumed.positions == [0: 5, 1: 5, 2: 5])
        }
    }

    @Test("new records arrive on every partition after the start")
    func followsNewRecords() async throws {
        try await Self.withFilledTopic { connection in
            var configuration = ConsumerConfiguration()
            configuration.maxWait = .milliseconds(100)
            let consumer = Consumer(
                transport: connection,
                topic: "t",
                offsets: [0: 5, 1: 4],
                configuration: configuration
            )
            var values: [String] = []
            values += try await consumer.poll().map { String(buffer: $0.value!) }
            _ = try await Producer.withProducer(transport: connection) { producer in
                try await producer.send(topic: "t", value: ByteBuffer(string: "0/5"), partition: 0)
            }
            for _ in 0..<100 where values.count < 2 {
                values += try await consumer.poll().map { String(buffer: $0.value!) }
            }
            #expect(values.sorted() == ["0/5", "1/4"])
        }
    }

    @Test("an offset past a partition's end is an error that names the valid range")
    func offsetOutOfRange() async throws {
        try await Self.withFilledTopic { connection in
            let consumer = Consumer(transport: connection, topic: "t", offsets: [0: 1, 1: 9])
            let error = try await #require(throws: ClientError.self) { try await consumer.poll() }
            #expect(error.code == .broker(.offsetOutOfRange))
            #expect(error.message.contains("t/1") && error.message.contains("0 to 5"), "\(error.message)")
            // Partition 0's records came in the same answer: its position did not move past them.
            #expect(await consumer.positions[0] == 1)
        }
    }

    @Test("a position for a partition the topic does not have is an error, also with otherPartitions")
    func unknownPartition() async throws {
        try await Self.withFilledTopic { connection in
            for consumer in [
                Consumer(transport: connection, topic: "t", offsets: [7: 0]),
                Consumer(transport: connection, topic: "t", offsets: [0: 1, 7: 0], otherPartitions: .earliest),
            ] {
                let error = try await #require(throws: ClientError.self) { try await consumer.poll() }
                #expect(error.code == .broker(.unknownPartition), "\(error)")
                #expect(error.message.contains("7"), "\(error.message)")
            }
        }
    }

    @Test("no partition to read is refused before anything is sent")
    func noPartitions() async throws {
        try await Self.withFilledTopic { connection in
            let consumer = Consumer(transport: connection, topic: "t", offsets: [:])
            let error = try await #require(throws: ClientError.self) { try await consumer.poll() }
            #expect(error.code == .invalidArgument)
            let negative = Consumer(transport: connection, topic: "t", offsets: [-1: 0])
            let negativeError = try await #require(throws: ClientError.self) { try await negative.poll() }
            #expect(negativeError.code == .invalidArgument, "\(negativeError)")
        }
    }
}
