import KafkaProtocol
import LogStore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// The Kafka wire-protocol listener: a second server socket on the broker's own event loop group,
/// bound only when ``BrokerConfiguration/kafkaListener`` is set, whose connections are served by
/// ``KafkaConnectionHandler`` through a ``KafkaRouter`` over the broker's ``RequestRouter``.
///
/// It counts its connections against ``BrokerLimits/maxConnections`` with the native ones and
/// uses the same socket options and write-buffer water marks.
final class KafkaListener: Sendable {
    private let configuration: KafkaListenerConfiguration
    private let limits: BrokerLimits
    private let idleTimeout: TimeAmount
    private let connections: ConnectionRegistry
    private let router: KafkaRouter
    private let statistics: BrokerStatistics
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let state = NIOLockedValueBox<(server: (any Channel)?, connections: [ObjectIdentifier: any Channel])>(
        (nil, [:])
    )

    init(
        configuration: KafkaListenerConfiguration,
        limits: BrokerLimits,
        idleTimeout: TimeAmount,
        router: RequestRouter,
        connections: ConnectionRegistry,
        statistics: BrokerStatistics,
        eventLoopGroup: any EventLoopGroup,
        logger: Logger
    ) {
        self.configuration = configuration
        self.limits = limits
        self.idleTimeout = idleTimeout
        self.connections = connections
        self.router = KafkaRouter(
            router: router,
            coordinator: KafkaGroupCoordinator(
                loop: eventLoopGroup.next(),
                configuration: configuration.groups,
                clock: { currentTimeMilliseconds() }
            ),
            offsetLimits: configuration.offsets,
            logger: logger
        )
        self.statistics = statistics
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    /// The bound port, once bound.
    var localPort: Int? { state.withLockedValue { $0.server?.localAddress?.port } }

    /// Binds the socket without accepting yet (``startAccepting()`` does, once topics are loaded).
    /// - Throws: ``KafkaListenerBindError``.
    func bind() async throws {
        let channel: any Channel
        do {
            channel = try await makeBootstrap()
                .serverChannelOption(ChannelOptions.autoRead, value: false)
                .bind(host: configuration.host, port: configuration.port)
                .get()
        } catch {
            throw KafkaListenerBindError(configuration: configuration, underlying: error)
        }
        state.withLockedValue { $0.server = channel }
    }

    /// Starts accepting connections.
    func startAccepting() async throws {
        guard let server = state.withLockedValue({ $0.server }) else { return }
        try await server.setOption(ChannelOptions.autoRead, value: true).get()
        logger.info(
            "Kafka listener accepting",
            metadata: ["address": "\(server.localAddress.map { "\($0)" } ?? "?")"]
        )
    }

    /// Stops accepting. The connections are the broker's (``ConnectionRegistry``): a graceful
    /// shutdown drains them with the native ones.
    func stopAccepting() async {
        let server = state.withLockedValue { state in
            defer { state.server = nil }
            return state.server
        }
        try? await server?.close()
        // Joins and syncs the coordinator holds are answered NOT_COORDINATOR, so that they do not
        // hold the connections' drain; members find the coordinator again after the restart.
        _ = try? await router.coordinator.shutdown().get()
    }

    /// Stops accepting and closes every Kafka connection at once (a broker that failed to start).
    func close() async {
        await stopAccepting()
        for connection in state.withLockedValue({ Array($0.connections.values) }) { try? await connection.close() }
    }

    private func makeBootstrap() -> ServerBootstrap {
        let limits = self.limits
        let handlerLimits = KafkaConnectionHandler.Limits(
            maxFrameBytes: limits.maxFrameBytes,
            maxInFlightRequests: max(1, limits.maxInFlightRequestsPerConnection),
            maxInFlightBytes: max(1, limits.maxInFlightBytesPerConnection),
            maxFetchBytes: limits.maxFetchBytes,
            idleTimeout: idleTimeout
        )
        let connections = self.connections
        let router = self.router
        let statistics = self.statistics
        let logger = self.logger
        let state = self.state
        return ServerBootstrap.sluiceListener(group: eventLoopGroup, limits: limits)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard statistics.connectionOpened(limit: limits.maxConnections) else {
                        // Kafka has no frame to refuse a connection with: close it.
                        logger.warning("Kafka connection refused: maxConnections reached")
                        channel.close(promise: nil)
                        return
                    }
                    let id = ObjectIdentifier(channel)
                    state.withLockedValue { $0.connections[id] = channel }
                    statistics.kafkaConnectionChanged(by: 1)
                    channel.closeFuture.whenComplete { _ in
                        statistics.kafkaConnectionChanged(by: -1)
                        statistics.connectionClosed()
                        state.withLockedValue { _ = $0.connections.removeValue(forKey: id) }
                    }
                    try channel.pipeline.syncOperations.addHandler(
                        KafkaConnectionHandler(
                            router: router,
                            registry: connections,
                            limits: handlerLimits,
                            logger: logger
                        )
                    )
                }
            }
    }
}
