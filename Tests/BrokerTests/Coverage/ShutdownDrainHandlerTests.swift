import BrokerProtocol
import Logging
import NIOCore
import NIOEmbedded
import Testing

@testable import Broker

/// A request server that keeps every request in flight until the test answers it.
private final class HeldServer: RequestServing, @unchecked Sendable {
    var served: [(frame: RequestFrame, promise: EventLoopPromise<ResponseFrame?>)] = []
    var reservationBytes = 0

    func handle(
        _ frame: RequestFrame,
        from connection: PushOutlet,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<ResponseFrame?> {
        let promise = eventLoop.makePromise(of: ResponseFrame?.self)
        served.append((frame, promise))
        return promise.futureResult
    }

    func reservation(for frame: RequestFrame, bytes: Int) -> Int { bytes + reservationBytes }

    func answer(_ index: Int) {
        let (frame, promise) = served[index]
        promise.succeed(
            ResponseFrame(correlationID: frame.header.correlationID, body: ByteBuffer(bytes: [1, 2, 3, 4]))
        )
    }
}

/// The broker's graceful shutdown as one connection sees it (``ConnectionRegistry/drainAll()``):
/// requests in flight are answered, requests that wait or arrive meanwhile are answered
/// `shuttingDown` without being served, and the connection closes once nothing is in flight.
@Suite("A connection draining for shutdown")
struct ShutdownDrainHandlerTests {
    private static func setUp(maxInFlightBytes: Int) throws -> (EmbeddedChannel, HeldServer, ConnectionRegistry) {
        let server = HeldServer()
        let registry = ConnectionRegistry()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(
            ConnectionHandler(
                server: server,
                registry: registry,
                limits: .init(maxInFlightBytes: maxInFlightBytes, maxInFlightRequests: 8),
                maxFrameBytes: 1 << 20,
                timeouts: .init(idle: .seconds(60), frame: .seconds(5)),
                logger: Logger(label: "test")
            )
        )
        try channel.connect(to: .init(ipAddress: "127.0.0.1", port: 1)).wait()
        return (channel, server, registry)
    }

    @Test("requests waiting or arriving while the broker drains are answered shuttingDown; in-flight ones finish")
    func requestsDuringDrain() throws {
        let (channel, server, registry) = try Self.setUp(maxInFlightBytes: 1000)
        server.reservationBytes = 600
        try channel.writeInbound(ConnectionHandlerTestsFrames.frame(1))
        try channel.writeInbound(ConnectionHandlerTestsFrames.frame(2))
        #expect(server.served.count == 1, "request 2 waits: its reservation does not fit beside 1's")
        #expect(registry.count == 1)

        registry.drainAll()
        channel.embeddedEventLoop.run()
        try channel.writeInbound(ConnectionHandlerTestsFrames.frame(3))
        #expect(server.served.count == 1, "nothing is served once the connection drains")
        let rejected = try ConnectionHandlerTestsFrames.responses(channel)
        #expect(rejected.map(\.correlationID) == [2, 3])
        #expect(rejected.map(\.errorCode) == [.shuttingDown, .shuttingDown])
        #expect(rejected.allSatisfy { $0.errorMessage == "the broker is shutting down" }, "\(rejected)")
        #expect(channel.isActive, "request 1 is still in flight: the connection stays open for its answer")

        server.answer(0)
        channel.embeddedEventLoop.run()
        #expect(try ConnectionHandlerTestsFrames.responses(channel).map(\.correlationID) == [1])
        #expect(!channel.isActive, "nothing left in flight: the drained connection closes")
        #expect(registry.count == 0)
    }

    @Test("an idle connection closes as soon as the broker drains")
    func idleConnectionCloses() throws {
        let (channel, _, registry) = try Self.setUp(maxInFlightBytes: 1000)
        #expect(channel.isActive)
        registry.drainAll()
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive)
    }
}

/// Request frames and response parsing for the connection tests of this folder.
enum ConnectionHandlerTestsFrames {
    static func frame(_ correlationID: UInt32) -> ByteBuffer {
        var buffer = ByteBuffer()
        RequestFrame(
            header: RequestHeader(apiKey: .listTopics, apiVersion: 0, correlationID: correlationID),
            body: ListTopicsRequest().encoded()
        ).write(into: &buffer)
        return buffer
    }

    static func responses(_ channel: EmbeddedChannel) throws -> [ResponseFrame] {
        var frames: [ResponseFrame] = []
        while var buffer = try channel.readOutbound(as: ByteBuffer.self) {
            while let length = buffer.readInteger(as: UInt32.self), let payload = buffer.readSlice(length: Int(length))
            {
                frames.append(try ResponseFrame(payload: payload))
            }
        }
        return frames
    }
}
