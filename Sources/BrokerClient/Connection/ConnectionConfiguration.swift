import BrokerProtocol

/// How a ``BrokerConnection`` connects and waits.
public struct ConnectionConfiguration: Sendable {
    /// Sent in the handshake, for the broker's logs.
    public var clientName: String = "sluice-client"
    /// How long one connection attempt may take.
    public var connectTimeout: Duration = .seconds(5)
    /// How many times to try to connect before giving up (at least 1).
    public var connectAttempts: Int = 4
    /// The wait before the second attempt; it doubles after each failure.
    public var initialBackoff: Duration = .milliseconds(100)
    /// The longest wait between attempts.
    public var maxBackoff: Duration = .seconds(5)
    /// How long a request waits for its response (a fetch adds its long-polling time).
    public var requestTimeout: Duration = .seconds(30)
    /// How long a connection with no request waiting may stay open before the client closes it
    /// (the next request reconnects). Shorter than the broker's idle timeout (10 minutes by default),
    /// as Kafka's clients do, so that the broker never closes a connection just as a request is
    /// written to it. `nil` keeps connections open until the broker closes them.
    public var idleTimeout: Duration? = .seconds(540)
    /// The largest response frame accepted from the broker.
    public var maxResponseFrameBytes: Int = 64 << 20

    /// The defaults.
    public init() {}

    /// The wait after the failed attempt number `attempt` (0-based): `initialBackoff * 2^attempt`,
    /// at most `maxBackoff`.
    public func backoff(afterAttempt attempt: Int) -> Duration {
        var delay = initialBackoff
        for _ in 0..<min(attempt, 32) {
            delay *= 2
            if delay >= maxBackoff { return maxBackoff }
        }
        return min(delay, maxBackoff)
    }
}
