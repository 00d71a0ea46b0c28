import DequeModule
import KafkaProtocol
import Logging
import NIOCore

/// One Kafka client connection: splits the stream into frames (`KafkaFrameDecoder`), decodes
/// each with `KafkaRequest.decode(frame:)`, serves it through the ``KafkaRouter`` and writes the
/// responses IN REQUEST ORDER: Kafka clients pipeline requests and match each response by its
/// position as well as its correlation id, so a response that is ready early (a metadata answer
/// behind a long-polling fetch) waits for those before it.
///
/// Back-pressure, with the native listener's limits: at most `maxInFlightRequests` requests are
/// served or waiting for their turn at a time, and at most `maxInFlightBytes` are reserved by
/// them (a request's own bytes, plus for a Fetch the record bytes it may return, its `max_bytes`
/// capped by `maxFetchBytes`; held until its response is written to the socket). A request over
/// either waits (unless nothing else is in flight) and the handler stops reading from the
/// socket; it also stops while the channel is not writable (the write buffer water mark).
///
/// A frame over the size limit closes the connection at once. A request that does not decode,
/// an API or version not served, or a failed acks = 0 produce closes it once the responses to
/// the requests before it are written. A connection with nothing to do for the idle timeout is
/// closed. At a graceful shutdown the requests in flight are answered, then the connection
/// closes. The broker and its other connections carry on.
final class KafkaConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// The bounds of one connection (from ``BrokerLimits`` and ``BrokerConfiguration``).
    struct Limits {
        var maxFrameBytes: Int
        var maxInFlightRequests: Int
        var maxInFlightBytes: Int
        var maxFetchBytes: Int
        var idleTimeout: TimeAmount
    }

    /// A request read and decoded (or not), waiting to be served.
    private struct Pending {
        var request: Result<KafkaRequest, any Error>
        var reservation: Int
    }

    /// A request being served or waiting for its turn to be written.
    private struct Slot {
        var reply: KafkaReply?
        var reservation: Int
    }

    private let router: KafkaRouter
    private let registry: ConnectionRegistry
    private let load = ConnectionLoad()
    private let limits: Limits
    private var logger: Logger
    private let decoder: NIOSingleStepByteToMessageProcessor<KafkaFrameDecoder>
    /// Requests read and not yet dispatched (a limit is reached).
    private var waiting: Deque<Pending> = []
    /// One slot per dispatched request, in request order.
    private var slots: Deque<Slot> = []
    /// The request number of `slots.first`.
    private var firstSlot = 0
    /// Bytes reserved by dispatched requests until their responses are written to the socket.
    private var inFlightBytes = 0
    /// A `read()` held back by back-pressure.
    private var isReadHeld = false
    /// Set once a close is decided: nothing more is read or dispatched.
    private var isClosing = false
    /// Set by a graceful shutdown: finish what is dispatched, then close.
    private var isDraining = false
    private var idleTimer: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    init(router: KafkaRouter, registry: ConnectionRegistry, limits: Limits, logger: Logger) {
        self.router = router
        self.registry = registry
        self.limits = limits
        self.logger = logger
        self.decoder = NIOSingleStepByteToMessageProcessor(
            KafkaFrameDecoder(maxFrameBytes: min(max(1, limits.maxFrameBytes), Int(Int32.max)))
        )
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        logger[metadataKey: "peer"] = "\(context.channel.remoteAddress.map { "\($0)" } ?? "?")"
        logger[metadataKey: "listener"] = "kafka"
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        idleTimer?.cancel()
        idleTimer = nil
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        registry.register(context.channel, load: load) { [weak self] in
            guard let self, let context = self.context else { return }
            self.isDraining = true
            self.settle(context: context)
        }
        settle(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        isClosing = true
        slots.removeAll()
        waiting.removeAll()
        settle(context: context)
        registry.unregister(context.channel)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !isClosing else { return }
        do {
            try decoder.process(buffer: unwrapInboundIn(data)) { frame in
                waiting.append(pending(frame))
            }
        } catch {
            // An oversized or negative frame size: the stream cannot be followed any further.
            close("bad frame: \(error)", context: context)
            return
        }
        settle(context: context)
    }

    func read(context: ChannelHandlerContext) {
        guard !isClosing, !isDraining else { return }
        if mayRead(context: context) {
            isReadHeld = false
            context.read()
        } else {
            isReadHeld = true
        }
        publishLoad()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        settle(context: context)
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("closing Kafka connection after a socket error", metadata: ["error": "\(error)"])
        isClosing = true
        context.close(promise: nil)
    }

    /// A frame decoded, with what it reserves while it is served.
    private func pending(_ frame: ByteBuffer) -> Pending {
        let bytes = frame.readableBytes + KafkaFrameDecoder.sizePrefixBytes
        do {
            let request = try KafkaRequest.decode(frame: frame)
            var reservation = bytes
            if case .fetch(let fetch) = request.body {
                reservation += min(Int(max(0, fetch.maxBytes)), limits.maxFetchBytes)
            }
            return Pending(request: .success(request), reservation: reservation)
        } catch {
            return Pending(request: .failure(error), reservation: bytes)
        }
    }

    private func mayRead(context: ChannelHandlerContext) -> Bool {
        waiting.isEmpty && slots.count < limits.maxInFlightRequests && inFlightBytes < limits.maxInFlightBytes
            && context.channel.isWritable
    }

    /// Dispatches what the limits allow, resumes reading, closes a drained connection, arms or
    /// cancels the idle timer and publishes the load.
    private func settle(context: ChannelHandlerContext) {
        while !isClosing, !isDraining, let next = waiting.first, slots.count < limits.maxInFlightRequests,
            slots.isEmpty || inFlightBytes + next.reservation <= limits.maxInFlightBytes
        {
            waiting.removeFirst()
            dispatch(next, context: context)
        }
        if isDraining, !isClosing, slots.isEmpty, inFlightBytes == 0 {
            close("graceful shutdown", context: context)
        }
        if isReadHeld, !isClosing, !isDraining, mayRead(context: context) {
            isReadHeld = false
            context.read()
        }
        let isIdle =
            !isClosing && context.channel.isActive && slots.isEmpty && waiting.isEmpty && inFlightBytes == 0
            && decoder.unprocessedBytes == 0
        if isIdle {
            if idleTimer == nil { startIdleTimer(context: context) }
        } else {
            idleTimer?.cancel()
            idleTimer = nil
        }
        publishLoad()
    }

    private func startIdleTimer(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        idleTimer = context.eventLoop.scheduleTask(in: limits.idleTimeout) {
            let (handler, context) = loopBound.value
            handler.idleTimer = nil
            guard !handler.isClosing, handler.slots.isEmpty, handler.waiting.isEmpty else { return }
            handler.close("idle for \(handler.limits.idleTimeout)", context: context)
        }
    }

    private func dispatch(_ pending: Pending, context: ChannelHandlerContext) {
        let number = firstSlot + slots.count
        slots.append(Slot(reply: nil, reservation: pending.reservation))
        inFlightBytes += pending.reservation
        let request: KafkaRequest
        switch pending.request {
        case .success(let decoded): request = decoded
        case .failure(let error):
            complete(number, .close(reason: "malformed request: \(error)"), context: context)
            return
        }
        let local = context.channel.localAddress
        let address = KafkaRouter.AdvertisedAddress(
            host: local?.ipAddress ?? "127.0.0.1",
            port: Int32(local?.port ?? 0)
        )
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        router.handle(request, advertising: address, on: context.eventLoop)
            .hop(to: context.eventLoop)
            .whenComplete { result in
                let (handler, context) = loopBound.value
                switch result {
                case .success(let reply): handler.complete(number, reply, context: context)
                case .failure(let error):
                    handler.complete(number, .close(reason: "request failed: \(error)"), context: context)
                }
            }
    }

    /// Records request `number`'s reply and writes every reply now at the head, in order.
    private func complete(_ number: Int, _ reply: KafkaReply, context: ChannelHandlerContext) {
        let index = number - firstSlot
        guard !isClosing, index >= 0, index < slots.count else { return }  // closed meanwhile
        slots[index].reply = reply
        var wrote = false
        while let head = slots.first, let ready = head.reply {
            slots.removeFirst()
            firstSlot += 1
            switch ready {
            case .frame(let buffers):
                write(buffers, releasing: head.reservation, context: context)
                wrote = true
            case .nothing:
                inFlightBytes -= head.reservation
            case .close(let reason):
                if wrote { context.flush() }
                close(reason, context: context)
                return
            }
        }
        if wrote { context.flush() }
        settle(context: context)
    }

    /// Writes one response's buffers; its reservation is released once the socket has taken them.
    private func write(_ buffers: [ByteBuffer], releasing reservation: Int, context: ChannelHandlerContext) {
        let promise = context.eventLoop.makePromise(of: Void.self)
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        promise.futureResult.whenComplete { _ in
            let (handler, context) = loopBound.value
            handler.inFlightBytes -= reservation
            handler.settle(context: context)
        }
        for (index, buffer) in buffers.enumerated() {
            context.write(wrapOutboundOut(buffer), promise: index == buffers.count - 1 ? promise : nil)
        }
        if buffers.isEmpty { promise.succeed() }
    }

    private func close(_ reason: String, context: ChannelHandlerContext) {
        guard !isClosing else { return }
        logger.info("closing Kafka connection", metadata: ["reason": "\(reason)"])
        isClosing = true
        slots.removeAll()
        waiting.removeAll()
        idleTimer?.cancel()
        idleTimer = nil
        context.close(promise: nil)
        publishLoad()
    }

    private func publishLoad() {
        load.update(
            inFlightBytes: inFlightBytes,
            queuedBytes: waiting.reduce(0) { $0 + $1.reservation },
            unwrittenBytes: 0,
            isReadHeld: isReadHeld,
            isClosed: isClosing
        )
    }
}

@available(*, unavailable)
extension KafkaConnectionHandler: Sendable {}
