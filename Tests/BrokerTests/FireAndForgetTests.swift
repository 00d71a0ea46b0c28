import BrokerProtocol
import NIOCore
import NIOPosix
import RecordCodec
import Synchronization
import Testing

@testable import BrokerClient

/// A request the broker does not answer (acks `none`) waits only for the socket to take it; a
/// broker that stops reading must not hold that wait forever: it ends by cancellation, by the
/// request timeout, or by the producer's close timeout.
@Suite struct FireAndForgetTests {
    /// Answers the handshake, then never reads again: the client's writes pile up in the socket
    /// buffers until they are full.
    private final class HandshakeThenDeafHandler: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var bytes = unwrapInboundIn(data)
            // The handshake is small and arrives whole on 127.0.0.1.
            guard let length = bytes.readInteger(as: UInt32.self), let payload = bytes.readSlice(length: Int(length)),
                let frame = try? RequestFrame(payload: payload)
            else { return }
            let handshake = HandshakeResponse(
                brokerVersion: "deaf",
                maxFrameBytes: 64 << 20,
                apis: ProtocolVersions.supported
            )
            var response = context.channel.allocator.buffer(capacity: 256)
            ResponseFrame(correlationID: frame.header.correlationID, body: handshake.encoded()).write(into: &response)
            context.writeAndFlush(wrapOutboundOut(response), promise: nil)
            context.channel.setOption(.autoRead, value: false).whenComplete { _ in }
        }
    }

    private func withDeafBroker<T>(_ body: (Int) async throws -> T) async throws -> T {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.so_rcvbuf), value: 64 << 10)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(HandshakeThenDeafHandler())
                }
            }
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

    /// A produce request with acks `none` far larger than the socket buffers.
    private static func largeRequest() -> ProduceRequest {
        var records = ByteBuffer()
        let value = ByteBuffer(repeating: 0x61, count: 1 << 20)
        RecordBatch.write(
            records: (0..<24).map { _ in Record(key: nil, value: value, timestamp: 0) },
            into: &records
        )
        return ProduceRequest(acks: .none, topic: "t", partitions: [.init(partition: 0, records: records)])
    }

    /// A producer with acks `none` whose 24 one-MiB records go out as one large batch.
    private static func fireAndForgetProducer(_ connection: BrokerConnection) -> Producer {
        var configuration = ProducerConfiguration()
        configuration.acks = .none
        configuration.isIdempotent = false
        configuration.linger = .zero
        configuration.batchBytes = 32 << 20
        return Producer(transport: connection, configuration: configuration)
    }

    private func connection(port: Int, requestTimeout: Duration = .seconds(3600)) -> BrokerConnection {
        var configuration = ConnectionConfiguration()
        configuration.requestTimeout = requestTimeout
        configuration.connectAttempts = 1
        return BrokerConnection(address: BrokerAddress(host: "127.0.0.1", port: port), configuration: configuration)
    }

    @Test func cancellingAWriteTheBrokerDoesNotTakeThrowsCancellationError() async throws {
        try await withDeafBroker { port in
            let connection = connection(port: port)
            let send = Task { try await connection.sendWithoutResponse(Self.largeRequest()) }
            try await Task.sleep(for: .milliseconds(300))
            send.cancel()
            guard case .failure(let error) = await outcome(of: send) else {
                Issue.record("the write of 24 MiB to a broker that does not read succeeded")
                return
            }
            #expect(error is CancellationError, "\(error)")
            await connection.close()
        }
    }

    @Test func aWriteTheBrokerDoesNotTakeEndsAfterTheRequestTimeout() async throws {
        try await withDeafBroker { port in
            let connection = connection(port: port, requestTimeout: .milliseconds(500))
            let send = Task { try await connection.sendWithoutResponse(Self.largeRequest()) }
            guard case .failure(let error) = await outcome(of: send) else {
                Issue.record("the write of 24 MiB to a broker that does not read succeeded")
                return
            }
            #expect((error as? ClientError)?.code == .timedOut, "\(error)")
            await connection.close()
        }
    }

    @Test func cancellingRunEndsAProducerWhoseFireAndForgetBatchTheBrokerDoesNotTake() async throws {
        try await withDeafBroker { port in
            let connection = connection(port: port)
            let producer = Self.fireAndForgetProducer(connection)
            let run = Task { try await producer.run() }
            let value = [UInt8](repeating: 0x61, count: 1 << 20)
            let send = Task {
                var pending: [PendingRecord] = []
                for _ in 0..<24 { pending.append(try await producer.enqueue(topic: "t", value: value, partition: 0)) }
                for record in pending { _ = try await record.metadata() }
            }
            try await Task.sleep(for: .milliseconds(500))
            run.cancel()
            #expect(await outcome(of: run) != nil)
            // The records not taken by the socket fail instead of waiting.
            guard case .failure(let error) = await outcome(of: send) else {
                Issue.record("the records were acknowledged by a broker that does not read")
                return
            }
            #expect((error as? ClientError)?.code == .closed, "\(error)")
            await connection.close()
        }
    }

    @Test func closeWithATimeoutFailsWhatTheBrokerDidNotTakeAndEndsRun() async throws {
        try await withDeafBroker { port in
            let connection = connection(port: port)
            let producer = Self.fireAndForgetProducer(connection)
            let run = Task { try await producer.run() }
            // close() before run() starts fails the records as notRunning: wait for it (bounded).
            for _ in 0..<2000 where await !producer.isRunning { try await Task.sleep(for: .milliseconds(10)) }
            let value = [UInt8](repeating: 0x61, count: 1 << 20)
            var pending: [PendingRecord] = []
            for _ in 0..<24 { pending.append(try await producer.enqueue(topic: "t", value: value, partition: 0)) }
            await producer.close(timeout: .milliseconds(300))
            #expect(await outcome(of: run) != nil)
            // With linger zero the first records may go out in a batch of their own before the
            // rest is enqueued, and the socket buffers (a few MiB) may take it: only the last
            // records cannot have been taken by a broker that reads nothing of 24 MiB.
            do {
                _ = try await pending[pending.count - 1].metadata()
                Issue.record("the last record was acknowledged by a broker that does not read")
            } catch let error as ClientError {
                #expect(error.code == .timedOut, "\(error)")
            }
            await connection.close()
        }
    }
}
