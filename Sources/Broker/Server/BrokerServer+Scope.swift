import Logging
import NIOCore
import NIOPosix

extension BrokerServer {
    /// Starts a broker for the duration of `body` and shuts it down afterwards (also when `body`
    /// throws): the broker belongs to this scope. With `port: 0` in the configuration it listens on
    /// an ephemeral port, ``localPort``. `body` runs on the caller's actor (`isolation`).
    ///
    /// Close the connections made to it inside `body` (``BrokerClient``'s `withConnection` does):
    /// shutting down waits for them up to ``drainTimeout``.
    public static func withServer<Result>(
        configuration: BrokerConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "sluice.broker"),
        isolation: isolated (any Actor)? = #isolation,
        _ body: (BrokerServer) async throws -> Result
    ) async throws -> Result {
        let server = BrokerServer(configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger)
        // A failed start releases what it opened itself.
        try await server.start()
        let result: Swift.Result<Result, any Error>
        do {
            result = .success(try await body(server))
        } catch {
            result = .failure(error)
        }
        try await server.shutdown()
        return try result.get()
    }
}
