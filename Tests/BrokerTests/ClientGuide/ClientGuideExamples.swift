import Broker
import BrokerClient
import Foundation
import Logging
import NIOCore
import RecordCodec
import ServiceLifecycle

/// The examples of docs/CLIENT.md, compiled and run by ``ClientGuideTests``. The code between a
/// `// guide:NAME begin` and `// guide:NAME end` line is the page's `guide:NAME` block, character
/// for character (after removing the common indentation): edit both together.
enum ClientGuideExamples {
    /// Publishes three `OrderCreated` events with keys, a header and message ids, waiting for each
    /// acknowledgement. Returns the printed lines.
    static func publish(port: Int) async throws -> [String] {
        var lines: [String] = []
        // guide:publish begin
        let connection = BrokerConnection(address: BrokerAddress(host: "127.0.0.1", port: port))
        try await Producer.withProducer(transport: connection) { producer in
            for orderNumber in 1...3 {
                let metadata = try await producer.send(
                    topic: "orders",
                    key: ByteBuffer(string: "order-\(orderNumber)"),
                    value: ByteBuffer(string: #"{"type":"OrderCreated","order":\#(orderNumber)}"#),
                    headers: [RecordHeader(key: "type", value: ByteBuffer(string: "OrderCreated"))],
                    messageID: "order-created-\(orderNumber)"
                )
                lines.append("order \(orderNumber) stored at \(metadata)")
            }
        }
        await connection.close()
        // guide:publish end
        return lines
    }

    /// Publishes many events without waiting for each acknowledgement in turn.
    static func publishMany(port: Int) async throws -> Int {
        // guide:publish-many begin
        let connection = BrokerConnection(address: BrokerAddress(host: "127.0.0.1", port: port))
        let acknowledged = try await Producer.withProducer(transport: connection) { producer in
            var pending: [PendingRecord] = []
            for orderNumber in 1...10_000 {
                pending.append(
                    try await producer.enqueue(
                        topic: "orders",
                        key: ByteBuffer(string: "order-\(orderNumber)"),
                        value: ByteBuffer(string: #"{"type":"OrderCreated","order":\#(orderNumber)}"#),
                        messageID: "order-created-\(orderNumber)"
                    )
                )
            }
            for record in pending { _ = try await record.metadata() }
            return pending.count
        }
        await connection.close()
        // guide:publish-many end
        return acknowledged
    }

    /// Reads the topic from the start to the end it had when the consumer started.
    static func consume(port: Int) async throws -> [String] {
        var lines: [String] = []
        // guide:consume begin
        let connection = BrokerConnection(address: BrokerAddress(host: "127.0.0.1", port: port))
        var configuration = ConsumerConfiguration()
        configuration.stopsAtEnd = true  // leave out to keep following new records
        let consumer = Consumer(transport: connection, topic: "orders", from: .earliest, configuration: configuration)
        for try await record in consumer.records() {
            let key = record.key.map { String(buffer: $0) } ?? "-"
            let value = record.value.map { String(buffer: $0) } ?? "null"
            lines.append("\(record.partition)@\(record.offset) \(key) \(value) id=\(record.messageIDString ?? "-")")
        }
        await connection.close()
        // guide:consume end
        return lines
    }

    /// A producer in a `ServiceGroup`: publishing as orders arrive, graceful shutdown on SIGTERM or
    /// when the source of orders ends.
    static func service(port: Int, orders: AsyncStream<Int>) async throws {
        // guide:service begin
        let connection = BrokerConnection(address: BrokerAddress(host: "127.0.0.1", port: port))
        let producer = Producer(transport: connection)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    // Shut down in reverse order: the publisher stops first, then the producer sends
                    // and awaits everything it accepted.
                    .init(service: producer),
                    .init(
                        service: OrderPublisher(producer: producer, orders: orders),
                        successTerminationBehavior: .gracefullyShutdownGroup
                    ),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: Logger(label: "order-service")
            )
        )
        try await group.run()
        await connection.close()
        // guide:service end
    }

    /// A test of a service's code against a broker embedded in the test process.
    static func embeddedBroker() async throws -> Int {
        // guide:embedded begin
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString).path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let broker = BrokerServer(configuration: BrokerConfiguration(dataDirectory: directory, port: 0))
        try await broker.start()
        let connection = BrokerConnection(address: BrokerAddress(host: "127.0.0.1", port: broker.localPort!))
        try await Admin(transport: connection).createTopic("orders", partitions: 3)
        let metadata = try await Producer.withProducer(transport: connection) { producer in
            try await producer.send(
                topic: "orders",
                key: ByteBuffer(string: "order-1"),
                value: ByteBuffer(string: "{}")
            )
        }
        await connection.close()
        try await broker.shutdown()
        // guide:embedded end
        return Int(metadata.offset ?? -1)
    }
}

// guide:service-publisher begin
/// Publishes an `OrderCreated` event for each order that arrives, until the orders end or the
/// service group shuts down.
struct OrderPublisher: Service {
    let producer: Producer
    let orders: AsyncStream<Int>

    func run() async throws {
        for await orderNumber in orders.cancelOnGracefulShutdown() {
            // enqueue: the producer batches and acknowledges; graceful shutdown awaits what it accepted.
            _ = try await producer.enqueue(
                topic: "orders",
                key: ByteBuffer(string: "order-\(orderNumber)"),
                value: ByteBuffer(string: #"{"type":"OrderCreated","order":\#(orderNumber)}"#)
            )
        }
    }
}
// guide:service-publisher end
