import ArgumentParser
import Broker
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import ToolSupport

/// `brokerd`: runs a Sluice broker until SIGTERM or SIGINT, then shuts down cleanly (stop
/// accepting, finish in-flight requests, flush, mark the clean shutdown) and exits 0.
@main
struct BrokerdCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "brokerd",
        abstract: "Run a Sluice broker.",
        discussion: """
            Listens for clients on --listen, keeps its data in --data-dir, and serves Prometheus \
            metrics (/metrics) and a health check (/healthz) over HTTP on --metrics-listen. At start \
            it raises its file-descriptor limit to the hard limit and lowers the connection and \
            partition limits not given explicitly until they fit in it (see docs/OPERATIONS.md).
            """,
        version: BrokerConfiguration.currentVersion
    )

    @Option(help: "Address for clients, HOST:PORT.")
    var listen = "127.0.0.1:7420"

    @Option(
        help:
            "Also serve Kafka clients (kafka-python, librdkafka, kcat) at HOST:PORT, e.g. 127.0.0.1:9092. Off unless given."
    )
    var kafkaListen: String?

    @Option(
        help: """
            How long the first rebalance of an empty Kafka classic group waits for more members \
            (milliseconds; Kafka's group.initial.rebalance.delay.ms, 0 to 300000).
            """
    )
    var kafkaInitialRebalanceDelayMs = Int(KafkaClassicGroupConfiguration().initialRebalanceDelayMilliseconds)

    @Option(help: "Directory for topics and their logs.")
    var dataDir = "./data"

    @Option(help: "Address for /metrics and /healthz, HOST:PORT.")
    var metricsListen = "127.0.0.1:7421"

    @Flag(help: "Create a topic on first use instead of answering 'unknown topic'.")
    var autoCreateTopics = false

    @Option(help: "Largest request frame in bytes.")
    var maxFrameBytes = BrokerLimits().maxFrameBytes

    @Option(help: "Largest record batch (message size limit) in bytes.")
    var maxMessageBytes = BrokerLimits().maxBatchBytes

    @Option(
        help:
            "Most open client connections (default \(BrokerLimits().maxConnections), lowered to fit the descriptor limit)."
    )
    var maxConnections: Int?

    @Option(
        help: """
            Bytes a connection may have in flight (requests being served, fetch responses reserved, \
            responses not yet written) before the broker stops reading it.
            """
    )
    var maxInFlightBytes = BrokerLimits().maxInFlightBytesPerConnection

    @Option(help: "Requests of one connection served at the same time; more wait and reading stops.")
    var maxInFlightRequests = BrokerLimits().maxInFlightRequestsPerConnection

    @Option(help: "Most partition entries (and fetch topics) in one produce, fetch or listOffsets request.")
    var maxEntriesPerRequest = BrokerLimits().maxEntriesPerRequest

    @Option(help: "Close a connection with nothing to do for this long (milliseconds).")
    var idleTimeoutMs = Int(BrokerConfiguration().idleTimeoutMilliseconds)

    @Option(help: "A frame begun must be complete within this long (milliseconds), or the connection closes.")
    var frameTimeoutMs = Int(BrokerConfiguration().frameTimeoutMilliseconds)

    @Option(help: "Most partitions per topic.")
    var maxPartitions = Int(BrokerLimits().maxPartitionsPerTopic)

    @Option(
        help:
            "Most partitions across all topics (default \(BrokerLimits().maxPartitionsTotal), lowered to fit the descriptor limit)."
    )
    var maxPartitionsTotal: Int?

    @Option(help: "Most topics (default \(BrokerLimits().maxTopics), at most the partitions across all topics).")
    var maxTopics: Int?

    @Option(help: "Smallest segment size a topic may ask for, in bytes.")
    var minSegmentBytes = BrokerLimits().minSegmentBytes

    @Option(help: "Flush appended data at least this often (milliseconds); durable produces always flush.")
    var flushIntervalMs = 1000

    @Option(
        help: """
            How long a message id is remembered (500ms, 30s, 2m, 1h, at most 7d): a retry with the same id \
            within it is answered with the first copy's offset; later it is stored again. It is the longest \
            time an outbox may take to retry a send without storing it twice.
            """
    )
    var duplicateWindow = DurationSyntax.format(.milliseconds(BrokerConfiguration().duplicateWindowMilliseconds))

    @Option(
        help: """
            Most pending schedules (delayed messages) across the broker; a schedule past it is refused \
            with limitExceeded (\(ScheduleSettings.maxPendingSchedulesRange.lowerBound) to \
            \(ScheduleSettings.maxPendingSchedulesRange.upperBound)).
            """
    )
    var maxPendingSchedules = ScheduleSettings().maxPendingSchedules

    @Option(
        help: """
            How long a fired schedule's id is remembered (1s to 365d), so that cancelling it answers \
            alreadyDelivered (later: unknown). Each id remembered takes about 1.4 bytes of memory (its run's \
            Bloom filter) and 34 of disk: 100 schedules a second for 7 days is 60 M ids, about 85 MB.
            """
    )
    var scheduleFiredIdRetention = DurationSyntax.format(.milliseconds(ScheduleSettings().firedIDRetentionMilliseconds))

    @OptionGroup(title: "Group, fetch, id and Kafka limits")
    var limits: LimitOptions

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    /// `--duplicate-window` in milliseconds, within ``BrokerConfiguration/duplicateWindowMillisecondsRange``.
    private func duplicateWindowMilliseconds() throws -> Int64 {
        try Self.milliseconds(
            duplicateWindow,
            flag: "--duplicate-window",
            in: BrokerConfiguration.duplicateWindowMillisecondsRange,
            described: "from 1ms to 7d"
        )
    }

    /// `--schedule-fired-id-retention` in milliseconds.
    private func firedIDRetentionMilliseconds() throws -> Int64 {
        try Self.milliseconds(
            scheduleFiredIdRetention,
            flag: "--schedule-fired-id-retention",
            in: ScheduleSettings.firedIDRetentionMillisecondsRange,
            described: "from 1s to 365d"
        )
    }

    /// A duration flag's value in milliseconds, refused unless it is in `range`.
    private static func milliseconds(
        _ text: String,
        flag: String,
        in range: ClosedRange<Int64>,
        described: String
    ) throws -> Int64 {
        guard let duration = DurationSyntax.parse(text),
            case let milliseconds = duration.components.seconds * 1000
                + duration.components.attoseconds / 1_000_000_000_000_000,
            range.contains(milliseconds)
        else {
            throw ValidationError("\(flag) must be \(DurationSyntax.expected), \(described), got '\(text)'")
        }
        return milliseconds
    }

    func validate() throws {
        _ = try HostAndPort(listen, option: "--listen")
        _ = try HostAndPort(metricsListen, option: "--metrics-listen")
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("unknown --log-level '\(logLevel)'")
        }
        for (name, value) in [
            ("--max-frame-bytes", maxFrameBytes), ("--max-message-bytes", maxMessageBytes),
            ("--max-connections", maxConnections ?? 1), ("--max-in-flight-bytes", maxInFlightBytes),
            ("--max-partitions", maxPartitions), ("--max-partitions-total", maxPartitionsTotal ?? 1),
            ("--max-topics", maxTopics ?? 1), ("--min-segment-bytes", minSegmentBytes),
            ("--flush-interval-ms", flushIntervalMs),
            ("--max-in-flight-requests", maxInFlightRequests), ("--max-entries-per-request", maxEntriesPerRequest),
            ("--idle-timeout-ms", idleTimeoutMs), ("--frame-timeout-ms", frameTimeoutMs),
        ] where value <= 0 {
            throw ValidationError("\(name) must be positive, got \(value)")
        }
        _ = try duplicateWindowMilliseconds()
        _ = try firedIDRetentionMilliseconds()
        if let kafkaListen { _ = try HostAndPort(kafkaListen, option: "--kafka-listen") }
        guard (0...300_000).contains(kafkaInitialRebalanceDelayMs) else {
            throw ValidationError(
                "--kafka-initial-rebalance-delay-ms must be from 0 to 300000, got \(kafkaInitialRebalanceDelayMs)"
            )
        }
        guard ScheduleSettings.maxPendingSchedulesRange.contains(maxPendingSchedules) else {
            throw ValidationError(
                "--max-pending-schedules must be from \(ScheduleSettings.maxPendingSchedulesRange.lowerBound) to "
                    + "\(ScheduleSettings.maxPendingSchedulesRange.upperBound), got \(maxPendingSchedules)"
            )
        }
        guard maxFrameBytes <= Int(UInt32.max) else {
            throw ValidationError("--max-frame-bytes must be at most \(UInt32.max), got \(maxFrameBytes)")
        }
        guard maxPartitions <= Int(Int32.max) else {
            throw ValidationError("--max-partitions must be at most \(Int32.max), got \(maxPartitions)")
        }
        guard (limits.maxFetchBytes ?? 0) < maxFrameBytes else {
            throw ValidationError("--max-fetch-bytes must be below --max-frame-bytes")
        }
        guard maxMessageBytes < maxFrameBytes else {
            throw ValidationError("--max-message-bytes must be below --max-frame-bytes")
        }
        guard minSegmentBytes <= BrokerLimits.segmentBytesLimit else {
            throw ValidationError("--min-segment-bytes must be at most \(BrokerLimits.segmentBytesLimit)")
        }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let metrics = BrokerMetricsFactory()
        MetricsSystem.bootstrap(metrics)
        let processMetrics = ProcessMetrics(registry: metrics.registry, version: BrokerConfiguration.currentVersion)
        let logger = Logger(label: "sluice.brokerd")

        let configuration = try makeConfiguration(logger: logger)
        let broker = BrokerServer(configuration: configuration, logger: logger)
        // Listen on both addresses before anything is created: a busy port stops here.
        let metricsAddress = try HostAndPort(metricsListen, option: "--metrics-listen")
        let http: MetricsHTTPServer
        do {
            http = try await MetricsHTTPServer.bind(
                host: metricsAddress.host,
                port: metricsAddress.port,
                registry: metrics.registry,
                beforeScrape: {
                    processMetrics.update()
                    // A scrape during start-up or shutdown shows the gauges as last set.
                    try? await broker.refreshOperationsMetrics()
                },
                isHealthy: { broker.localPort != nil },
                logger: logger
            )
        } catch {
            throw StartupFailure(listening: metricsListen, option: "--metrics-listen", error)
        }
        // The group handles SIGTERM / SIGINT from here on, also while the broker starts.
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: StartedBroker(broker: broker, address: listen)), .init(service: http)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }

    /// The broker's configuration from the flags, with the limits not given fitted to the
    /// descriptor limit (raised to the hard limit first); every decision is logged.
    private func makeConfiguration(logger: Logger) throws -> BrokerConfiguration {
        let address = try HostAndPort(listen, option: "--listen")
        var configuration = BrokerConfiguration(dataDirectory: dataDir, host: address.host, port: address.port)
        configuration.autoCreateTopics = autoCreateTopics
        if let kafkaListen {
            let kafka = try HostAndPort(kafkaListen, option: "--kafka-listen")
            configuration.kafkaListener = KafkaListenerConfiguration(
                host: kafka.host,
                port: kafka.port,
                groups: KafkaClassicGroupConfiguration(
                    initialRebalanceDelayMilliseconds: Int32(kafkaInitialRebalanceDelayMs)
                )
            )
        }
        configuration.flushIntervalMilliseconds = flushIntervalMs
        configuration.limits.maxFrameBytes = maxFrameBytes
        configuration.limits.maxBatchBytes = maxMessageBytes
        configuration.limits.maxInFlightBytesPerConnection = maxInFlightBytes
        configuration.limits.maxPartitionsPerTopic = Int32(maxPartitions)
        configuration.limits.maxInFlightRequestsPerConnection = maxInFlightRequests
        configuration.limits.maxEntriesPerRequest = maxEntriesPerRequest
        configuration.idleTimeoutMilliseconds = Int64(idleTimeoutMs)
        configuration.frameTimeoutMilliseconds = Int64(frameTimeoutMs)
        configuration.duplicateWindowMilliseconds = try duplicateWindowMilliseconds()
        configuration.limits.minSegmentBytes = minSegmentBytes
        configuration.schedules.maxPendingSchedules = maxPendingSchedules
        configuration.schedules.firedIDRetentionMilliseconds = try firedIDRetentionMilliseconds()
        limits.apply(to: &configuration)
        var explicit: DescriptorBudget.ExplicitLimits = []
        if let maxConnections {
            configuration.limits.maxConnections = maxConnections
            explicit.insert(.connections)
        }
        if let maxPartitionsTotal {
            configuration.limits.maxPartitionsTotal = maxPartitionsTotal
            explicit.insert(.partitions)
        }
        if let maxTopics {
            configuration.limits.maxTopics = maxTopics
            explicit.insert(.topics)
        }

        let descriptors = DescriptorLimit.raiseSoftLimit()
        if let failure = descriptors.failure {
            logger.warning(
                "could not raise the descriptor limit",
                metadata: ["limit": "\(descriptors.before)", "reason": "\(failure)"]
            )
        } else {
            logger.info(
                "descriptor limit",
                metadata: ["before": "\(descriptors.before)", "now": "\(descriptors.after)"]
            )
        }
        let budget: DescriptorBudget
        do {
            budget = try DescriptorBudget.fit(
                configuration.limits,
                descriptorLimit: descriptors.after,
                keeping: explicit
            )
        } catch {
            throw StartupFailure(message: BrokerError(error).message)
        }
        for decision in budget.decisions {
            if budget.isOverCommitted {
                logger.warning("descriptor budget: \(decision)")
            } else {
                logger.info("descriptor budget: \(decision)")
            }
        }
        configuration.limits = budget.limits
        logger.info("limits in force", metadata: configuration.limitsInForce)
        return configuration
    }
}

/// The broker as a service: starts it (a failure is a ``StartupFailure``), waits for graceful
/// shutdown (SIGTERM, SIGINT), then shuts it down cleanly.
struct StartedBroker: Service {
    let broker: BrokerServer
    /// `--listen`, for the error message.
    let address: String

    func run() async throws {
        do {
            try await broker.start()
        } catch let error as KafkaListenerBindError {
            try? await broker.shutdown()
            let kafka = error.configuration
            throw StartupFailure(listening: "\(kafka.host):\(kafka.port)", option: "--kafka-listen", error.underlying)
        } catch {
            try? await broker.shutdown()
            throw StartupFailure(starting: address, error)
        }
        try? await gracefulShutdown()
        try await broker.shutdown()
    }
}

/// `HOST:PORT`, as every address flag is written.
struct HostAndPort {
    var host: String
    var port: Int

    init(_ text: String, option: String) throws {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port), colon != text.startIndex
        else {
            throw ValidationError("\(option) must be HOST:PORT, got '\(text)'")
        }
        host = String(text[..<colon])
        self.port = port
    }
}
