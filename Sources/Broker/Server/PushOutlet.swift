import BrokerProtocol
import NIOConcurrencyHelpers
import NIOCore

/// The way back to one client connection for frames the broker sends without being asked
/// (pushes, such as consumer-group deliveries), usable from any thread.
///
/// A push is written on the connection's event loop and goes out as soon as the socket takes it.
/// Pushes are not counted against the connection's in-flight limits (they would hold back the
/// acknowledgements that make room for more); whoever pushes bounds them instead (a group member's
/// credits) and stops while ``isWritable`` is false (the channel's write buffer is over its high
/// water mark), resuming on ``whenWritable(_:)``.
final class PushOutlet: Sendable {
    private struct State {
        var isWritable = true
        var isClosed = false
        var closeCallbacks: [@Sendable () -> Void] = []
        var writableCallbacks: [@Sendable () -> Void] = []
        /// Writes a frame on the connection's loop; `nil` once the connection's handler is gone.
        var writer: (@Sendable (ResponseFrame) -> Void)?
    }

    /// Identifies the connection while the broker runs (for logs and group membership).
    let connectionID: UInt64
    /// The connection's event loop.
    let eventLoop: any EventLoop
    private let state = NIOLockedValueBox(State())

    /// The client's address, for people (`describeGroup`).
    let peer: String

    init(connectionID: UInt64, eventLoop: any EventLoop, peer: String = "?") {
        self.connectionID = connectionID
        self.eventLoop = eventLoop
        self.peer = peer
    }

    /// Whether the connection's write buffer has room (below its high water mark).
    var isWritable: Bool { state.withLockedValue { $0.isWritable && !$0.isClosed } }

    /// Callbacks waiting for the connection to be writable (tests check that they stay bounded).
    var writableCallbackCount: Int { state.withLockedValue { $0.writableCallbacks.count } }

    /// Whether the connection has closed.
    var isClosed: Bool { state.withLockedValue { $0.isClosed } }

    /// Sends `frame` to the client; dropped if the connection has closed.
    func push(_ frame: ResponseFrame) {
        guard let writer = state.withLockedValue({ $0.isClosed ? nil : $0.writer }) else { return }
        writer(frame)
    }

    /// Runs `callback` once when the connection closes (at once if it has).
    func onClose(_ callback: @escaping @Sendable () -> Void) {
        let isClosed = state.withLockedValue { state in
            if !state.isClosed { state.closeCallbacks.append(callback) }
            return state.isClosed
        }
        if isClosed { callback() }
    }

    /// Runs `callback` once when the connection is writable again (at once if it is, or if it has
    /// closed: the caller then finds it closed).
    func whenWritable(_ callback: @escaping @Sendable () -> Void) {
        let now = state.withLockedValue { state in
            let now = state.isWritable || state.isClosed
            if !now { state.writableCallbacks.append(callback) }
            return now
        }
        if now { callback() }
    }

    // MARK: For the connection's handler

    /// Connects the outlet to the handler's write path.
    func attach(writer: @escaping @Sendable (ResponseFrame) -> Void) {
        state.withLockedValue { $0.writer = writer }
    }

    func writabilityChanged(isWritable: Bool) {
        let callbacks = state.withLockedValue { state in
            state.isWritable = isWritable
            guard isWritable else { return [@Sendable () -> Void]() }
            defer { state.writableCallbacks.removeAll() }
            return state.writableCallbacks
        }
        for callback in callbacks { callback() }
    }

    /// The connection closed: later pushes are dropped, close callbacks run (and writable ones, so
    /// that nobody waits for a connection that is gone).
    func closed() {
        let callbacks = state.withLockedValue { state in
            guard !state.isClosed else { return [@Sendable () -> Void]() }
            state.isClosed = true
            state.writer = nil
            defer {
                state.closeCallbacks.removeAll()
                state.writableCallbacks.removeAll()
            }
            return state.closeCallbacks + state.writableCallbacks
        }
        for callback in callbacks { callback() }
    }
}
