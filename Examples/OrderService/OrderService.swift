import BrokerClient
import Foundation
import Logging
import ServiceLifecycle

// The ServiceGroup example of docs/CLIENT.md, as a program: orders arrive on standard input (one
// order number per line; in a real service, an HTTP handler or an outbox table), each is
// published as an `OrderCreated` event, and SIGTERM or SIGINT (or the end of the input) shuts it
// down gracefully, sending and awaiting every event it accepted. The broker is `$SLUICE_BROKER`
// (default 127.0.0.1:7420). The regions between `guide:NAME` markers are the page's blocks.

// guide:service-publisher begin
/// Publishes an `OrderCreated` event for each order that arrives, until the orders end or the
/// service group shuts down.
struct OrderPublisher: Service {
    let producer: Producer
    let orders: AsyncStream<Int>
    let logger: Logger

    func run() async throws {
        for await orderNumber in orders.cancelOnGracefulShutdown() {
            // enqueue: the producer batches and acknowledges; graceful shutdown awaits what it accepted.
            _ = try await producer.enqueue(
                topic: "orders",
                key: "order-\(orderNumber)",
                value: #"{"type":"OrderCreated","order":\#(orderNumber)}"#
            )
            logger.info("order accepted", metadata: ["order": "\(orderNumber)"])
        }
    }
}
// guide:service-publisher end

@main
struct OrderService {
    static func main() async throws {
        let address = try BrokerAddress.fromEnvironment(ProcessInfo.processInfo.environment)
        let orders = StandardInput.orderNumbers()
        // guide:service begin
        let logger = Logger(label: "order-service")
        let connection = BrokerConnection(address: address, logger: logger)
        let producer = Producer(transport: connection, logger: logger)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    // A group shuts down in reverse order: the publisher stops taking orders, the
                    // producer sends and awaits everything it accepted, then the connection closes.
                    .init(service: connection),
                    .init(service: producer),
                    .init(
                        service: OrderPublisher(producer: producer, orders: orders, logger: logger),
                        successTerminationBehavior: .gracefullyShutdownGroup
                    ),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
        // guide:service end
    }
}

/// Standard input as a stream of order numbers.
enum StandardInput {
    /// One order number per line; lines that are not numbers are skipped. The stream ends with
    /// the input.
    static func orderNumbers() -> AsyncStream<Int> {
        let (orders, continuation) = AsyncStream.makeStream(of: Int.self)
        Thread.detachNewThread {
            while let line = readLine() {
                if let orderNumber = Int(line.trimmingCharacters(in: .whitespaces)) { continuation.yield(orderNumber) }
            }
            continuation.finish()
        }
        return orders
    }
}
