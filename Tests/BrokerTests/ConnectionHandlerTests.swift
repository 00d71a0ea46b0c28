import BrokerProtocol
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import Testing

@testable import Broker

/// A request server whose answers the test gives by hand.
private final class ManualServer: RequestServing, @unchecked Sendable {
    var served: [(frame: RequestFrame, promise: EventLoopPromise<ResponseFrame?>)] = []
    var reservationBytes = 0
    /// The connection the last request came from.
    var outlet: PushOutlet?

    func handle(
        _ frame: RequestFrame,
        from connection: PushOutlet,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<ResponseFrame?> {
        let promise = eventLoop.makePromise(of: ResponseFrame?.self)
        served.append((frame, promise))
        outlet = connection
        return promise.futureResult
    }

    func reservation(for frame: RequestFrame, bytes: Int) -> Int { bytes + reservationBytes }

    /// Answers the `index`th served request with a body of `bodyBytes`.
    func answer(_ index: Int, bodyBytes: Int = 4) {
        let (frame, promise) = served[index]
        promise.succeed(
            ResponseFrame(correlationID: frame.header.correlationID, body: ByteBuffer(repeating: 7, count: bodyBytes))
        )
    }
}

/// Counts the `read()`s that reach the head of the pipeline.
private final class ReadCounter: ChannelOutboundHandler, @unchecked Sendable {
    typealias OutboundIn = ByteBuffer
    var reads = 0
    func read(context: ChannelHandlerContext) {
        reads += 1
        context.read()
    }
}

@Suite("ConnectionHandler on an EmbeddedChannel")
struct ConnectionHandlerTests {
    static let timeouts = ConnectionHandler.Timeouts(idle: .seconds(60), frame: .seconds(5))

    private static func setUp(
        maxInFlightBytes: Int = 1000,
        maxFrameBytes: Int = 1 << 20
    ) throws -> (EmbeddedChannel, ManualServer, ReadCounter) {
        let server = ManualServer()
        let counter = ReadCounter()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(counter)
        try channel.pipeline.syncOperations.addHandler(
            ConnectionHandler(
                server: server,
                registry: ConnectionRegistry(),
                limits: .init(maxInFlightBytes: maxInFlightBytes, maxInFlightRequests: 8),
                maxFrameBytes: maxFrameBytes,
                timeouts: timeouts,
                logger: Logger(label: "test")
            )
        )
        try channel.connect(to: .init(ipAddress: "127.0.0.1", port: 1)).wait()
        return (channel, server, counter)
    }

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

    @Test("frames split anywhere are served; responses go out as they complete")
    func servesSplitFrames() throws {
        let (channel, server, _) = try Self.setUp()
        var bytes = Self.frame(1)
        var second = Self.frame(2)
        bytes.writeBuffer(&second)
        while bytes.readableBytes > 0 {
            try channel.writeInbound(bytes.readSlice(length: min(3, bytes.readableBytes))!)
        }
        #expect(server.served.map(\.frame.header.correlationID) == [1, 2])
        server.answer(1)
        server.answer(0)
        #expect(try Self.responses(channel).map(\.correlationID) == [2, 1])
    }

    @Test("after a malformed request, requests that arrive while the connection drains are answered malformedRequest")
    func malformedRequestDrain() throws {
        let (channel, server, _) = try Self.setUp()
        try channel.writeInbound(Self.frame(1))
        try channel.writeInbound(Self.frame(2))
        #expect(server.served.count == 2)
        let (frame, promise) = server.served[0]
        promise.succeed(
            ResponseFrame(correlationID: frame.header.correlationID, error: .malformedRequest, message: "bad body")
        )
        // Request 2 is still in flight, so the connection is open and draining: 3 is not served.
        try channel.writeInbound(Self.frame(3))
        #expect(server.served.count == 2)
        server.answer(1)
        let answers = try Self.responses(channel)
        #expect(answers.map(\.correlationID) == [1, 3, 2])
        #expect(answers[1].errorCode == .malformedRequest)
        #expect(answers[1].errorMessage?.contains("shutting down") == false)
    }

    @Test("over the in-flight limit, requests wait and read() is held back until responses are written")
    func holdsBackRead() throws {
        let (channel, server, counter) = try Self.setUp(maxInFlightBytes: 1000)
        server.reservationBytes = 600
        try channel.writeInbound(Self.frame(1))
        try channel.writeInbound(Self.frame(2))
        #expect(server.served.count == 1, "the second request's reservation does not fit")
        let before = counter.reads
        channel.read()
        #expect(counter.reads == before, "read() held back while a request waits")
        server.answer(0)
        #expect(server.served.count == 2, "the first response was written: the second is served")
        #expect(counter.reads == before + 1, "the held read() goes through")
        server.answer(1)
        #expect(try Self.responses(channel).map(\.correlationID) == [1, 2])
    }

    @Test("an unwritable channel holds back serving and reading")
    func followsWritability() throws {
        let (channel, server, counter) = try Self.setUp()
        channel.isWritable = false
        channel.pipeline.fireChannelWritabilityChanged()
        try channel.writeInbound(Self.frame(1))
        channel.read()
        let reads = counter.reads
        #expect(server.served.isEmpty)
        channel.isWritable = true
        channel.pipeline.fireChannelWritabilityChanged()
        #expect(server.served.count == 1)
        #expect(counter.reads == reads + 1)
    }

    @Test("an unfinished frame is answered requestTimedOut after the frame timeout, and the channel closes")
    func frameTimeout() throws {
        let (channel, _, _) = try Self.setUp()
        try channel.writeInbound(ByteBuffer(bytes: [0, 0, 1, 0, 9, 9]))
        channel.embeddedEventLoop.advanceTime(by: .seconds(4))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(try Self.responses(channel).map(\.errorCode) == [.requestTimedOut])
        #expect(!channel.isActive)
    }

    @Test("an idle connection is closed after the idle timeout; a request in flight is not idle")
    func idleTimeout() throws {
        let (channel, server, _) = try Self.setUp()
        try channel.writeInbound(Self.frame(1))
        channel.embeddedEventLoop.advanceTime(by: .seconds(120))
        #expect(channel.isActive, "a request is in flight")
        server.answer(0)
        channel.embeddedEventLoop.advanceTime(by: .seconds(59))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive)
    }

    @Test("a frame over the limit is answered frameTooLarge with correlation id 0, then closed")
    func frameTooLarge() throws {
        let (channel, server, _) = try Self.setUp(maxFrameBytes: 100)
        _ = try? channel.writeInbound(ByteBuffer(bytes: [0, 0, 0, 101]))
        #expect(try Self.responses(channel).map(\.errorCode) == [.frameTooLarge])
        #expect(!channel.isActive)
        #expect(server.served.isEmpty)
    }

    // MARK: Pushes

    private static func push(_ index: UInt8, bytes: Int = 4) -> ResponseFrame {
        ResponseFrame(correlationID: 0xFFFF_FFFF, body: ByteBuffer(repeating: index, count: bytes))
    }

    @Test("pushes reach the client between responses, from the connection's PushOutlet")
    func pushesGoOut() throws {
        let (channel, server, _) = try Self.setUp()
        try channel.writeInbound(Self.frame(1))
        let outlet = try #require(server.outlet)
        outlet.push(Self.push(1))
        channel.embeddedEventLoop.run()
        server.answer(0)
        outlet.push(Self.push(2))
        channel.embeddedEventLoop.run()
        let frames = try Self.responses(channel)
        #expect(frames.map(\.correlationID) == [0xFFFF_FFFF, 1, 0xFFFF_FFFF])
        #expect(frames[0].body.getInteger(at: frames[0].body.readerIndex, as: UInt8.self) == 1)
        #expect(frames[2].body.getInteger(at: frames[2].body.readerIndex, as: UInt8.self) == 2)
        #expect(outlet.isWritable && !outlet.isClosed)
    }

    @Test("pushes do not count against the in-flight limit: requests keep being served")
    func pushesDoNotHoldBackRequests() throws {
        let (channel, server, counter) = try Self.setUp(maxInFlightBytes: 1000)
        try channel.writeInbound(Self.frame(1))
        server.answer(0)
        let outlet = try #require(server.outlet)
        for index in 0..<10 { outlet.push(Self.push(UInt8(index), bytes: 500)) }
        channel.embeddedEventLoop.run()
        let readsBefore = counter.reads
        try channel.writeInbound(Self.frame(2))
        #expect(server.served.count == 2, "a request was held back by pushes")
        #expect(counter.reads >= readsBefore)
        #expect(try Self.responses(channel).filter { $0.correlationID == 0xFFFF_FFFF }.count == 10)
    }

    @Test("the outlet follows the channel's writability and calls back when it is writable again")
    func outletWritability() throws {
        let (channel, server, _) = try Self.setUp()
        try channel.writeInbound(Self.frame(1))
        let outlet = try #require(server.outlet)
        channel.isWritable = false
        channel.pipeline.fireChannelWritabilityChanged()
        #expect(!outlet.isWritable)
        let calls = NIOLockedValueBox(0)
        outlet.whenWritable { calls.withLockedValue { $0 += 1 } }
        #expect(calls.withLockedValue { $0 } == 0)
        channel.isWritable = true
        channel.pipeline.fireChannelWritabilityChanged()
        #expect(outlet.isWritable)
        #expect(calls.withLockedValue { $0 } == 1)
        channel.isWritable = false
        channel.pipeline.fireChannelWritabilityChanged()
        channel.isWritable = true
        channel.pipeline.fireChannelWritabilityChanged()
        #expect(calls.withLockedValue { $0 } == 1, "a callback runs once")
    }

    @Test("when the connection closes, close callbacks run once and later pushes are dropped")
    func closeCallbacks() throws {
        let (channel, server, _) = try Self.setUp()
        try channel.writeInbound(Self.frame(1))
        let outlet = try #require(server.outlet)
        let calls = NIOLockedValueBox(0)
        outlet.onClose { calls.withLockedValue { $0 += 1 } }
        outlet.whenWritable { calls.withLockedValue { $0 += 10 } }  // writable now: runs at once
        #expect(calls.withLockedValue { $0 } == 10)
        _ = try? channel.finish()
        #expect(calls.withLockedValue { $0 } == 11)
        #expect(outlet.isClosed && !outlet.isWritable)
        outlet.push(Self.push(9))
        channel.embeddedEventLoop.run()
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        // Registered after the close: runs at once.
        outlet.onClose { calls.withLockedValue { $0 += 100 } }
        #expect(calls.withLockedValue { $0 } == 111)
    }
}
