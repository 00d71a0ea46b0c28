import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

extension BrokerConnection {
    /// Opens a connection for the duration of `body` and closes it afterwards, also when `body`
    /// throws: the connection belongs to this scope.
    ///
    /// Producers, consumers and admins made inside `body` borrow the connection (``Producer``,
    /// ``Consumer`` and ``Admin`` never close a transport they were given); close them (or let
    /// ``Producer/withProducer(transport:configuration:logger:isolation:_:)`` do it) before `body`
    /// returns. `body` runs on the caller's actor (`isolation`).
    public static func withConnection<Result>(
        to address: BrokerAddress,
        configuration: ConnectionConfiguration = ConnectionConfiguration(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "sluice.client"),
        isolation: isolated (any Actor)? = #isolation,
        _ body: (BrokerConnection) async throws -> Result
    ) async throws -> Result {
        let connection = BrokerConnection(
            address: address,
            configuration: configuration,
            eventLoopGroup: eventLoopGroup,
            logger: logger
        )
        let result: Swift.Result<Result, any Error>
        do {
            result = .success(try await body(connection))
        } catch {
            result = .failure(error)
        }
        await connection.close()
        return try result.get()
    }
}

/// A connection is a swift-service-lifecycle `Service`: in a `ServiceGroup`, it stays open until
/// the group shuts down and is then closed. Put it before the producers and consumers that use it,
/// since a group shuts its services down in reverse order: they finish first, the connection
/// closes last.
extension BrokerConnection: Service {
    /// Waits for a graceful shutdown (or the task's cancellation), then closes the connection.
    /// Requests may be sent before and while it runs; the connection opens on the first one.
    public func run() async throws {
        try? await gracefulShutdown()
        await close()
    }
}
