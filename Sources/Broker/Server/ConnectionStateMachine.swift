/// The bookkeeping of one client connection: requests in flight, their bytes, back-pressure and
/// closing. A plain value: the ``ConnectionHandler`` feeds it events and carries out the actions it
/// returns, so it can be tested without a channel.
struct ConnectionStateMachine {
    enum State: Equatable {
        /// Serving requests.
        case active
        /// No new requests; close once the in-flight ones are answered.
        case draining
        /// Closed.
        case closed
    }

    /// What the handler should do after an event.
    enum Action: Equatable {
        case none
        /// Serve the request.
        case serve
        /// Answer the request with `shuttingDown` without serving it (the connection is draining).
        case reject
        /// Stop reading from the socket (too many bytes in flight).
        case pauseReading
        /// Read from the socket again.
        case resumeReading
        /// Close the connection now.
        case close
    }

    let maxInFlightBytes: Int
    private(set) var state: State = .active
    private(set) var inFlightRequests = 0
    private(set) var inFlightBytes = 0
    private(set) var isReadingPaused = false

    init(maxInFlightBytes: Int) {
        self.maxInFlightBytes = maxInFlightBytes
    }

    /// A request of `bytes` arrived.
    mutating func requestReceived(bytes: Int) -> [Action] {
        switch state {
        case .active: break
        case .draining: return [.reject]
        case .closed: return [.none]
        }
        inFlightRequests += 1
        inFlightBytes += bytes
        if inFlightBytes > maxInFlightBytes && !isReadingPaused {
            isReadingPaused = true
            return [.serve, .pauseReading]
        }
        return [.serve]
    }

    /// A request of `bytes` was answered (or needed no answer).
    mutating func requestCompleted(bytes: Int) -> Action {
        precondition(inFlightRequests > 0, "a request completed that was never received")
        inFlightRequests -= 1
        inFlightBytes -= bytes
        if state == .draining && inFlightRequests == 0 { return .close }
        if isReadingPaused && inFlightBytes <= maxInFlightBytes / 2 && state == .active {
            isReadingPaused = false
            return .resumeReading
        }
        return .none
    }

    /// The broker is shutting down, or the peer sent a bad frame: finish what is in flight, then close.
    mutating func drain() -> Action {
        guard state == .active else { return .none }
        state = .draining
        return inFlightRequests == 0 ? .close : .none
    }

    /// The channel closed.
    mutating func closed() {
        state = .closed
    }
}
