import BrokerProtocol
import Logging
import NIOCore
import Synchronization

/// One client connection: splits the byte stream into frames (``FrameDecoder``), serves requests
/// through a ``RequestServing`` (many at a time: responses go out as they complete, matched by
/// correlation id) and writes the responses. A thin shell around ``ConnectionStateMachine``: it
/// feeds it events and carries out its actions.
///
/// Back-pressure uses NIO's own pieces: the handler holds back `read()` while the state machine
/// says so, counts a response as in flight until its write promise completes, and follows the
/// channel's writability (set by the `WriteBufferWaterMark` the server configures).
///
/// A frame that cannot be parsed (shorter than a request header), a frame over the limit, or a
/// frame not finished within the frame timeout gets an error response with correlation id 0, then
/// the connection closes; a body that does not decode gets `malformedRequest` with its correlation
/// id, and the connection closes once the requests in flight are answered. A connection idle for
/// the idle timeout is closed. The broker and its other connections carry on.
final class ConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// The connection timeouts.
    struct Timeouts {
        var idle: TimeAmount
        var frame: TimeAmount
    }

    typealias StateMachine = ConnectionStateMachine<RequestFrame>

    private let server: any RequestServing
    private let registry: ConnectionRegistry
    private let load = ConnectionLoad()
    private let timeouts: Timeouts
    private let decoder: NIOSingleStepByteToMessageProcessor<FrameDecoder>
    private var logger: Logger
    private var state: StateMachine
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?
    /// Where the broker's pushes to this connection come in; set once the handler is added.
    private var outlet: PushOutlet?
    /// Bytes of pushes the socket has not taken yet (published in ``ConnectionLoad``).
    private var unwrittenPushBytes = 0

    init(
        server: any RequestServing,
        registry: ConnectionRegistry,
        limits: StateMachine.Limits,
        maxFrameBytes: Int,
        timeouts: Timeouts,
        logger: Logger
    ) {
        self.server = server
        self.registry = registry
        self.timeouts = timeouts
        self.logger = logger
        self.decoder = NIOSingleStepByteToMessageProcessor(FrameDecoder(maxFrameBytes: maxFrameBytes))
        self.state = StateMachine(limits: limits)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        logger[metadataKey: "peer"] = "\(context.channel.remoteAddress.map { "\($0)" } ?? "?")"
        let outlet = PushOutlet(
            connectionID: Self.nextConnectionID.wrappingAdd(1, ordering: .relaxed).newValue,
            eventLoop: context.eventLoop,
            peer: context.channel.remoteAddress.map { address in
                "\(address.ipAddress ?? "?"):\(address.port ?? 0)"
            } ?? "?"
        )
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        outlet.attach { frame in
            eventLoop.execute {
                let (handler, context) = loopBound.value
                handler.writePush(frame, context: context)
            }
        }
        self.outlet = outlet
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        outlet?.closed()
        self.context = nil
    }

    /// Connection ids, unique while the broker runs.
    private static let nextConnectionID = Atomic<UInt64>(0)

    func channelActive(context: ChannelHandlerContext) {
        registry.register(context.channel, load: load) { [weak self] in
            // Graceful shutdown: finish in-flight requests, then close.
            guard let self, let context = self.context else { return }
            self.state.drain()
            self.run(context)
        }
        state.writabilityChanged(isWritable: context.channel.isWritable)
        run(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        state.closed()
        outlet?.closed()
        run(context)
        registry.unregister(context.channel)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        do {
            try decoder.process(buffer: unwrapInboundIn(data)) { payload in
                let bytes = payload.readableBytes + Frame.lengthPrefixBytes
                let frame = try RequestFrame(payload: payload)
                state.requestReceived(frame, bytes: bytes, reservation: server.reservation(for: frame, bytes: bytes))
            }
        } catch {
            return fail(context: context, BrokerError(error))
        }
        state.partialFrame(bytes: decoder.unprocessedBytes)
        run(context)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        state.writabilityChanged(isWritable: context.channel.isWritable)
        outlet?.writabilityChanged(isWritable: context.channel.isWritable)
        run(context)
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        state.readRequested()
        run(context)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is ProtocolError || error is BrokerError else {
            // A socket error (the peer reset the connection, …): nobody to answer.
            logger.debug("closing connection after a socket error", metadata: ["error": "\(error)"])
            state.closed()
            run(context)
            context.close(promise: nil)
            return
        }
        fail(context: context, BrokerError(error))
    }

    /// Carries out the state machine's actions until it has none.
    private func run(_ context: ChannelHandlerContext) {
        while let action = state.nextAction() {
            switch action {
            case .serve(let frame, let reservation): serve(frame, reservation: reservation, context: context)
            case .reject(let frame): reject(frame, context: context)
            case .read: context.read()
            case .startTimer(let id): startTimer(id, context: context)
            case .cancelTimer:
                timer?.cancel()
                timer = nil
            case .close: context.close(promise: nil)
            }
        }
        load.update(
            inFlightBytes: state.inFlightBytes,
            queuedBytes: state.queuedBytes,
            unwrittenBytes: state.unwrittenBytes,
            unwrittenPushBytes: unwrittenPushBytes,
            isReadHeld: state.isReadHeld,
            isClosed: state.state == .closed
        )
    }

    private func serve(_ frame: RequestFrame, reservation: Int, context: ChannelHandlerContext) {
        guard let outlet else { return }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        server.handle(frame, from: outlet, on: context.eventLoop).whenComplete { result in
            let (handler, context) = loopBound.value
            handler.complete(result, reservation: reservation, context: context)
        }
    }

    private func complete(_ result: Result<ResponseFrame?, any Error>, reservation: Int, context: ChannelHandlerContext)
    {
        var response: ResponseFrame?
        switch result {
        case .success(let frame): response = frame
        case .failure(let error):
            logger.error("request failed", metadata: ["error": "\(error)"])
        }
        let buffer = response.map { $0.buffer(allocator: context.channel.allocator) }
        if state.requestCompleted(reservation: reservation, responseBytes: buffer?.readableBytes), let buffer {
            write(buffer, context: context)
            if response?.errorCode == .malformedRequest {
                // A body that does not decode: the peer's framing or version cannot be trusted.
                // Answer what is in flight, then close.
                drainAnswer = (.malformedRequest, "an earlier request on this connection was malformed; it closes")
                state.drain()
            }
        }
        run(context)
    }

    /// Writes a response, counting its bytes as in flight until the socket has taken them.
    private func write(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        let bytes = buffer.readableBytes
        let promise = context.eventLoop.makePromise(of: Void.self)
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        promise.futureResult.whenComplete { _ in
            let (handler, context) = loopBound.value
            handler.state.responseWritten(bytes: bytes)
            handler.run(context)
        }
        context.writeAndFlush(wrapOutboundOut(buffer), promise: promise)
    }

    /// Writes a push (never while the connection is closing: it is dropped then).
    private func writePush(_ frame: ResponseFrame, context: ChannelHandlerContext) {
        guard state.state != .closed, context.channel.isActive else { return }
        let buffer = frame.buffer(allocator: context.channel.allocator)
        let bytes = buffer.readableBytes
        unwrittenPushBytes += bytes
        let promise = context.eventLoop.makePromise(of: Void.self)
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        promise.futureResult.whenComplete { _ in
            let (handler, context) = loopBound.value
            handler.unwrittenPushBytes -= bytes
            handler.run(context)
        }
        context.writeAndFlush(wrapOutboundOut(buffer), promise: promise)
        run(context)
    }

    /// What requests that arrive while the connection drains are answered: a graceful shutdown,
    /// unless a malformed request started the drain.
    private var drainAnswer: (code: ErrorCode, message: String) = (.shuttingDown, "the broker is shutting down")

    /// Answers a request that arrived while the connection drains.
    private func reject(_ frame: RequestFrame, context: ChannelHandlerContext) {
        let answer = ResponseFrame(
            correlationID: frame.header.correlationID,
            error: drainAnswer.code,
            message: drainAnswer.message
        )
        context.writeAndFlush(wrapOutboundOut(answer.buffer(allocator: context.channel.allocator)), promise: nil)
    }

    private func startTimer(_ id: StateMachine.TimerID, context: ChannelHandlerContext) {
        timer?.cancel()
        let delay =
            switch id.kind {
            case .idle: timeouts.idle
            case .frame: timeouts.frame
            }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: delay) {
            let (handler, context) = loopBound.value
            handler.timerFired(id, context: context)
        }
    }

    private func timerFired(_ id: StateMachine.TimerID, context: ChannelHandlerContext) {
        switch state.timerFired(id) {
        case .none:
            break
        case .closeIdle:
            logger.debug("closing an idle connection", metadata: ["idleTimeout": "\(timeouts.idle)"])
            context.close(promise: nil)
        case .failFrameTimeout:
            send(
                BrokerError(.requestTimedOut, "a frame was not completed within the frame timeout (\(timeouts.frame))"),
                context: context
            )
        }
        run(context)
    }

    /// Answers a protocol violation with correlation id 0 and closes the connection.
    private func fail(context: ChannelHandlerContext, _ error: BrokerError) {
        guard state.protocolViolated() else { return }
        send(error, context: context)
        run(context)
    }

    /// Writes an error response with correlation id 0 (as far as the socket takes it now) and closes.
    private func send(_ error: BrokerError, context: ChannelHandlerContext) {
        logger.info("closing connection after a protocol error", metadata: ["error": "\(error)"])
        let answer = ResponseFrame(correlationID: 0, error: error.code, message: error.message)
        context.writeAndFlush(wrapOutboundOut(answer.buffer(allocator: context.channel.allocator)), promise: nil)
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension ConnectionHandler: Sendable {}
