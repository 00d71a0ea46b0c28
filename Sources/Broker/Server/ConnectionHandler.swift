import BrokerProtocol
import Logging
import NIOCore

/// One client connection: takes frame payloads from the ``FrameDecoder``, serves them through the
/// ``RequestRouter`` (many at a time: responses go out as they complete, matched by correlation id)
/// and writes the responses. A thin shell around ``ConnectionStateMachine``.
///
/// A frame that cannot be parsed (shorter than a request header) or a decoder error (a frame over
/// the limit) gets an error response with correlation id 0, then the connection closes; a body that
/// does not decode gets `malformedRequest` with its correlation id, and the connection closes once
/// the requests in flight are answered. The broker and its other connections carry on.
final class ConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let router: RequestRouter
    private let registry: ConnectionRegistry
    private var logger: Logger
    private var state: ConnectionStateMachine
    private var context: ChannelHandlerContext?

    init(router: RequestRouter, registry: ConnectionRegistry, maxInFlightBytes: Int, logger: Logger) {
        self.router = router
        self.registry = registry
        self.logger = logger
        self.state = ConnectionStateMachine(maxInFlightBytes: maxInFlightBytes)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        logger[metadataKey: "peer"] = "\(context.channel.remoteAddress.map { "\($0)" } ?? "?")"
    }

    func channelActive(context: ChannelHandlerContext) {
        registry.register(context.channel) { [weak self] in
            // Graceful shutdown: finish in-flight requests, then close.
            guard let self, let context = self.context else { return }
            self.perform(self.state.drain(), context: context)
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        state.closed()
        registry.unregister(context.channel)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let payload = unwrapInboundIn(data)
        let bytes = payload.readableBytes
        let frame: RequestFrame
        do {
            frame = try RequestFrame(payload: payload)
        } catch {
            return fail(context: context, BrokerError(error))
        }
        for action in state.requestReceived(bytes: bytes) {
            switch action {
            case .serve: serve(frame, bytes: bytes, context: context)
            case .reject: reject(frame, context: context)
            default: perform(action, context: context)
            }
        }
    }

    private func serve(_ frame: RequestFrame, bytes: Int, context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        router.handle(frame, on: context.eventLoop).whenComplete { result in
            let (handler, context) = loopBound.value
            handler.complete(result, bytes: bytes, context: context)
        }
    }

    /// Answers a request that arrived while the connection drains for a shutdown.
    private func reject(_ frame: RequestFrame, context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: 64)
        ResponseFrame(
            correlationID: frame.header.correlationID,
            error: .shuttingDown,
            message: "the broker is shutting down"
        ).write(into: &buffer)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    private func complete(_ result: Result<ResponseFrame?, any Error>, bytes: Int, context: ChannelHandlerContext) {
        guard state.state != .closed else { return }
        switch result {
        case .success(let response?):
            var buffer = context.channel.allocator.buffer(capacity: response.body.readableBytes + 10)
            response.write(into: &buffer)
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
            if response.errorCode == .malformedRequest {
                // A body that does not decode: the peer's framing or version cannot be trusted.
                // Answer what is in flight, then close.
                perform(state.drain(), context: context)
            }
        case .success(nil):
            break
        case .failure(let error):
            logger.error("request failed", metadata: ["error": "\(error)"])
        }
        perform(state.requestCompleted(bytes: bytes), context: context)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(context: context, BrokerError(error))
    }

    /// Answers a protocol violation with correlation id 0 and closes the connection.
    private func fail(context: ChannelHandlerContext, _ error: BrokerError) {
        guard state.state != .closed else { return }
        logger.info("closing connection after a protocol error", metadata: ["error": "\(error)"])
        state.closed()
        var buffer = context.channel.allocator.buffer(capacity: 64)
        ResponseFrame(correlationID: 0, error: error.code, message: error.message).write(into: &buffer)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in channel.close(promise: nil) }
    }

    private func perform(_ action: ConnectionStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none, .serve, .reject: break
        case .pauseReading: _ = context.channel.setOption(ChannelOptions.autoRead, value: false)
        case .resumeReading: _ = context.channel.setOption(ChannelOptions.autoRead, value: true)
        case .close: context.close(promise: nil)
        }
    }
}

@available(*, unavailable)
extension ConnectionHandler: Sendable {}
