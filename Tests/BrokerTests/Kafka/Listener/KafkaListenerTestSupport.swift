import Broker
import BrokerProtocol
import Foundation
import KafkaProtocol
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

/// A broker with its Kafka listener on an ephemeral 127.0.0.1 port; the body gets the server, the
/// native port and the Kafka port.
func withKafkaBroker<T>(
    _ configure: (inout BrokerConfiguration) -> Void = { _ in },
    _ body: (BrokerServer, Int, Int) async throws -> T
) async throws -> T {
    try await withBroker({ configuration in
        configuration.kafkaListener = KafkaListenerConfiguration(host: "127.0.0.1", port: 0)
        configure(&configuration)
    }) { server, port in
        try await body(server, port, try #require(server.kafkaLocalPort))
    }
}

/// Creates a topic through the native protocol.
func createTopic(_ name: String, partitions: Int32, nativePort: Int) async throws {
    let connection = try await TestConnection(port: nativePort)
    let response = try await connection.call(
        CreateTopicRequest(topic: name, partitionCount: partitions),
        as: CreateTopicResponse.self
    )
    #expect(response.result.errorCode == .none)
}

/// A bare Kafka protocol connection built on the KafkaProtocol codecs (what kcat or
/// kafka-python send, without their logic): sends frames, receives response frames IN ORDER.
final class KafkaTestConnection: Sendable {
    let channel: any Channel
    private let inbox: Inbox
    private let nextCorrelationID = NIOLockedValueBox<Int32>(1)

    final class Inbox: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let frames = NIOLockedValueBox<[ByteBuffer]>([])
        let closed = NIOLockedValueBox(false)

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = unwrapInboundIn(data)
            frames.withLockedValue { $0.append(frame) }
        }

        func channelInactive(context: ChannelHandlerContext) {
            closed.withLockedValue { $0 = true }
        }
    }

    init(port: Int) async throws {
        let inbox = Inbox()
        self.inbox = inbox
        channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(
                        ByteToMessageHandler(KafkaFrameDecoder(maxFrameBytes: 64 << 20)),
                        inbox
                    )
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
    }

    deinit { channel.close(promise: nil) }

    var isClosed: Bool { inbox.closed.withLockedValue { $0 } }

    /// Frames received and not yet taken.
    var pendingFrameCount: Int { inbox.frames.withLockedValue { $0.count } }

    /// Sends raw bytes.
    func sendRaw(_ buffer: ByteBuffer) async throws {
        try await channel.writeAndFlush(buffer)
    }

    /// Sends a request without waiting; returns its correlation id.
    @discardableResult
    func send<R: KafkaRequestBody>(
        _ request: R,
        version: Int16,
        clientID: String? = "sluice-test"
    ) async throws
        -> Int32
    {
        let id = nextCorrelationID.withLockedValue { id in
            defer { id += 1 }
            return id
        }
        try await sendRaw(request.encodeFrame(version: version, correlationID: id, clientID: clientID))
        return id
    }

    /// The next response frame in arrival order (without its size), waiting at most
    /// `timeoutSeconds`.
    func nextFrame(timeoutSeconds: Double = 60) async throws -> ByteBuffer {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while Date() < deadline {
            let frame = inbox.frames.withLockedValue { frames in frames.isEmpty ? nil : frames.removeFirst() }
            if let frame { return frame }
            if isClosed { throw TestFailure("connection closed before the next response") }
            try await Task.sleep(for: .milliseconds(2))
        }
        throw TestFailure("no response within \(timeoutSeconds) s")
    }

    /// The next response, checked to answer `correlationID` and decoded as `version`.
    func response<R: KafkaResponseBody>(_ type: R.Type, version: Int16, correlationID: Int32) async throws -> R {
        let (header, body) = try R.decodeFrame(try await nextFrame(), version: version)
        #expect(header.correlationID == correlationID)
        return body
    }

    /// Sends a request and decodes the next response.
    func call<Request: KafkaRequestBody, Response: KafkaResponseBody>(
        _ request: Request,
        version: Int16,
        as type: Response.Type
    ) async throws -> Response {
        let id = try await send(request, version: version)
        return try await response(type, version: version, correlationID: id)
    }

    /// Waits (bounded) until the broker closes the connection.
    func waitUntilClosed(timeoutSeconds: Double = 20) async throws {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while !isClosed {
            guard Date() < deadline else { throw TestFailure("connection still open after \(timeoutSeconds) s") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}
