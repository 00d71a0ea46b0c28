import Broker
import BrokerClient
import Foundation
import Logging
import ServiceLifecycle

/// The examples of docs/CLIENT.md, compiled and run by ``ClientGuideTests`` (the ServiceGroup
/// producer example is the program in Examples/OrderService, run by an end-to-end test). The code
/// between a `// guide:NAME begin` and `// guide:NAME end` line is the page's `guide:NAME`
/// block, character for character (after removing the common indentation): edit both together.
/// Only `BrokerClient` is imported for the client: nothing of NIO or the storage engine.
enum ClientGuideExamples {
    /// Publishes three `OrderCreated` events with keys, a header and message ids, waiting for each
    /// acknowledgement. Returns the printed lines.
    static func publish(port: Int) async throws -> [String] {
        var lines: [String] = []
        // guide:publish begin
        let address = BrokerAddress(host: "127.0.0.1", port: port)
        try await BrokerConnection.withConnection(to: address) { connection in
            try await Admin(transport: connection).createTopicIfMissing("orders", partitions: 3)
            try await Producer.withProducer(transport: connection) { producer in
                for orderNumber in 1...3 {
                    let metadata = try await producer.send(
                        topic: "orders",
                        key: "order-\(orderNumber)",
                        value: #"{"type":"OrderCreated","order":\#(orderNumber)}"#,
                        headers: [RecordHeader(key: "type", value: "OrderCreated")],
                        messageID: "order-created-\(orderNumber)"
                    )
                    lines.append("order \(orderNumber) stored at \(metadata)")
                }
            }
        }
        // guide:publish end
        return lines
    }

    /// Publishes many events without waiting for each acknowledgement in turn.
    static func publishMany(port: Int) async throws -> Int {
        let address = BrokerAddress(host: "127.0.0.1", port: port)
        return try await BrokerConnection.withConnection(to: address) { connection in
            // guide:publish-many begin
            try await Producer.withProducer(transport: connection) { producer in
                var pending: [PendingRecord] = []
                for orderNumber in 1...10_000 {
                    pending.append(
                        try await producer.enqueue(
                            topic: "orders",
                            key: "order-\(orderNumber)",
                            value: #"{"type":"OrderCreated","order":\#(orderNumber)}"#,
                            messageID: "order-created-\(orderNumber)"
                        )
                    )
                }
                for record in pending { _ = try await record.metadata() }
                return pending.count
            }
            // guide:publish-many end
        }
    }

    /// Reads the topic from the start to the end it had when the consumer started.
    static func consume(port: Int) async throws -> [String] {
        var lines: [String] = []
        let address = BrokerAddress(host: "127.0.0.1", port: port)
        try await BrokerConnection.withConnection(to: address) { connection in
            // guide:consume begin
            var configuration = ConsumerConfiguration()
            configuration.stopsAtEnd = true  // leave out to keep following new records
            let consumer = Consumer(
                transport: connection,
                topic: "orders",
                from: .earliest,
                configuration: configuration
            )
            for try await record in consumer.records() {
                let key = record.keyString ?? "-"
                let value = record.valueString ?? "null"
                let type = record.headerString("type") ?? "-"
                lines.append(
                    "\(record.partition)@\(record.offset) \(key) \(type) \(value) id=\(record.messageIDString ?? "-")"
                )
            }
            // guide:consume end
        }
        return lines
    }

    /// A member of a consumer group handling `expected` messages, each acknowledged.
    static func groupConsumer(port: Int, expected: Int) async throws -> [String] {
        var handled: [String] = []
        let address = BrokerAddress(host: "127.0.0.1", port: port)
        try await BrokerConnection.withConnection(to: address) { connection in
            // guide:group begin
            var configuration = GroupConsumerConfiguration()
            configuration.startAtEarliest = true  // where a new group starts; an existing one goes on
            let consumer = GroupConsumer(
                connection: connection,
                group: "billing",
                topics: ["orders"],
                configuration: configuration
            )
            for try await message in consumer.messages() {
                do {
                    handled.append(message.record.valueString ?? "")  // handle the event here
                    try await message.ack()
                } catch {
                    try await message.nack(reason: "\(error)")  // delivered again after the group's backoff
                }
                if handled.count == expected { break }  // a service would go on until it shuts down
            }
            try await consumer.leave()
            // guide:group end
        }
        return handled
    }

    /// A consumer in a `ServiceGroup`: its records are handled until a graceful shutdown.
    /// `handle` receives each record; the group is returned to the caller to run and shut down.
    static func consumerService(
        connection: BrokerConnection,
        handle: @escaping @Sendable (ConsumerRecord) async throws -> Void
    )
        -> (group: ServiceGroup, consumer: Consumer)
    {
        // guide:consumer-service begin
        let consumer = Consumer(transport: connection, topic: "orders", from: .earliest)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    // In reverse order: the consumer stops first, which ends the handler's records
                    // after the one being handled; then the handler returns, then the connection closes.
                    .init(service: connection),
                    .init(service: OrderHandler(consumer: consumer, handle: handle)),
                    .init(service: consumer),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: Logger(label: "order-handler")
            )
        )
        // guide:consumer-service end
        return (group, consumer)
    }

    /// A test of a service's code against a broker embedded in the test process.
    static func embeddedBroker() async throws -> Int {
        // guide:embedded begin
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString).path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configuration = BrokerConfiguration(dataDirectory: directory, port: 0)  // port 0: any free port
        let metadata = try await BrokerServer.withServer(configuration: configuration) { broker in
            let address = BrokerAddress(host: "127.0.0.1", port: broker.localPort!)
            return try await BrokerConnection.withConnection(to: address) { connection in
                try await Admin(transport: connection).createTopicIfMissing("orders", partitions: 3)
                return try await Producer.withProducer(transport: connection) { producer in
                    try await producer.send(topic: "orders", key: "order-1", value: "{}")
                }
            }
        }
        // guide:embedded end
        return Int(metadata.offset ?? -1)
    }
}

// guide:order-handler begin
/// Handles each order record until the consumer stops (at the service group's graceful shutdown).
struct OrderHandler: Service {
    let consumer: Consumer
    let handle: @Sendable (ConsumerRecord) async throws -> Void

    func run() async throws {
        for try await record in consumer.records() {
            try await handle(record)
        }
    }
}
// guide:order-handler end
