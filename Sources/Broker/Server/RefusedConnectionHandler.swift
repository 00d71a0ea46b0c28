import BrokerProtocol
import NIOCore

/// The whole pipeline of a connection over `maxConnections`: as soon as the channel is active it
/// writes one `limitExceeded` response with correlation id 0, naming the limit, and closes, so the
/// client gets a clear error and the broker keeps no descriptor for it.
final class RefusedConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let maxConnections: Int

    init(maxConnections: Int) {
        self.maxConnections = maxConnections
    }

    func channelActive(context: ChannelHandlerContext) {
        let answer = ResponseFrame(
            correlationID: 0,
            error: .limitExceeded,
            message: "the broker already has maxConnections (\(maxConnections)) connections"
        )
        context.writeAndFlush(wrapOutboundOut(answer.buffer(allocator: context.channel.allocator)), promise: nil)
        context.close(promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Whatever the client sent before it saw the refusal is ignored.
    }
}

@available(*, unavailable)
extension RefusedConnectionHandler: Sendable {}
