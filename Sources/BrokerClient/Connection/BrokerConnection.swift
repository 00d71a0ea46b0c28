import BrokerProtocol
import Logging
import NIOCore
import NIOPosix

/// One TCP connection to a broker, shared by any number of concurrent requests.
///
/// Requests are pipelined: each `send` writes its frame at once and waits for the response that
/// carries its correlation id, whatever the order in which responses arrive. The connection is
/// opened lazily (or by ``connect()``) and starts with a handshake that learns the broker's frame
/// limit and API versions. When it breaks, waiting requests fail with a connection-level
/// ``ClientError`` and the next request reconnects, with exponential backoff between attempts and
/// a bounded number of attempts. Requests are never sent twice by the connection: whether a retry
/// is safe is for the caller to decide (the idempotent ``Producer`` and the ``Consumer`` do).
public actor BrokerConnection: BrokerTransport {
    /// Where the broker is.
    public nonisolated let address: BrokerAddress
    /// Timeouts, backoff and limits.
    public nonisolated let configuration: ConnectionConfiguration
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger

    private struct Session {
        var id: UInt64
        var channel: any Channel
        var handshake: HandshakeResponse
        var versions: [APIKey: UInt16]
    }

    private enum State {
        case idle
        /// Requests waiting for the connection another request is opening, by waiter id. Each is
        /// resumed with the session, an error, or `nil` when the opening request was cancelled
        /// (the waiter then opens the connection itself).
        case connecting([UInt64: CheckedContinuation<Session?, any Error>])
        case connected(Session)
        case closed
    }

    private var state: State = .idle
    private var nextWaiterID: UInt64 = 0
    /// Where the broker's pushes go (``setPushHandler(_:)``).
    private nonisolated let pushSink = PushSink()
    /// The id of the last session opened; each TCP connection is a new session.
    private var lastSessionID: UInt64 = 0

    /// Creates a connection; nothing is opened until the first request or ``connect()``.
    public init(
        address: BrokerAddress,
        configuration: ConnectionConfiguration = ConnectionConfiguration(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "sluice.client")
    ) {
        precondition(configuration.connectAttempts >= 1)
        self.address = address
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    /// Opens the connection and performs the handshake, unless already connected.
    /// - Throws: ``ClientError`` `connectionFailed` after the last attempt.
    public func connect() async throws {
        _ = try await session()
    }

    /// The broker's software version, once connected.
    public var brokerVersion: String? {
        if case .connected(let session) = state { return session.handshake.brokerVersion }
        return nil
    }

    /// The largest frame the broker accepts, once connected.
    public var maxFrameBytes: Int? {
        if case .connected(let session) = state { return Int(session.handshake.maxFrameBytes) }
        return nil
    }

    /// The current session's id, once connected: a new one after every reconnect. What a broker
    /// keeps per connection (a group subscription) belongs to one session.
    var sessionID: UInt64? {
        if case .connected(let session) = state, session.channel.isActive { return session.id }
        return nil
    }

    /// Sets the handler of the frames the broker pushes (consumer-group deliveries); it runs on
    /// the connection's event loop with the push and its session's id. Pushes without a handler
    /// are dropped.
    func setPushHandler(_ handler: PushSink.Handler?) {
        pushSink.setHandler(handler)
    }

    /// Routes a subscription's deliveries (``PushSink``).
    nonisolated var pushes: PushSink { pushSink }

    /// The open channel, once connected (tests inspect its socket options).
    var channel: (any Channel)? {
        if case .connected(let session) = state { return session.channel }
        return nil
    }

    /// The API versions the broker announced, once connected.
    public var supportedAPIs: [HandshakeResponse.VersionRange] {
        if case .connected(let session) = state { return session.handshake.apis }
        return []
    }

    public func send<Request: WireMessage, Response: WireMessage>(
        _ request: Request,
        as response: Response.Type,
        timeout: Duration?
    ) async throws -> Response {
        var attempt = 0
        while true {
            let session = try await session()
            do {
                let version = try version(of: Request.apiKey, in: session)
                let frame = try await Self.exchange(
                    request,
                    version: version,
                    on: session.channel,
                    timeout: timeout ?? configuration.requestTimeout
                )
                return try Self.decode(frame, as: Response.self, version: version, from: address)
            } catch let error as ClientError where error.cause is RequestNotWritten && attempt < 2 {
                // The connection closed (an idle close by either side) before the request reached
                // the socket: the broker never saw it, so sending it on a new connection is safe.
                attempt += 1
                try? await session.channel.closeFuture.get()
            }
        }
    }

    public func sendWithoutResponse<Request: WireMessage>(_ request: Request) async throws {
        let session = try await session()
        let clientRequest = ClientRequest(
            apiKey: Request.apiKey,
            apiVersion: try version(of: Request.apiKey, in: session),
            body: request.encoded(),
            responsePromise: nil,
            timeout: nil
        )
        // The write completes when the socket takes the frame; a broker that does not read holds
        // it. The wait ends by then, by `requestTimeout`, or by the task's cancellation (the frame
        // may still be written later: cancelling the wait does not withdraw it).
        let channel = session.channel
        let written = channel.eventLoop.makePromise(of: Void.self)
        channel.writeAndFlush(clientRequest, promise: written)
        let timeout = configuration.requestTimeout
        let address = self.address
        let timer = channel.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            written.fail(
                ClientError(.timedOut, "the broker at \(address) did not take a request within \(timeout)")
            )
        }
        defer { timer.cancel() }
        do {
            try await withTaskCancellationHandler {
                try await written.futureResult.get()
            } onCancel: {
                written.fail(CancellationError())
            }
        } catch let error as CancellationError {
            throw error
        } catch {
            throw mapWriteError(error)
        }
    }

    /// Closes the connection; waiting requests fail with `connectionClosed`, later ones with `closed`.
    public func close() async {
        let previous = state
        state = .closed
        switch previous {
        case .connected(let session):
            try? await session.channel.close()
        case .connecting(let waiters):
            let error = ClientError(.closed, "the connection to \(address) was closed")
            for waiter in waiters.values { waiter.resume(throwing: error) }
        case .idle, .closed:
            break
        }
    }

    // MARK: Connecting

    private func session() async throws -> Session {
        while true {
            switch state {
            case .connected(let session) where session.channel.isActive:
                return session
            case .connecting:
                if let session = try await waitForConnection() { return session }
            case .closed:
                throw ClientError(.closed, "the connection to \(address) was closed")
            case .idle, .connected:
                state = .connecting([:])
                let result: Result<Session, any Error>
                do {
                    result = .success(try await connectWithBackoff())
                } catch {
                    result = .failure(error)
                }
                guard case .connecting(let waiters) = state else {
                    // Closed while connecting.
                    if case .success(let session) = result { try? await session.channel.close() }
                    throw ClientError(.closed, "the connection to \(address) was closed")
                }
                switch result {
                case .success(let session): state = .connected(session)
                case .failure: state = .idle
                }
                // This request's cancellation is not the waiters': they connect again themselves.
                let wasCancelled: Bool
                if case .failure(let error) = result, error is CancellationError {
                    wasCancelled = true
                } else {
                    wasCancelled = false
                }
                for waiter in waiters.values {
                    waiter.resume(with: wasCancelled ? .success(nil) : result.map { Optional($0) })
                }
                return try result.get()
            }
        }
    }

    /// Waits for the connection another request is opening: its session, or `nil` if that request
    /// was cancelled. Throws `CancellationError` when this task is cancelled.
    private func waitForConnection() async throws -> Session? {
        nextWaiterID += 1
        let id = nextWaiterID
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                guard case .connecting(var waiters) = state, !Task.isCancelled else {
                    continuation.resume(
                        with: Task.isCancelled ? .failure(CancellationError()) : .success(nil)
                    )
                    return
                }
                waiters[id] = continuation
                state = .connecting(waiters)
            }
        } onCancel: {
            Task { await self.cancelConnectionWaiter(id) }
        }
    }

    private func cancelConnectionWaiter(_ id: UInt64) {
        guard case .connecting(var waiters) = state, let waiter = waiters.removeValue(forKey: id) else { return }
        state = .connecting(waiters)
        waiter.resume(throwing: CancellationError())
    }

    private func connectWithBackoff() async throws -> Session {
        var lastError: any Error = ClientError(.connectionFailed, "cannot connect to broker at \(address)")
        for attempt in 0..<configuration.connectAttempts {
            if attempt > 0 {
                try await Task.sleep(for: configuration.backoff(afterAttempt: attempt - 1))
            }
            do {
                return try await connectOnce()
            } catch let error as CancellationError {
                throw error
            } catch {
                lastError = error
                logger.debug(
                    "connection attempt failed",
                    metadata: [
                        "broker": "\(address)", "attempt": "\(attempt + 1)",
                        "error": "\(ConnectionErrorText.reason(for: error))",
                    ]
                )
            }
        }
        if let error = lastError as? ClientError, error.code != .connectionClosed, error.code != .timedOut {
            throw error
        }
        throw ClientError(
            .connectionFailed,
            "cannot connect to broker at \(address): \(ConnectionErrorText.reason(for: lastError))",
            cause: lastError
        )
    }

    private func connectOnce() async throws -> Session {
        let peer = address.description
        let maxFrameBytes = configuration.maxResponseFrameBytes
        let closeReason = CloseReason()
        let idleTimeout = configuration.idleTimeout
        lastSessionID += 1
        let pushes = (sink: pushSink, session: lastSessionID)
        let channel = try await ClientBootstrap(group: eventLoopGroup)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            // TCP_NODELAY is an IPPROTO_TCP option; `.socketOption(.tcp_nodelay)` would set SO_DEBUG.
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let idleTimeout {
                        try channel.pipeline.syncOperations.addHandler(
                            IdleStateHandler(allTimeout: TimeAmount(idleTimeout))
                        )
                    }
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(FrameDecoder(maxFrameBytes: maxFrameBytes))
                    )
                    try channel.pipeline.syncOperations.addHandler(
                        ClientChannelHandler(peer: peer, closeReason: closeReason, pushes: pushes)
                    )
                }
            }
            .connect(host: address.host, port: address.port)
            .get()
        do {
            let frame = try await Self.exchange(
                HandshakeRequest(clientName: configuration.clientName),
                version: 0,
                on: channel,
                timeout: configuration.requestTimeout
            )
            let handshake = try Self.decode(frame, as: HandshakeResponse.self, version: 0, from: address)
            var versions: [APIKey: UInt16] = [:]
            for ours in ProtocolVersions.supported {
                guard let theirs = handshake.apis.first(where: { $0.apiKey == ours.apiKey }) else { continue }
                let highest = min(ours.maxVersion, theirs.maxVersion)
                if highest >= max(ours.minVersion, theirs.minVersion) { versions[ours.apiKey] = highest }
            }
            logger.debug(
                "connected",
                metadata: ["broker": "\(address)", "brokerVersion": "\(handshake.brokerVersion)"]
            )
            return Session(id: pushes.session, channel: channel, handshake: handshake, versions: versions)
        } catch {
            try? await channel.close()
            // A broker that refuses the connection (over maxConnections) answers with correlation
            // id 0 and closes, possibly before the handshake is even written: report its words.
            if let reason = closeReason.error, reason.code.brokerErrorCode != nil { throw reason }
            throw error
        }
    }

    // MARK: Requests

    private func version(of apiKey: APIKey, in session: Session) throws -> UInt16 {
        guard let version = session.versions[apiKey] else {
            throw ClientError(
                .unsupportedVersion,
                "the broker at \(address) (version \(session.handshake.brokerVersion)) does not serve \(apiKey) "
                    + "in a version this client speaks"
            )
        }
        return version
    }

    private static func exchange<Request: WireMessage>(
        _ request: Request,
        version: UInt16,
        on channel: any Channel,
        timeout: Duration
    ) async throws -> ResponseFrame {
        let promise = channel.eventLoop.makePromise(of: ResponseFrame.self)
        let clientRequest = ClientRequest(
            apiKey: Request.apiKey,
            apiVersion: version,
            body: request.encoded(),
            responsePromise: promise,
            timeout: TimeAmount(timeout)
        )
        channel.writeAndFlush(clientRequest).whenFailure { error in
            // Fails the response only if the handler has not already (with the broker's reason).
            // A channel closed before the write never saw the request; any other write failure may
            // have sent part of it.
            let wasNotWritten = (error as? ChannelError) == .ioOnClosedChannel
            promise.fail(
                error as? ClientError
                    ?? ClientError(
                        .connectionClosed,
                        "connection to broker closed: \(ConnectionErrorText.reason(for: error))",
                        cause: wasNotWritten ? RequestNotWritten() : error
                    )
            )
        }
        // The response waits at most `timeout` (the channel handler fails it then); a cancelled
        // task stops waiting at once, and the late response is dropped.
        return try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: {
            promise.fail(CancellationError())
        }
    }

    private static func decode<Response: WireMessage>(
        _ frame: ResponseFrame,
        as response: Response.Type,
        version: UInt16,
        from address: BrokerAddress
    ) throws -> Response {
        guard frame.errorCode == .none else {
            throw ClientError.broker(frame.errorCode, frame.errorMessage)
        }
        do {
            return try Response.decode(frame.body, version: version)
        } catch {
            throw ClientError(
                .protocolViolation,
                "the broker at \(address) sent a \(Response.apiKey) response that does not decode: \(error)",
                cause: error
            )
        }
    }

    private func mapWriteError(_ error: any Error) -> ClientError {
        error as? ClientError
            ?? ClientError(
                .connectionClosed,
                "connection to broker at \(address) closed: \(ConnectionErrorText.reason(for: error))"
            )
    }
}

extension TimeAmount {
    /// The same span as `duration`, to the nanosecond (saturating).
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let (nanoseconds, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        self = .nanoseconds(overflow ? .max : nanoseconds &+ attoseconds / 1_000_000_000)
    }
}

/// The cause of a ``ClientError`` for a request that never reached the socket: its connection was
/// closed before the write. Such a request is safe to send again on a new connection.
struct RequestNotWritten: Error {}
