import BrokerProtocol
import NIOCore

/// What a ``ConnectionHandler`` serves requests with: the ``RequestRouter``, or a stand-in in tests.
protocol RequestServing: Sendable {
    /// Serves one request from the connection whose ``PushOutlet`` is `connection`. The future
    /// holds `nil` when no response is due.
    func handle(
        _ frame: RequestFrame,
        from connection: PushOutlet,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<ResponseFrame?>

    /// The bytes to count against the connection's in-flight limit while `frame` (of `bytes` on
    /// the wire) is served: at least `bytes`, plus the response a fetch may return.
    func reservation(for frame: RequestFrame, bytes: Int) -> Int
}
