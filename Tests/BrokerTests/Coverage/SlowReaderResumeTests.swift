import BrokerProtocol
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

@testable import Broker

/// Collects the response frames a raw client receives.
private final class ResponseCollector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    private let state = NIOLockedValueBox<(pending: ByteBuffer, frames: [ResponseFrame], failure: String?)>(
        (ByteBuffer(), [], nil)
    )

    var frames: [ResponseFrame] { state.withLockedValue { $0.frames } }
    var failure: String? { state.withLockedValue { $0.failure } }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        state.withLockedValue { state in
            state.pending.writeBuffer(&bytes)
            while let length = state.pending.getInteger(at: state.pending.readerIndex, as: UInt32.self),
                state.pending.readableBytes >= 4 + Int(length)
            {
                state.pending.moveReaderIndex(forwardBy: 4)
                let payload = state.pending.readSlice(length: Int(length))!
                do {
                    state.frames.append(try ResponseFrame(payload: payload))
                } catch {
                    state.failure = "\(error)"
                }
            }
            state.pending.discardReadBytes()
        }
    }
}

/// A client that stops reading and then reads again: the broker pauses the connection (stops
/// reading from it, holds its responses) and resumes it, and every pipelined request is answered
/// in order, none lost or duplicated.
@Suite("A slow reader paused and resumed")
struct SlowReaderResumeTests {
    static let requests = 300

    @Test("a client that reads again after the broker paused it gets every response in order")
    func pausedThenResumed() async throws {
        try await withBroker(BackPressureTests.configure) { server, port in
            let other = try await TestConnection(port: port)
            try await BackPressureTests.fill(other, topic: "data")

            let collector = ResponseCollector()
            let client = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelOption(ChannelOptions.autoRead, value: false)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
                }
                .connect(host: "127.0.0.1", port: port)
                .get()
            var frames = ByteBuffer()
            for id in 1...Self.requests {
                var frame = BackPressureTests.fetchFrame(topic: "data", correlationID: UInt32(id))
                frames.writeBuffer(&frame)
            }
            client.writeAndFlush(frames, promise: nil)
            let clientPort = try #require(client.localAddress?.port)

            // The pause: the broker holds back reading and has responses it cannot write.
            var load: ConnectionLoad?
            try await waitUntil(timeoutSeconds: 60) {
                load = server.connectionLoad(peerPort: clientPort)
                guard let snapshot = load?.snapshot else { return false }
                return snapshot.isReadHeld && snapshot.unwrittenBytes > 0
            }
            #expect(collector.frames.isEmpty, "the client has read nothing yet")

            // The resume: the client reads; every response arrives, in order.
            try await client.setOption(ChannelOptions.autoRead, value: true).get()
            client.read()
            try await waitUntil(timeoutSeconds: 120) {
                collector.frames.count >= Self.requests || collector.failure != nil
            }
            #expect(collector.failure == nil, "\(collector.failure ?? "")")
            let received = collector.frames
            #expect(received.map(\.correlationID) == (1...Self.requests).map(UInt32.init))
            for frame in received {
                var body = frame.body
                let response = try FetchResponse(decoding: &body)
                let partition = try #require(response.topics.first?.partitions.first)
                #expect(partition.errorCode == .none, "\(frame.correlationID): \(partition.errorCode)")
                #expect(partition.records.readableBytes > 0, "\(frame.correlationID) carries records")
            }
            // Nothing is held any more: the connection is an ordinary idle one again.
            try await waitUntil(timeoutSeconds: 60) {
                let snapshot = load!.snapshot
                return !snapshot.isReadHeld && snapshot.inFlightBytes == 0 && snapshot.unwrittenBytes == 0
            }
            let listed = try await other.call(ListTopicsRequest(), as: ListTopicsResponse.self)
            #expect(listed.topics.count == 1)
            try await client.close()
        }
    }
}
