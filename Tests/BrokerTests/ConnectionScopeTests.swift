import Broker
import BrokerClient
import BrokerProtocol
import Foundation
import Logging
import ServiceLifecycle
import Testing

/// Who closes what: `withConnection` closes its connection, also when its body throws; a
/// connection in a `ServiceGroup` closes at the group's shutdown; `withServer` shuts its broker
/// down.
@Suite struct ConnectionScopeTests {
    private struct Failure: Error {}

    private func expectClosed(_ connection: BrokerConnection) async {
        do {
            _ = try await connection.send(ListTopicsRequest(), as: ListTopicsResponse.self)
            Issue.record("a request on a closed connection succeeded")
        } catch {
            #expect((error as? ClientError)?.code == .closed, "\(error)")
        }
    }

    @Test func withConnectionClosesTheConnectionWhenItsBodyThrows() async throws {
        try await withBroker { _, port in
            let address = BrokerAddress(host: "127.0.0.1", port: port)
            var escaped: BrokerConnection?
            do {
                try await BrokerConnection.withConnection(to: address) { connection in
                    escaped = connection
                    try await connection.connect()
                    throw Failure()
                }
                Issue.record("the body's error was not rethrown")
            } catch is Failure {}
            await expectClosed(try #require(escaped))
            // And after a body that returns.
            let kept = try await BrokerConnection.withConnection(to: address) { connection in
                _ = try await Admin(transport: connection).listTopics()
                return connection
            }
            await expectClosed(kept)
        }
    }

    @Test func aConnectionInAServiceGroupClosesAtGracefulShutdown() async throws {
        try await withBroker { _, port in
            let connection = BrokerConnection(address: BrokerAddress(host: "127.0.0.1", port: port))
            let group = ServiceGroup(services: [connection], logger: Logger(label: "test"))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                // Usable while the group runs.
                _ = try await Admin(transport: connection).listTopics()
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            await expectClosed(connection)
        }
    }

    @Test func withServerShutsTheBrokerDownWhenItsBodyThrows() async throws {
        let directory = NSTemporaryDirectory() + "sluice-scope-test-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var port: Int?
        do {
            try await BrokerServer.withServer(configuration: BrokerConfiguration(dataDirectory: directory, port: 0)) {
                server in
                port = server.localPort
                try await BrokerConnection.withConnection(to: BrokerAddress(host: "127.0.0.1", port: port!)) {
                    _ = try await Admin(transport: $0).listTopics()
                }
                throw Failure()
            }
        } catch is Failure {}
        // Nothing listens any more.
        var configuration = ConnectionConfiguration()
        configuration.connectAttempts = 1
        let connection = BrokerConnection(
            address: BrokerAddress(host: "127.0.0.1", port: try #require(port)),
            configuration: configuration
        )
        await #expect(throws: ClientError.self) { try await connection.connect() }
        await connection.close()
    }
}
