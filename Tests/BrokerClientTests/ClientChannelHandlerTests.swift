import BrokerProtocol
import NIOCore
import NIOEmbedded
import Testing

@testable import BrokerClient

@Suite struct ClientChannelHandlerTests {
    private func makeChannel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder()))
        try channel.pipeline.syncOperations.addHandler(ClientChannelHandler(peer: "127.0.0.1:7420"))
        return channel
    }

    private func request(_ message: some WireMessage, promise: EventLoopPromise<ResponseFrame>?) -> ClientRequest {
        ClientRequest(
            apiKey: type(of: message).apiKey,
            apiVersion: 0,
            body: message.encoded(),
            responsePromise: promise,
            timeout: nil
        )
    }

    private func readRequestFrame(_ channel: EmbeddedChannel) throws -> RequestFrame? {
        guard var bytes = try channel.readOutbound(as: ByteBuffer.self) else { return nil }
        let length = bytes.readInteger(as: UInt32.self)!
        #expect(Int(length) == bytes.readableBytes)
        return try RequestFrame(payload: bytes)
    }

    private func responseBytes(_ frame: ResponseFrame) -> ByteBuffer {
        var buffer = ByteBuffer()
        frame.write(into: &buffer)
        return buffer
    }

    @Test func framesRequestsAndMatchesOutOfOrderResponses() throws {
        let channel = try makeChannel()
        let first = channel.eventLoop.makePromise(of: ResponseFrame.self)
        let second = channel.eventLoop.makePromise(of: ResponseFrame.self)
        try channel.writeOutbound(request(DescribeTopicRequest(topic: "a"), promise: first))
        try channel.writeOutbound(request(ListTopicsRequest(), promise: second))
        let frameA = try #require(try readRequestFrame(channel))
        let frameB = try #require(try readRequestFrame(channel))
        #expect(frameA.header.apiKey == .describeTopic)
        #expect(try DescribeTopicRequest.decode(frameA.body).topic == "a")
        #expect(frameB.header.apiKey == .listTopics)
        #expect(frameA.header.correlationID != frameB.header.correlationID)

        // Both responses in one read, second first.
        var both = responseBytes(
            ResponseFrame(correlationID: frameB.header.correlationID, body: ByteBuffer(string: "B"))
        )
        var second2 = responseBytes(
            ResponseFrame(correlationID: frameA.header.correlationID, body: ByteBuffer(string: "A"))
        )
        both.writeBuffer(&second2)
        try channel.writeInbound(both)
        #expect(String(buffer: try first.futureResult.wait().body) == "A")
        #expect(String(buffer: try second.futureResult.wait().body) == "B")
        #expect(try channel.finish().isClean)
    }

    @Test func errorResponsesAreDeliveredWithTheirCode() throws {
        let channel = try makeChannel()
        let promise = channel.eventLoop.makePromise(of: ResponseFrame.self)
        try channel.writeOutbound(request(ListTopicsRequest(), promise: promise))
        let frame = try #require(try readRequestFrame(channel))
        try channel.writeInbound(
            responseBytes(
                ResponseFrame(correlationID: frame.header.correlationID, error: .unsupportedAPI, message: "no such API")
            )
        )
        let response = try promise.futureResult.wait()
        #expect(response.errorCode == .unsupportedAPI)
        #expect(response.errorMessage == "no such API")
        #expect(try channel.finish().isClean)
    }

    @Test func connectionLossFailsEveryWaitingRequest() throws {
        let channel = try makeChannel()
        let promises = (0..<3).map { _ in channel.eventLoop.makePromise(of: ResponseFrame.self) }
        for promise in promises { try channel.writeOutbound(request(ListTopicsRequest(), promise: promise)) }
        _ = try channel.finish()
        for promise in promises {
            #expect {
                try promise.futureResult.wait()
            } throws: { error in
                (error as? ClientError)?.code == .connectionClosed
            }
        }
    }

    @Test func aResponseNobodyWaitsForClosesTheConnection() throws {
        let channel = try makeChannel()
        let promise = channel.eventLoop.makePromise(of: ResponseFrame.self)
        try channel.writeOutbound(request(ListTopicsRequest(), promise: promise))
        _ = try readRequestFrame(channel)
        try channel.writeInbound(responseBytes(ResponseFrame(correlationID: 4242, body: ByteBuffer())))
        #expect(throws: ClientError.self) { try promise.futureResult.wait() }
        #expect(!channel.isActive)
    }

    @Test func requestsWithoutAResponseAreWrittenButNotAwaited() throws {
        let channel = try makeChannel()
        let produce = ProduceRequest(acks: .none, topic: "t", partitions: [])
        try channel.writeOutbound(request(produce, promise: nil))
        let frame = try #require(try readRequestFrame(channel))
        #expect(frame.header.apiKey == .produce)
        #expect(try channel.finish().isClean)
    }

    @Test func aTimedOutRequestFailsAndClosesTheConnection() throws {
        let channel = try makeChannel()
        let slow = channel.eventLoop.makePromise(of: ResponseFrame.self)
        let other = channel.eventLoop.makePromise(of: ResponseFrame.self)
        var timed = request(ListTopicsRequest(), promise: slow)
        timed.timeout = .seconds(1)
        try channel.writeOutbound(timed)
        try channel.writeOutbound(request(ListTopicsRequest(), promise: other))
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect { try slow.futureResult.wait() } throws: { ($0 as? ClientError)?.code == .timedOut }
        #expect { try other.futureResult.wait() } throws: { ($0 as? ClientError)?.code == .connectionClosed }
        #expect(!channel.isActive)
    }
}
