import BrokerProtocol

/// The request bookkeeping of one client connection: which correlation ids wait for a response.
///
/// Many requests may be in flight (pipelining) and the broker may answer them in any order; each
/// response is matched to its request by correlation id. A response whose id nobody waits for is
/// a protocol violation: the connection is closed and every waiting request fails. When the
/// connection closes, every waiting request fails.
///
/// The machine holds no I/O: ``ClientChannelHandler`` feeds it events and carries out the actions
/// it returns. `Pending` is whatever the handler needs to complete a request (a promise).
struct ConnectionStateMachine<Pending> {
    /// What the handler should do with a request it was asked to send.
    enum SendAction {
        /// Write the frame with this correlation id.
        case write(correlationID: UInt32)
        /// The connection is closed: fail the request (and its write) at once.
        case fail(Pending?, ClientError)
    }

    /// What the handler should do with a response frame.
    enum ReceiveAction {
        /// Complete this request with the frame.
        case succeed(Pending, ResponseFrame)
        /// A frame the broker sent unasked (``PushFrame``): hand it on.
        case push(PushFrame)
        /// The frame matched no request: close the connection, failing all of these.
        case closeAndFail([Pending], ClientError)
        /// The connection is already closed; drop the frame.
        case ignore
    }

    private enum State {
        case open
        case closed(ClientError)
    }

    private var state: State = .open
    private var pending: [UInt32: Pending] = [:]
    private var nextCorrelationID: UInt32

    /// Creates a machine whose first correlation id is `firstCorrelationID`.
    init(firstCorrelationID: UInt32 = 1) {
        self.nextCorrelationID = firstCorrelationID
    }

    /// How many requests wait for a response.
    var pendingCount: Int { pending.count }

    /// Whether the connection is still usable.
    var isOpen: Bool {
        if case .open = state { return true }
        return false
    }

    /// Registers a request that expects a response (`pending != nil`) or not (`pending == nil`,
    /// for example a produce with acks `none`) and gives it a correlation id.
    mutating func sendRequest(_ pending: Pending?) -> SendAction {
        if case .closed(let error) = state { return .fail(pending, error) }
        let correlationID = allocateCorrelationID()
        if let pending { self.pending[correlationID] = pending }
        return .write(correlationID: correlationID)
    }

    /// Matches a response to its request.
    mutating func receiveResponse(_ frame: ResponseFrame) -> ReceiveAction {
        guard case .open = state else { return .ignore }
        if frame.isPush {
            do {
                return .push(try PushFrame(frame))
            } catch {
                let error = ClientError(.protocolViolation, "the broker sent a malformed push: \(error)", cause: error)
                return .closeAndFail(close(error), error)
            }
        }
        if let request = pending.removeValue(forKey: frame.correlationID) {
            return .succeed(request, frame)
        }
        if frame.correlationID == 0 && frame.errorCode != .none {
            // A connection-level error (over maxConnections, a frame over the limit, a frame
            // timeout): the broker closes the connection after it; every waiting request fails
            // with the broker's own words.
            let error = ClientError.broker(frame.errorCode, frame.errorMessage)
            return .closeAndFail(close(error), error)
        }
        let error = ClientError(
            .protocolViolation,
            "the broker answered correlation id \(frame.correlationID), which no request is waiting for"
        )
        return .closeAndFail(close(error), error)
    }

    /// Removes a request that gave up waiting (it timed out); `nil` if it was already answered.
    mutating func abandonRequest(correlationID: UInt32) -> Pending? {
        pending.removeValue(forKey: correlationID)
    }

    /// Marks the connection closed and returns every request still waiting, to be failed with
    /// `error`. Later calls return nothing: each request fails once.
    mutating func close(_ error: ClientError) -> [Pending] {
        if case .open = state { state = .closed(error) }
        let failed = pending.sorted { $0.key < $1.key }.map(\.value)
        pending.removeAll()
        return failed
    }

    private mutating func allocateCorrelationID() -> UInt32 {
        // Skip ids still waiting: after 2^32 requests the counter wraps around.
        // Id 0 is the broker's for connection-level errors, 0xFFFFFFFF its pushes' (PushFrame).
        while nextCorrelationID == 0 || nextCorrelationID == PushFrame.correlationID
            || pending[nextCorrelationID] != nil
        {
            nextCorrelationID &+= 1
        }
        defer { nextCorrelationID &+= 1 }
        return nextCorrelationID
    }
}
