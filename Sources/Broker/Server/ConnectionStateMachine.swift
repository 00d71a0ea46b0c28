import DequeModule

/// The bookkeeping of one client connection: requests queued and in flight, the bytes they hold,
/// back-pressure, timers and closing. A plain value with no NIO in it: the ``ConnectionHandler``
/// feeds it events, then takes ``nextAction()`` until it returns `nil` and carries each out, so
/// every decision is made here and can be tested without a channel.
///
/// **What counts against the in-flight limit** (`maxInFlightBytes`): for each request being served,
/// its *reservation* (its own bytes, plus for a fetch the response bytes it may return); and the
/// bytes of every response handed to the channel and not yet written to the socket. A request is
/// served when its reservation fits under the limit beside what is already held (or when nothing
/// is held at all, so that one large request still goes through), when fewer than
/// `maxInFlightRequests` are being served, and when the channel is writable; otherwise it waits in
/// order. While requests wait, or the limits are reached, or the channel is not writable, the
/// broker holds back `read()`, so that a client that sends without reading its responses stops
/// being read instead of growing the broker.
///
/// **Timers.** One at a time: the *frame* timer runs while part of a frame has arrived (and the
/// broker is not the one holding back reading); the *idle* timer runs while the connection has
/// nothing at all to do.
struct ConnectionStateMachine<Request> {
    /// The limits one connection is held to.
    struct Limits: Equatable {
        var maxInFlightBytes: Int
        var maxInFlightRequests: Int
    }

    enum State: Equatable {
        /// Serving requests.
        case active
        /// No new requests (waiting ones are answered `shuttingDown`); close once those in flight are
        /// answered and their responses written.
        case draining
        /// Closed, or closing.
        case closed
    }

    /// The two timers.
    enum TimerKind: Equatable {
        /// Nothing to do for the idle timeout: close.
        case idle
        /// A frame begun and not finished within the frame timeout: answer `requestTimedOut`, close.
        case frame
    }

    /// One arming of a timer; a firing that does not match the armed one is stale and ignored.
    struct TimerID: Equatable {
        var kind: TimerKind
        var generation: Int
    }

    /// What the handler should do next.
    enum Action {
        /// Serve the request; pass `reservation` back to ``requestCompleted(reservation:responseBytes:)``.
        case serve(Request, reservation: Int)
        /// Answer the request with `shuttingDown` without serving it (the connection drains).
        case reject(Request)
        /// Forward the `read()` that was held back.
        case read
        /// (Re)start the timer: cancel any other, schedule this one.
        case startTimer(TimerID)
        /// Cancel the timer.
        case cancelTimer
        /// Close the connection now.
        case close
    }

    /// What to do when a timer fires.
    enum TimerAction: Equatable {
        /// A stale or irrelevant firing.
        case none
        /// The connection was idle: close it.
        case closeIdle
        /// A frame did not complete in time: answer `requestTimedOut` with correlation id 0, close.
        case failFrameTimeout
    }

    private struct Waiting {
        var request: Request
        var bytes: Int
        var reservation: Int
    }

    let limits: Limits
    private(set) var state: State = .active
    /// Requests being served.
    private(set) var inFlightRequests = 0
    /// The reservations of the requests being served.
    private(set) var reservedBytes = 0
    /// Response bytes handed to the channel and not yet written.
    private(set) var unwrittenBytes = 0
    /// Request bytes received and waiting to be served.
    private(set) var queuedBytes = 0
    /// Whether a `read()` is being held back.
    private(set) var isReadHeld = false
    private(set) var isWritable = true
    private var queue: Deque<Waiting> = []
    private var partialFrameBytes = 0
    private var framesReceived = 0
    private var armedTimer: TimerID?
    private var timerGeneration = 0
    private var framesReceivedWhenArmed = 0

    init(limits: Limits) {
        precondition(limits.maxInFlightBytes > 0 && limits.maxInFlightRequests > 0)
        self.limits = limits
    }

    /// What counts against the in-flight limit now.
    var inFlightBytes: Int { reservedBytes + unwrittenBytes }

    /// Everything the connection holds: in flight plus queued.
    var heldBytes: Int { inFlightBytes + queuedBytes }

    // MARK: Events

    /// A whole frame arrived: `bytes` on the wire, `reservation` to count while it is served
    /// (at least `bytes`).
    mutating func requestReceived(_ request: Request, bytes: Int, reservation: Int) {
        framesReceived += 1
        guard state != .closed else { return }
        queue.append(Waiting(request: request, bytes: bytes, reservation: max(bytes, reservation)))
        queuedBytes += bytes
    }

    /// After the bytes that arrived were split into frames, `bytes` of an unfinished frame remain.
    mutating func partialFrame(bytes: Int) {
        partialFrameBytes = bytes
    }

    /// The channel asked to read from the socket.
    mutating func readRequested() {
        isReadHeld = true
    }

    /// The channel's writability changed (its write buffer crossed a watermark).
    mutating func writabilityChanged(isWritable: Bool) {
        self.isWritable = isWritable
    }

    /// A request served with `reservation` completed, with a response of `responseBytes` (nil:
    /// no response is due). Returns whether to write the response (not when the connection closed).
    mutating func requestCompleted(reservation: Int, responseBytes: Int?) -> Bool {
        precondition(inFlightRequests > 0, "a request completed that was never served")
        inFlightRequests -= 1
        reservedBytes -= reservation
        guard state != .closed, let responseBytes else { return false }
        unwrittenBytes += responseBytes
        return true
    }

    /// `bytes` of a response were written to the socket, or dropped because the channel closed.
    mutating func responseWritten(bytes: Int) {
        precondition(unwrittenBytes >= bytes, "more bytes written than were pending")
        unwrittenBytes -= bytes
    }

    /// The broker is shutting down, or the peer sent a bad frame: answer what is in flight, answer
    /// waiting requests `shuttingDown`, then close.
    mutating func drain() {
        guard state == .active else { return }
        state = .draining
    }

    /// The channel closed: waiting requests are dropped; responses of those in flight are not written.
    mutating func closed() {
        state = .closed
        queue.removeAll()
        queuedBytes = 0
        isReadHeld = false
    }

    /// The peer broke the protocol (a bad frame): the connection closes at once. Returns whether
    /// to answer it (not when the connection had already closed).
    mutating func protocolViolated() -> Bool {
        guard state != .closed else { return false }
        closed()
        return true
    }

    /// The timer `id` fired.
    mutating func timerFired(_ id: TimerID) -> TimerAction {
        guard armedTimer == id, state == .active else { return .none }
        armedTimer = nil
        state = .closed
        queue.removeAll()
        queuedBytes = 0
        switch id.kind {
        case .idle: return .closeIdle
        case .frame: return .failFrameTimeout
        }
    }

    // MARK: Actions

    /// The next thing to do, or `nil` when there is nothing; call until `nil` after every event.
    mutating func nextAction() -> Action? {
        if state == .closed {
            if armedTimer != nil {
                armedTimer = nil
                return .cancelTimer
            }
            return nil
        }
        if let first = queue.first {
            if state == .draining {
                queue.removeFirst()
                queuedBytes -= first.bytes
                return .reject(first.request)
            }
            if canServe(reservation: first.reservation) {
                queue.removeFirst()
                queuedBytes -= first.bytes
                inFlightRequests += 1
                reservedBytes += first.reservation
                return .serve(first.request, reservation: first.reservation)
            }
        }
        if state == .draining && inFlightRequests == 0 && unwrittenBytes == 0 {
            if armedTimer != nil {
                armedTimer = nil
                return .cancelTimer
            }
            state = .closed
            isReadHeld = false
            return .close
        }
        if isReadHeld && shouldRead {
            isReadHeld = false
            return .read
        }
        let wanted = wantedTimer
        if wanted != armedTimer?.kind {
            guard let wanted else {
                armedTimer = nil
                return .cancelTimer
            }
            return arm(wanted)
        }
        if wanted == .frame && framesReceivedWhenArmed != framesReceived {
            // Frames completed since the timer was armed: the unfinished one is a new frame.
            return arm(.frame)
        }
        return nil
    }

    private mutating func arm(_ kind: TimerKind) -> Action {
        timerGeneration += 1
        framesReceivedWhenArmed = framesReceived
        let id = TimerID(kind: kind, generation: timerGeneration)
        armedTimer = id
        return .startTimer(id)
    }

    private func canServe(reservation: Int) -> Bool {
        guard isWritable, inFlightRequests < limits.maxInFlightRequests else { return false }
        return inFlightBytes == 0 || inFlightBytes + reservation <= limits.maxInFlightBytes
    }

    /// Whether to read more from the socket: nothing waits and the limits leave room.
    private var shouldRead: Bool {
        queue.isEmpty && isWritable && inFlightRequests < limits.maxInFlightRequests
            && inFlightBytes < limits.maxInFlightBytes
    }

    private var wantedTimer: TimerKind? {
        guard state == .active else { return nil }
        if partialFrameBytes > 0 { return isReadHeld ? nil : .frame }
        if queue.isEmpty && inFlightRequests == 0 && unwrittenBytes == 0 { return .idle }
        return nil
    }
}
