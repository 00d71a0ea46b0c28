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
/// Back-pressure: at most `maxInFlightRequests` requests are served or waiting for their turn
/// to be written at a time (``BrokerLimits/maxInFlightRequestsPerConnection``, as on the native
/// listener); beyond that, frames already read wait and the handler stops reading from the
/// socket. It also stops reading while the channel is not writable (the write buffer water
/// mark), so a client that does not read its responses cannot make the broker buffer them.
///
/// A frame over the size limit closes the connection at once. A request that does not decode,
/// an API or version not served, or a failed acks = 0 produce closes it once the responses to
/// the requests before it are written. The broker and its other connections carry on.
final class KafkaConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let router: KafkaRouter
    private let maxInFlightRequests: Int
    private var logger: Logger
    private let decoder: NIOSingleStepByteToMessageProcessor<KafkaFrameDecoder>
    /// Frames read and not yet dispatched (the in-flight limit is reached).
    private var waiting: Deque<ByteBuffer> = []
    /// One slot per dispatched request, in request order: nil until its reply is ready.
    private var slots: Deque<KafkaReply?> = []
    /// The request number of `slots.first`.
    private var firstSlot = 0
    /// A `read()` held back by back-pressure.
    private var isReadHeld = false
    /// Set once a close is decided: nothing more is read or dispatched.
    private var isClosing = false

    init(router: KafkaRouter, maxFrameBytes: Int, maxInFlightRequests: Int, logger: Logger) {
        self.router = router
        self.maxInFlightRequests = max(1, maxInFlightRequests)
        self.logger = logger
        self.decoder = NIOSingleStepByteToMessageProcessor(
            KafkaFrameDecoder(maxFrameBytes: min(max(1, maxFrameBytes), Int(Int32.max)))
        )
    }

    func handlerAdded(context: ChannelHandlerContext) {
        logger[metadataKey: "peer"] = "\(context.channel.remoteAddress.map { "\($0)" } ?? "?")"
        logger[metadataKey: "listener"] = "kafka"
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !isClosing else { return }
        do {
            try decoder.process(buffer: unwrapInboundIn(data)) { frame in
                waiting.append(frame)
            }
        } catch {
            // An oversized or negative frame size: the stream cannot be followed any further.
            logger.info("closing Kafka connection: bad frame", metadata: ["error": "\(error)"])
            isClosing = true
            context.close(promise: nil)
            return
        }
        dispatchWaiting(context: context)
    }

    func read(context: ChannelHandlerContext) {
        if isClosing { return }
        if !waiting.isEmpty || slots.count >= maxInFlightRequests || !context.channel.isWritable {
            isReadHeld = true
        } else {
            isReadHeld = false
            context.read()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        resumeReading(context: context)
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("closing Kafka connection after a socket error", metadata: ["error": "\(error)"])
        isClosing = true
        context.close(promise: nil)
    }

    /// Serves waiting frames while the in-flight limit allows.
    private func dispatchWaiting(context: ChannelHandlerContext) {
        while !isClosing, slots.count < maxInFlightRequests, let frame = waiting.popFirst() {
            dispatch(frame, context: context)
        }
        resumeReading(context: context)
    }

    private func dispatch(_ frame: ByteBuffer, context: ChannelHandlerContext) {
        let number = firstSlot + slots.count
        slots.append(nil)
        let request: KafkaRequest
        do {
            request = try KafkaRequest.decode(frame: frame)
        } catch {
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
        guard index >= 0, index < slots.count else { return }  // the connection was closed meanwhile
        slots[index] = reply
        var wrote = false
        while let head = slots.first, let ready = head {
            slots.removeFirst()
            firstSlot += 1
            switch ready {
            case .frame(let buffers):
                for buffer in buffers { context.write(wrapOutboundOut(buffer), promise: nil) }
                wrote = true
            case .nothing:
                break
            case .close(let reason):
                logger.info("closing Kafka connection", metadata: ["reason": "\(reason)"])
                isClosing = true
                slots.removeAll()
                waiting.removeAll()
                if wrote { context.flush() }
                context.close(promise: nil)
                return
            }
        }
        if wrote { context.flush() }
        dispatchWaiting(context: context)
    }

    private func resumeReading(context: ChannelHandlerContext) {
        guard isReadHeld, !isClosing, waiting.isEmpty, slots.count < maxInFlightRequests,
            context.channel.isWritable
        else { return }
        isReadHeld = false
        context.read()
    }

    func channelInactive(context: ChannelHandlerContext) {
        isClosing = true
        slots.removeAll()
        waiting.removeAll()
        context.fireChannelInactive()
    }
}

@available(*, unavailable)
extension KafkaConnectionHandler: Sendable {}
