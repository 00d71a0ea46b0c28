import BrokerProtocol
import NIOConcurrencyHelpers

/// Where a ``BrokerConnection`` hands the frames its broker sends unasked (``PushFrame``s, such as
/// consumer-group deliveries), with the session (one TCP connection) they came on: a
/// subscription lives on one session, and a new session after a reconnect starts without it.
///
/// A `deliver` push goes to the subscriber registered for its session and subscription id; any
/// other push to the catch-all handler (tests). When a session's connection closes, every
/// subscriber of that session hears it once and is removed.
final class PushSink: Sendable {
    /// Receives a push and the id of the session it came on; runs on that session's event loop.
    typealias Handler = @Sendable (PushFrame, _ session: UInt64) -> Void

    /// A subscription's deliveries, and the end of its session.
    struct Subscriber: Sendable {
        var deliver: @Sendable (DeliverPush) -> Void
        var sessionClosed: @Sendable () -> Void
    }

    private struct Key: Hashable {
        var session: UInt64
        var subscription: UInt32
    }

    private struct State {
        var handler: Handler?
        var subscribers: [Key: Subscriber] = [:]
    }

    private let state = NIOLockedValueBox(State())

    /// Sets (or with `nil` removes) the catch-all handler.
    func setHandler(_ new: Handler?) {
        state.withLockedValue { $0.handler = new }
    }

    /// Routes the `deliver` pushes of `subscription` on `session` to `subscriber`.
    func subscribe(session: UInt64, subscription: UInt32, _ subscriber: Subscriber) {
        state.withLockedValue { $0.subscribers[Key(session: session, subscription: subscription)] = subscriber }
    }

    /// Stops routing a subscription's pushes.
    func unsubscribe(session: UInt64, subscription: UInt32) {
        _ = state.withLockedValue {
            $0.subscribers.removeValue(forKey: Key(session: session, subscription: subscription))
        }
    }

    func deliver(_ push: PushFrame, session: UInt64) {
        if push.apiKey == .deliver, let delivery = try? DeliverPush(push) {
            let key = Key(session: session, subscription: delivery.subscriptionID)
            if let subscriber = state.withLockedValue({ $0.subscribers[key] }) {
                subscriber.deliver(delivery)
                return
            }
        }
        state.withLockedValue { $0.handler }?(push, session)
    }

    /// The connection of `session` closed: its subscribers hear it once.
    func sessionClosed(_ session: UInt64) {
        let ended = state.withLockedValue { state -> [Subscriber] in
            let keys = state.subscribers.keys.filter { $0.session == session }
            return keys.compactMap { state.subscribers.removeValue(forKey: $0) }
        }
        for subscriber in ended { subscriber.sessionClosed() }
    }
}
