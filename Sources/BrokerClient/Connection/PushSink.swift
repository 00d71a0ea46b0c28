import BrokerProtocol
import NIOConcurrencyHelpers

/// Where a ``BrokerConnection`` hands the frames its broker sends unasked (``PushFrame``s, such as
/// consumer-group deliveries), with the session (one TCP connection) they came on: a
/// subscription lives on one session, and a new session after a reconnect starts without it.
final class PushSink: Sendable {
    /// Receives a push and the id of the session it came on; runs on that session's event loop.
    typealias Handler = @Sendable (PushFrame, _ session: UInt64) -> Void

    private let handler = NIOLockedValueBox<Handler?>(nil)

    /// Sets (or with `nil` removes) the handler; pushes that arrive without one are dropped.
    func setHandler(_ new: Handler?) {
        handler.withLockedValue { $0 = new }
    }

    func deliver(_ push: PushFrame, session: UInt64) {
        handler.withLockedValue { $0 }?(push, session)
    }
}
