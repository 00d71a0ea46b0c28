import BrokerClient
import BrokerProtocol
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// A client's waits on a real connection end when their task is cancelled, as `CancellationError`,
/// even when the broker never answers.
@Suite struct ClientCancellationTests {
    /// A TCP server on 127.0.0.1 that accepts connections and never answers.
    private func withSilentServer<T>(_ body: (Int) async throws -> T) async throws -> T {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { _ in MultiThreadedEventLoopGroup.singleton.any().makeSucceededVoidFuture() }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        do {
            let result = try await body(try #require(server.localAddress?.port))
            try? await server.close()
            return result
        } catch {
            try? await server.close()
            throw error
        }
    }

    private func connection(_ port: Int) -> BrokerConnection {
        var configuration = ConnectionConfiguration()
        configuration.requestTimeout = .seconds(3600)
        configuration.connectAttempts = 1
        return BrokerConnection(address: BrokerAddress(host: "127.0.0.1", port: port), configuration: configuration)
    }

    /// Waits (boundedly) for `task` to end and returns its error.
    private func error(of task: Task<some Sendable, any Error>) async -> (any Error)? {
        guard case .failure(let error) = await outcome(of: task) else { return nil }
        return error
    }

    @Test func cancellingRequestsWaitingForAnUnansweredHandshakeThrowsCancellationError() async throws {
        try await withSilentServer { port in
            let connection = connection(port)
            // The first request opens the connection and waits for the handshake; the second
            // waits for the first's connection.
            let first = Task { try await connection.send(ListTopicsRequest(), as: ListTopicsResponse.self) }
            try await Task.sleep(for: .milliseconds(50))
            let second = Task { try await connection.send(ListTopicsRequest(), as: ListTopicsResponse.self) }
            try await Task.sleep(for: .milliseconds(50))
            second.cancel()
            #expect(await error(of: second) is CancellationError)
            first.cancel()
            #expect(await error(of: first) is CancellationError)
            await connection.close()
        }
    }

    @Test func cancellingASendOnAProducerWhoseBrokerDoesNotAnswerThrowsCancellationError() async throws {
        try await withSilentServer { port in
            let connection = connection(port)
            var configuration = ProducerConfiguration()
            configuration.linger = .zero
            let producer = Producer(transport: connection, configuration: configuration)
            let run = Task { try await producer.run() }
            let send = Task {
                try await producer.send(topic: "t", value: ByteBuffer(string: "x"), partition: 0)
            }
            try await Task.sleep(for: .milliseconds(100))
            send.cancel()
            #expect(await error(of: send) is CancellationError)
            // Cancelling run() ends it although the broker never answered.
            run.cancel()
            #expect(await outcome(of: run) != nil)
            await connection.close()
        }
    }
}
