import Broker
import BrokerClient
import Foundation
import Logging
import ServiceLifecycle
import Testing

/// A broker starts once: `start()` then `run()` (a test that needs the port before adding the
/// broker to a `ServiceGroup`) must not open a second listener on the same data directory.
@Suite struct BrokerServerLifecycleTests {
    @Test func runAfterStartServesTheSameListenerAndShutsItDown() async throws {
        let directory = NSTemporaryDirectory() + "sluice-lifecycle-test-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = BrokerServer(configuration: BrokerConfiguration(dataDirectory: directory, port: 0))
        try await server.start()
        let port = try #require(server.localPort)
        try await server.start()
        #expect(server.localPort == port, "a second start() opened a second listener")
        let group = ServiceGroup(services: [server], logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            // Give run() its chance to (wrongly) start a second listener, then look.
            try await BrokerConnection.withConnection(to: BrokerAddress(host: "127.0.0.1", port: port)) {
                _ = try await Admin(transport: $0).listTopics()
            }
            for _ in 0..<50 { await Task.yield() }
            #expect(server.localPort == port, "run() started a second listener")
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        // The one listener is closed.
        var configuration = ConnectionConfiguration()
        configuration.connectAttempts = 1
        let connection = BrokerConnection(
            address: BrokerAddress(host: "127.0.0.1", port: port),
            configuration: configuration
        )
        await #expect(throws: ClientError.self) { try await connection.connect() }
        await connection.close()
        // A stopped broker does not start again.
        await #expect(throws: BrokerError.self) { try await server.start() }
    }
}
