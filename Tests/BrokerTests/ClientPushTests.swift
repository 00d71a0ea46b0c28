import BrokerProtocol
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

@testable import BrokerClient

/// Frames the broker sends unasked (pushes, correlation id 0xFFFFFFFF) reach the connection's push
/// handler with their session, between ordinary responses; a malformed one closes the connection.
@Suite struct ClientPushTests {
    /// Answers the handshake and then every request with an empty `listTopics` response, sending
    /// `pushes` right after the handshake.
    private final class PushingBroker: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let pushes: [ResponseFrame]
        private let buffered = NIOLockedValueBox(ByteBuffer())

        init(pushes: [ResponseFrame]) { self.pushes = pushes }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var incoming = unwrapInboundIn(data)
            var bytes = buffered.withLockedValue { buffer in
                buffer.writeBuffer(&incoming)
                return buffer
            }
            while let length = bytes.getInteger(at: bytes.readerIndex, as: UInt32.self),
                bytes.readableBytes >= 4 + Int(length)
            {
                bytes.moveReaderIndex(forwardBy: 4)
                guard let frame = try? RequestFrame(payload: bytes.readSlice(length: Int(length))!) else { return }
                var out = context.channel.allocator.buffer(capacity: 256)
                if frame.header.apiKey == .handshake {
                    let handshake = HandshakeResponse(
                        brokerVersion: "pushing",
                        maxFrameBytes: 1 << 20,
                        apis: ProtocolVersions.supported
                    )
                    ResponseFrame(correlationID: frame.header.correlationID, body: handshake.encoded()).write(
                        into: &out
                    )
                    for push in pushes { push.write(into: &out) }
                } else {
                    ResponseFrame(
                        correlationID: frame.header.correlationID,
                        body: ListTopicsResponse(topics: []).encoded()
                    ).write(into: &out)
                }
                context.writeAndFlush(wrapOutboundOut(out), promise: nil)
            }
            buffered.withLockedValue { $0 = bytes }
        }
    }

    private func withPushingBroker<T>(
        pushes: [ResponseFrame],
        _ body: (BrokerConnection) async throws -> T
    )
        async throws -> T
    {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(PushingBroker(pushes: pushes))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        defer { server.close(promise: nil) }
        var configuration = ConnectionConfiguration()
        configuration.connectAttempts = 1
        let connection = BrokerConnection(
            address: BrokerAddress(host: "127.0.0.1", port: try #require(server.localAddress?.port)),
            configuration: configuration
        )
        do {
            let result = try await body(connection)
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error
        }
    }

    @Test func pushesReachTheHandlerWithTheirSessionAndRequestsStillGetTheirAnswers() async throws {
        let pushes = (1...3).map { index in
            PushFrame(apiKey: .deliver, version: 0, body: ByteBuffer(bytes: [UInt8(index)])).responseFrame
        }
        try await withPushingBroker(pushes: pushes) { connection in
            let received = NIOLockedValueBox<[(PushFrame, UInt64)]>([])
            await connection.setPushHandler { push, session in received.withLockedValue { $0.append((push, session)) } }
            _ = try await connection.send(ListTopicsRequest(), as: ListTopicsResponse.self)
            let session = try #require(await connection.sessionID)
            // Bounded wait: the pushes were written before the answer, so they are in by now or soon.
            for _ in 0..<500 where received.withLockedValue({ $0.count }) < 3 {
                try await Task.sleep(for: .milliseconds(10))
            }
            let frames = received.withLockedValue { $0 }
            #expect(frames.map { $0.0.body.getInteger(at: $0.0.body.readerIndex, as: UInt8.self) } == [1, 2, 3])
            #expect(frames.allSatisfy { $0.0.apiKey == .deliver && $0.1 == session })
            _ = try await connection.send(ListTopicsRequest(), as: ListTopicsResponse.self)
        }
    }

    @Test func aMalformedPushClosesTheConnection() async throws {
        // A push frame that carries an error code is not a push a client can trust.
        let bad = ResponseFrame(correlationID: PushFrame.correlationID, error: .unknownServerError, message: "x")
        try await withPushingBroker(pushes: [bad]) { connection in
            do {
                _ = try await connection.send(ListTopicsRequest(), as: ListTopicsResponse.self)
                // The answer may have raced ahead of the close; the connection must still be gone.
                for _ in 0..<500 where await connection.sessionID != nil {
                    try await Task.sleep(for: .milliseconds(10))
                }
                #expect(await connection.sessionID == nil)
            } catch let error as ClientError {
                #expect(error.code == .protocolViolation || error.code == .connectionClosed, "\(error)")
            }
        }
    }
}
