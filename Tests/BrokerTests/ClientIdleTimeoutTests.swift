import BrokerClient
import BrokerProtocol
import Foundation
import Testing

@testable import Broker

/// The client closes a connection it has not used for `ConnectionConfiguration.idleTimeout`, before
/// the broker's own idle timeout can close it under a request being written (as Kafka's clients do).
@Suite("client idle timeout")
struct ClientIdleTimeoutTests {
    @Test("an idle client connection is closed by the client, and the next request reconnects")
    func clientClosesIdleConnection() async throws {
        try await withBroker { server, port in
            var configuration = ConnectionConfiguration()
            // Long enough that, on a loaded machine, the next request is written before the client
            // closes its fresh connection again (a request that loses that race is sent again, twice).
            configuration.idleTimeout = .seconds(1)
            let client = BrokerConnection(
                address: BrokerAddress(host: "127.0.0.1", port: port),
                configuration: configuration
            )
            try await client.connect()
            // The broker's idle timeout is 10 minutes: only the client can close it this soon.
            try await waitUntil { server.openConnections.isEmpty }
            let topics = try await client.send(ListTopicsRequest(), as: ListTopicsResponse.self, timeout: .seconds(10))
            #expect(topics.topics.isEmpty)
            await client.close()
        }
    }

    @Test("a request waiting for its answer is not cut off by the client's idle timeout")
    func pendingRequestKeepsConnection() async throws {
        try await withBroker { server, port in
            // The topic is made on a connection of its own: on a loaded machine, more than the
            // short idle timeout could pass between its answer and the fetch.
            try await BrokerConnection.withConnection(to: BrokerAddress(host: "127.0.0.1", port: port)) {
                try await Admin(transport: $0).createTopic("idle", partitions: 1)
            }
            var configuration = ConnectionConfiguration()
            // Short against the long poll below, long enough that a loaded machine writes the fetch
            // before it passes once the handshake is done.
            configuration.idleTimeout = .seconds(1)
            let client = BrokerConnection(
                address: BrokerAddress(host: "127.0.0.1", port: port),
                configuration: configuration
            )
            // A long poll on an empty partition waits 3 s with nothing on the wire: three idle periods.
            let response = try await client.send(
                FetchRequest(
                    maxWaitMilliseconds: 3000,
                    minBytes: 1,
                    maxBytes: 1 << 20,
                    topics: [.init(topic: "idle", partitions: [.init(partition: 0, offset: 0, maxBytes: 1 << 20)])]
                ),
                as: FetchResponse.self,
                timeout: .seconds(10)
            )
            #expect(response.topics.first?.partitions.first?.errorCode == ErrorCode.none)
            await client.close()
        }
    }
}
