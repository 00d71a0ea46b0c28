import BrokerClient
import Foundation
import Logging
import Testing

/// Collects the messages logged through it.
private final class CollectingLogHandler: LogHandler, @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [String] = []
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    var messages: [String] { lock.withLock { collected } }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lock.withLock { collected.append("\(event.message)") }
    }
}

/// Every client type that does I/O takes the caller's `Logger` and logs through it.
@Suite("client loggers")
struct ClientLoggerTests {
    @Test("Admin logs topic changes through the logger it was given; every I/O type takes one")
    func adminUsesItsLogger() async throws {
        try await withBroker { _, port in
            let handler = CollectingLogHandler()
            let logger = Logger(label: "test") { _ in handler }
            let connection = BrokerConnection(address: BrokerAddress(host: "127.0.0.1", port: port), logger: logger)
            let admin = Admin(transport: connection, logger: logger)
            try await admin.createTopic("orders", partitions: 3)
            try await admin.deleteTopic("orders")
            #expect(handler.messages.contains("created topic"))
            #expect(handler.messages.contains("deleted topic"))
            // The other I/O types take one too (checked when this compiles).
            _ = Consumer(transport: connection, topic: "orders", logger: logger)
            _ = Producer(transport: connection, logger: logger)
            await connection.close()
        }
    }
}
