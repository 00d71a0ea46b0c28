import Broker
import BrokerClient
import BrokerProtocol
import Foundation
import LogStore
import NIOCore
import RecordCodec
import Testing

@Suite("BrokerClient against an embedded broker")
struct ClientIntegrationTests {
    static func connection(_ port: Int) -> BrokerConnection {
        BrokerConnection(address: BrokerAddress(host: "127.0.0.1", port: port))
    }

    @Test("Admin creates, describes and lists; Producer sends keyed records; Consumer reads them back")
    func producerToConsumer() async throws {
        try await withBroker { _, port in
            let connection = Self.connection(port)
            let admin = Admin(transport: connection)
            try await admin.createTopic("events", partitions: 3)
            #expect(try await admin.listTopics().map(\.name) == ["events"])

            let keys = (0..<300).map { "key-\($0 % 17)" }
            let metadata = try await Producer.withProducer(transport: connection) { producer in
                var sent: [RecordMetadata] = []
                for (index, key) in keys.enumerated() {
                    sent.append(
                        try await producer.send(
                            topic: "events",
                            key: ByteBuffer(string: key),
                            value: ByteBuffer(string: "value-\(index)"),
                            headers: [RecordHeader(key: "n", value: ByteBuffer(string: "\(index)"))]
                        )
                    )
                }
                return sent
            }
            for (index, key) in keys.enumerated() {
                #expect(metadata[index].partition == Partitioner.partition(forKey: Array(key.utf8), partitionCount: 3))
            }

            var configuration = ConsumerConfiguration()
            configuration.stopsAtEnd = true
            let consumer = Consumer(transport: connection, topic: "events", configuration: configuration)
            var received: [ConsumerRecord] = []
            for try await record in consumer.records() { received.append(record) }
            #expect(received.count == keys.count)
            for record in received {
                let index = Int(String(buffer: record.headers.first!.value!))!
                #expect(String(buffer: record.value!) == "value-\(index)")
                #expect(String(buffer: record.key!) == keys[index])
                #expect(record.offset == metadata[index].offset && record.partition == metadata[index].partition)
            }
            // Within a partition, records come in offset order.
            for partition in Int32(0)..<3 {
                let offsets = received.filter { $0.partition == partition }.map(\.offset)
                #expect(offsets == offsets.sorted())
            }
            await connection.close()
        }
    }

    @Test("a message id sent twice is stored once, and both sends get the same offset")
    func messageIDs() async throws {
        try await withBroker { _, port in
            let connection = Self.connection(port)
            try await Admin(transport: connection).createTopic("outbox", partitions: 4)
            let (first, second) = try await Producer.withProducer(transport: connection) { producer in
                let first = try await producer.send(
                    topic: "outbox",
                    value: ByteBuffer(string: "a"),
                    messageID: "order-7"
                )
                let second = try await producer.send(
                    topic: "outbox",
                    value: ByteBuffer(string: "a"),
                    messageID: "order-7"
                )
                return (first, second)
            }
            #expect(first == second)
            let description = try await Admin(transport: connection).describeTopic("outbox")
            #expect(description.partitions.reduce(0) { $0 + $1.endOffset } == 1)
            await connection.close()
        }
    }

    @Test("the consumer starts at latest, at an offset, or at a timestamp")
    func startPositions() async throws {
        try await withBroker { _, port in
            let connection = Self.connection(port)
            try await Admin(transport: connection).createTopic("t", partitions: 1)
            try await Producer.withProducer(transport: connection) { producer in
                for index in 0..<10 {
                    _ = try await producer.send(
                        topic: "t",
                        value: ByteBuffer(string: "\(index)"),
                        partition: 0,
                        timestamp: Int64(1_000 * (index + 1))
                    )
                }
            }
            var configuration = ConsumerConfiguration()
            configuration.stopsAtEnd = true
            func values(_ start: StartPosition) async throws -> [String] {
                let consumer = Consumer(transport: connection, topic: "t", from: start, configuration: configuration)
                var values: [String] = []
                for try await record in consumer.records() { values.append(String(buffer: record.value!)) }
                return values
            }
            #expect(try await values(.offset(7)) == ["7", "8", "9"])
            #expect(try await values(.timestamp(8_500)) == ["8", "9"])
            #expect(try await values(.latest) == [])
            await connection.close()
        }
    }

    @Test("the client survives a broker restart: the next request reconnects")
    func reconnect() async throws {
        let directory = NSTemporaryDirectory() + "sluice-reconnect-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = BrokerServer(configuration: BrokerConfiguration(dataDirectory: directory, port: 0))
        try await first.start()
        let port = try #require(first.localPort)
        let connection = Self.connection(port)
        try await Admin(transport: connection).createTopic("r", partitions: 1)
        try await first.shutdown()
        await #expect(throws: ClientError.self) { _ = try await Admin(transport: connection).listTopics() }
        let second = BrokerServer(configuration: BrokerConfiguration(dataDirectory: directory, port: port))
        try await second.start()
        #expect(try await Admin(transport: connection).listTopics().map(\.name) == ["r"])
        await connection.close()
        try await second.shutdown()
    }
}
