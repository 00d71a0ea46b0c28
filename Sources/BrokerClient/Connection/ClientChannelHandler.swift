import BrokerProtocol
import NIOCore

/// The client end of a broker connection: frames outgoing ``ClientRequest``s and matches incoming
/// response frames to them by correlation id (through ``ConnectionStateMachine``).
///
/// Expects `ByteToMessageHandler(FrameDecoder())` before it, so it reads whole frame payloads.
/// A request that times out fails with `timedOut` and closes the connection (the broker is not
/// answering; whatever it says later could not be matched); every other waiting request then
/// fails with `connectionClosed`. Not thread-safe: it lives on its channel's event loop.
final class ClientChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ClientRequest
    typealias OutboundOut = ByteBuffer

    private struct Pending {
        var promise: EventLoopPromise<ResponseFrame>
        var apiKey: APIKey
    }

    private var stateMachine = ConnectionStateMachine<Pending>()
    private var timeouts: [UInt32: Scheduled<Void>] = [:]
    /// Whether a request has been written (the idle timeout counts only from then).
    private var hasWritten = false
    private var closeReason: ClientError? {
        didSet { closeReasonBox?.record(closeReason) }
    }
    /// `host:port`, for error messages.
    private let peer: String
    /// Where the reason the connection closed is published for other threads, if anyone asks.
    private let closeReasonBox: CloseReason?

    /// Where pushes go, and this connection's session id for them.
    private let pushes: (sink: PushSink, session: UInt64)?

    init(peer: String, closeReason: CloseReason? = nil, pushes: (sink: PushSink, session: UInt64)? = nil) {
        self.peer = peer
        self.closeReasonBox = closeReason
        self.pushes = pushes
    }

    /// How many requests wait for a response.
    var pendingCount: Int { stateMachine.pendingCount }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        hasWritten = true
        let request = unwrapOutboundIn(data)
        let pending = request.responsePromise.map { Pending(promise: $0, apiKey: request.apiKey) }
        switch stateMachine.sendRequest(pending) {
        case .fail(let pending, let error):
            // The connection is closed: this request was never written.
            let notWritten = ClientError(error.code, error.message, cause: RequestNotWritten())
            pending?.promise.fail(notWritten)
            promise?.fail(notWritten)
        case .write(let correlationID):
            if let timeout = request.timeout, pending != nil {
                timeouts[correlationID] = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
                    self.requestTimedOut(correlationID: correlationID, after: timeout, context: context)
                }
            }
            let frame = RequestFrame(
                header: RequestHeader(
                    apiKey: request.apiKey,
                    apiVersion: request.apiVersion,
                    correlationID: correlationID
                ),
                body: request.body
            )
            var buffer = context.channel.allocator.buffer(
                capacity: Frame.lengthPrefixBytes + Frame.requestHeaderBytes + request.body.readableBytes
            )
            frame.write(into: &buffer)
            context.write(wrapOutboundOut(buffer), promise: promise)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame: ResponseFrame
        do {
            frame = try ResponseFrame(payload: unwrapInboundIn(data))
        } catch {
            fail(context: context, ClientError(.protocolViolation, "the broker at \(peer) sent a malformed frame"))
            return
        }
        switch stateMachine.receiveResponse(frame) {
        case .succeed(let pending, let frame):
            timeouts.removeValue(forKey: frame.correlationID)?.cancel()
            pending.promise.succeed(frame)
        case .closeAndFail(let failed, let error):
            failAll(failed, error)
            closeReason = error
            context.close(promise: nil)
        case .push(let push):
            pushes?.sink.deliver(push, session: pushes!.session)
        case .ignore:
            break
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let clientError: ClientError
        switch error {
        case let error as ClientError:
            clientError = error
        case let error as ProtocolError:
            clientError = ClientError(
                .protocolViolation,
                "the broker at \(peer) sent a bad frame: \(error.message)",
                cause: error
            )
        default:
            clientError = ClientError(
                .connectionClosed,
                "connection to broker at \(peer) failed: \(ConnectionErrorText.reason(for: error))",
                cause: error
            )
        }
        fail(context: context, clientError)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // IdleStateHandler (ConnectionConfiguration.idleTimeout): nothing read or written for that
        // long. Close only when no request waits, so a slow answer is never cut off here, and not
        // before the first request (the handshake): on a loaded machine a short timeout could
        // otherwise pass between the connect and the handshake's write.
        if event is IdleStateHandler.IdleStateEvent {
            if stateMachine.pendingCount == 0 && hasWritten {
                fail(context: context, ClientError(.connectionClosed, "the connection to \(peer) was idle"))
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        let error =
            closeReason.map { reason in
                ClientError(.connectionClosed, "connection to broker at \(peer) closed: \(reason.message)")
            } ?? ClientError(.connectionClosed, "the broker at \(peer) closed the connection")
        failAll(stateMachine.close(error), error)
        if let pushes { pushes.sink.sessionClosed(pushes.session) }
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        let error = ClientError(.connectionClosed, "connection to broker at \(peer) closed")
        failAll(stateMachine.close(error), error)
    }

    private func requestTimedOut(correlationID: UInt32, after timeout: TimeAmount, context: ChannelHandlerContext) {
        timeouts[correlationID] = nil
        guard let pending = stateMachine.abandonRequest(correlationID: correlationID) else { return }
        let error = ClientError(
            .timedOut,
            "\(pending.apiKey) request to broker at \(peer) timed out after \(Self.describe(timeout))"
        )
        pending.promise.fail(error)
        fail(
            context: context,
            ClientError(.connectionClosed, "connection to broker at \(peer) closed: \(error.message)")
        )
    }

    /// Fails every waiting request with `error`, then closes the connection.
    private func fail(context: ChannelHandlerContext, _ error: ClientError) {
        if closeReason == nil { closeReason = error }
        failAll(stateMachine.close(error), error)
        context.close(promise: nil)
    }

    private func failAll(_ failed: [Pending], _ error: ClientError) {
        for (_, timeout) in timeouts { timeout.cancel() }
        timeouts.removeAll()
        for pending in failed { pending.promise.fail(error) }
    }

    private static func describe(_ amount: TimeAmount) -> String {
        let milliseconds = amount.nanoseconds / 1_000_000
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000)s" : "\(milliseconds)ms"
    }
}

@available(*, unavailable)
extension ClientChannelHandler: Sendable {}
