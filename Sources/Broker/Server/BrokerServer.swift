import BrokerProtocol
import LogStore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle

/// A Sluice broker, embeddable in any process: `brokerd` runs one, tests start one on an ephemeral
/// port.
///
/// ```swift
/// let server = BrokerServer(configuration: BrokerConfiguration(dataDirectory: dir, port: 0))
/// try await server.start()
/// print(server.localPort!)
/// try await server.shutdown()
/// ```
/// As a `Service` in a `ServiceGroup`, `run()` starts it, waits for graceful shutdown, then shuts it
/// down: stop accepting, finish in-flight requests, flush and close every log with its
/// clean-shutdown marker.
public final class BrokerServer: Service, Sendable {
    /// How long a graceful shutdown waits for in-flight requests before closing connections anyway.
    public static let drainTimeout: TimeAmount = .seconds(10)

    public let configuration: BrokerConfiguration
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let threadPool = NIOThreadPool(numberOfThreads: 2)
    /// The scheduler's own event loop: its work (taking schedules, firing) does not share a thread
    /// with connections and partitions, which decode, encode and append beside it.
    /// Created when the broker starts, shut down when it stops (or fails to start).
    private let schedulerLoopGroup = NIOLockedValueBox<MultiThreadedEventLoopGroup?>(nil)
    private let flushScheduler = FlushScheduler(flushObserver: BrokerMetrics.recordFlush)
    private let connections = ConnectionRegistry()
    private let statistics = BrokerStatistics()
    /// The router, once started (``refreshOperationsMetrics()``).
    private let router = NIOLockedValueBox<RequestRouter?>(nil)
    private let operationsMetrics = OperationsMetrics()
    private let state = NIOLockedValueBox<(channel: (any Channel)?, registry: TopicRegistry?, isStopped: Bool)>(
        (nil, nil, false)
    )

    /// Creates a broker; nothing happens until ``start()``.
    public init(
        configuration: BrokerConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "sluice.broker")
    ) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    /// The port the broker listens on, once started.
    public var localPort: Int? {
        state.withLockedValue { $0.channel?.localAddress?.port }
    }

    /// The port the Kafka listener listens on, once started with ``BrokerConfiguration/kafkaListener``.
    public var kafkaLocalPort: Int? {
        kafkaListener.withLockedValue { $0 }?.localPort
    }

    /// The Kafka wire-protocol listener, when configured.
    private let kafkaListener = NIOLockedValueBox<KafkaListener?>(nil)

    /// The consumer groups, once started (tests reach them through it).
    var groups: GroupManager? { groupManager.withLockedValue { $0 } }
    /// The scheduler, if it is open (tests).
    var scheduler: Scheduler? { schedulerHost.withLockedValue { $0 }?.current }

    /// The scheduler, opened now if it is not yet (tests).
    func openedScheduler() async throws -> Scheduler {
        guard let host = schedulerHost.withLockedValue({ $0 }) else {
            throw BrokerError(.shuttingDown, "the broker is not running")
        }
        return try await host.scheduler()
    }

    /// The topics, once started (tests reach the broker's parts through it).
    var topicRegistry: TopicRegistry? { state.withLockedValue { $0.registry } }

    /// The channels of the open client connections (tests inspect them).
    var openConnections: [any Channel] { connections.connections.map(\.channel) }

    /// What the open client connection from `port` (the client's port) holds; tests read it.
    func connectionLoad(peerPort port: Int) -> ConnectionLoad? {
        connections.connections.first { $0.channel.remoteAddress?.port == port }?.load
    }

    /// Where the broker is in its life: ``start()`` runs once, ``shutdown()`` ends it for good.
    private enum Phase {
        case new
        case starting
        case running
        case stopped
    }

    private let phase = NIOLockedValueBox(Phase.new)
    /// The consumer groups, once started.
    private let groupManager = NIOLockedValueBox<GroupManager?>(nil)
    /// Delayed delivery, once started.
    private let schedulerHost = NIOLockedValueBox<SchedulerHost?>(nil)

    /// Sets the gauges that are read when `/metrics` is scraped (group lag and in-flight, pending
    /// schedules, Kafka groups) from the broker's state now; call it before each scrape. Nothing
    /// happens before the broker has started.
    /// - Throws: what reading the state threw (a group loop or the scheduler shutting down).
    public func refreshOperationsMetrics() async throws {
        guard let router = router.withLockedValue({ $0 }) else { return }
        operationsMetrics.record(try await router.operationsSnapshot())
    }

    /// Listens (without accepting yet), opens every topic (recovering logs after an unclean stop),
    /// then accepts clients. A busy address fails before the data directory is touched.
    ///
    /// A broker starts once: calling `start()` again (or ``run()`` after `start()`, as a test does
    /// that needs ``localPort`` before adding the broker to a `ServiceGroup`) does nothing while it
    /// runs. After ``shutdown()``, or after a failed start, it throws `shuttingDown`: make a new
    /// `BrokerServer`.
    public func start() async throws {
        let previous = phase.withLockedValue { phase in
            defer { if phase == .new { phase = .starting } }
            return phase
        }
        switch previous {
        case .new: break
        case .starting, .running: return
        case .stopped: throw BrokerError(.shuttingDown, "this broker was shut down; start a new BrokerServer")
        }
        do {
            try await startNow()
            phase.withLockedValue { if $0 == .starting { $0 = .running } }
        } catch {
            // What it opened is released: a failed broker is not started again.
            phase.withLockedValue { $0 = .stopped }
            throw error
        }
    }

    private func startNow() async throws {
        // Before anything is touched: limits out of their ranges are the embedder's error.
        try configuration.kafkaListener?.offsets.validate()
        threadPool.start()
        let registry = TopicRegistry(
            configuration: configuration,
            eventLoopGroup: eventLoopGroup,
            threadPool: threadPool,
            flushScheduler: flushScheduler,
            logger: logger
        )
        let producerIDs = try ProducerIDAllocator(directory: configuration.dataDirectory)
        let router = RequestRouter(
            registry: registry,
            configuration: configuration,
            producerIDs: producerIDs,
            threadPool: threadPool,
            statistics: statistics,
            logger: logger
        )
        let channel: any Channel
        do {
            channel = try await makeBootstrap(router: router)
                .serverChannelOption(ChannelOptions.autoRead, value: false)
                .bind(host: configuration.host, port: configuration.port)
                .get()
        } catch {
            try? await threadPool.shutdownGracefully()
            throw error
        }
        let kafka = configuration.kafkaListener.map {
            KafkaListener(
                configuration: $0,
                limits: configuration.limits,
                idleTimeout: .milliseconds(configuration.idleTimeoutMilliseconds),
                router: router,
                connections: connections,
                statistics: statistics,
                eventLoopGroup: eventLoopGroup,
                logger: logger
            )
        }
        do {
            try await kafka?.bind()
        } catch {
            await kafka?.close()
            try? await channel.close()
            try? await threadPool.shutdownGracefully()
            throw error
        }
        let groups: GroupManager
        let schedules = makeSchedulerHost(registry: registry, producerIDs: producerIDs)
        do {
            try await registry.load()
            groups = try await openGroups(registry: registry, producerIDs: producerIDs)
            if PosixFileIO.shared.exists(configuration.dataDirectory + "/" + Scheduler.directoryName) {
                _ = try await schedules.scheduler()
            }
        } catch {
            await schedules.current?.close()
            await kafka?.close()
            try? await channel.close()
            await registry.closeAll()
            try? await threadPool.shutdownGracefully()
            try? await schedulerLoopGroup.withLockedValue { $0 }?.shutdownGracefully()
            throw error
        }
        router.groupManager.withLockedValue { $0 = groups }
        self.router.withLockedValue { $0 = router }
        router.schedules.withLockedValue { $0 = schedules }
        state.withLockedValue { $0 = (channel, registry, false) }
        groupManager.withLockedValue { $0 = groups }
        schedulerHost.withLockedValue { $0 = schedules }
        kafkaListener.withLockedValue { $0 = kafka }
        try await channel.setOption(ChannelOptions.autoRead, value: true).get()
        try await kafka?.startAccepting()
        logger.info(
            "broker listening",
            metadata: [
                "address": "\(channel.localAddress.map { "\($0)" } ?? "?")",
                "dataDirectory": "\(configuration.dataDirectory)",
            ]
        )
    }

    /// The scheduler, opened (on the thread pool) and settled when first needed.
    private func makeSchedulerHost(registry: TopicRegistry, producerIDs: ProducerIDAllocator) -> SchedulerHost {
        let directory = configuration.dataDirectory + "/" + Scheduler.directoryName
        let configuration = self.configuration
        let flushScheduler = self.flushScheduler
        let threadPool = self.threadPool
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        schedulerLoopGroup.withLockedValue { $0 = group }
        let loop = group.next()
        let logger = self.logger
        return SchedulerHost {
            let scheduler = try await threadPool.runIfActive {
                try Scheduler.open(
                    directory: directory,
                    settings: configuration.schedules,
                    limits: configuration.limits,
                    registry: registry,
                    issued: { producerIDs.issued },
                    loop: loop,
                    flushScheduler: flushScheduler,
                    logger: logger
                )
            }
            await scheduler.settle()
            return scheduler
        }
    }

    /// The consumer groups: their state log is opened (replayed, on the thread pool) now if it
    /// exists, else when the first group is created.
    private func openGroups(registry: TopicRegistry, producerIDs: ProducerIDAllocator) async throws -> GroupManager {
        let directory = configuration.dataDirectory + "/" + GroupStateStore.directoryName
        let scheduler = flushScheduler
        let logger = self.logger
        let threadPool = self.threadPool
        let open: @Sendable () async throws -> GroupStateStore = {
            try await threadPool.runIfActive {
                try GroupStateStore.open(directory: directory, flushScheduler: scheduler, logger: logger)
            }
        }
        let exists = PosixFileIO.shared.exists(directory)
        return GroupManager(
            store: exists ? try await open() : nil,
            openStore: open,
            registry: registry,
            deadLetters: DeadLetterWriter(registry: registry, issued: { producerIDs.issued }),
            eventLoopGroup: eventLoopGroup,
            logger: logger,
            limits: configuration.limits
        )
    }

    private func makeBootstrap(router: RequestRouter) -> ServerBootstrap {
        let configuration = self.configuration
        let limits = configuration.limits
        let statistics = self.statistics
        let connections = self.connections
        let logger = self.logger
        let timeouts = ConnectionHandler.Timeouts(
            idle: .milliseconds(configuration.idleTimeoutMilliseconds),
            frame: .milliseconds(configuration.frameTimeoutMilliseconds)
        )
        return ServerBootstrap.sluiceListener(group: eventLoopGroup, limits: limits)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard statistics.connectionOpened(limit: limits.maxConnections) else {
                        try channel.pipeline.syncOperations.addHandler(
                            RefusedConnectionHandler(maxConnections: limits.maxConnections)
                        )
                        return
                    }
                    channel.closeFuture.whenComplete { _ in statistics.connectionClosed() }
                    try channel.pipeline.syncOperations.addHandler(
                        ConnectionHandler(
                            server: router,
                            registry: connections,
                            limits: .init(
                                maxInFlightBytes: max(1, limits.maxInFlightBytesPerConnection),
                                maxInFlightRequests: max(1, limits.maxInFlightRequestsPerConnection)
                            ),
                            maxFrameBytes: limits.maxFrameBytes,
                            timeouts: timeouts,
                            logger: logger
                        )
                    )
                }
            }
    }

    /// Stops accepting, lets in-flight requests finish (up to ``drainTimeout``), closes every
    /// connection and every log (flush, checkpoint, clean-shutdown marker).
    public func shutdown() async throws {
        phase.withLockedValue { $0 = .stopped }
        let (channel, registry, wasStopped) = state.withLockedValue { state in
            defer { state.isStopped = true }
            return (state.channel, state.registry, state.isStopped)
        }
        guard !wasStopped else { return }
        logger.info("broker shutting down")
        try? await channel?.close()
        await kafkaListener.withLockedValue { $0 }?.stopAccepting()
        registry?.endLongPolls()
        let groups = groupManager.withLockedValue { $0 }
        // Groups stop dispatching first; members' in-flight requests (acks) are still answered,
        // and members that the shutdown disconnects are not counted as failed deliveries.
        await groups?.close()
        connections.drainAll()
        let deadline = NIODeadline.now() + Self.drainTimeout
        while connections.count > 0 && NIODeadline.now() < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        connections.closeAll()
        // Fires in flight finish (they append to partitions, closed below).
        await schedulerHost.withLockedValue { $0 }?.current?.close()
        if let groups {
            do {
                try groups.store?.close()
            } catch {
                logger.error("group state log not closed cleanly", metadata: ["error": "\(error)"])
            }
        }
        await registry?.closeAll()
        flushScheduler.shutdown()
        try await threadPool.shutdownGracefully()
        try? await schedulerLoopGroup.withLockedValue { $0 }?.shutdownGracefully()
        logger.info("broker stopped")
    }

    /// Starts (unless ``start()`` already did), runs until graceful shutdown (SIGTERM / SIGINT in a
    /// `ServiceGroup`), then shuts down.
    public func run() async throws {
        try await start()
        try? await gracefulShutdown()
        try await shutdown()
    }
}
