import ArgumentParser
import Broker
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

/// `brokerd`: runs a Sluice broker until SIGTERM or SIGINT, then shuts down cleanly (stop
/// accepting, finish in-flight requests, flush, mark the clean shutdown) and exits 0.
@main
struct BrokerdCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "brokerd",
        abstract: "Run a Sluice broker.",
        discussion: """
            Listens for clients on --listen, keeps its data in --data-dir, and serves Prometheus \
            metrics (/metrics) and a health check (/healthz) over HTTP on --metrics-listen.
            """
    )

    @Option(help: "Address for clients, HOST:PORT.")
    var listen = "127.0.0.1:7420"

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

    @Option(help: "Most open client connections.")
    var maxConnections = BrokerLimits().maxConnections

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

    @Option(help: "Flush appended data at least this often (milliseconds); durable produces always flush.")
    var flushIntervalMs = 1000

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    func validate() throws {
        _ = try HostAndPort(listen, option: "--listen")
        _ = try HostAndPort(metricsListen, option: "--metrics-listen")
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("unknown --log-level '\(logLevel)'")
        }
        for (name, value) in [
            ("--max-frame-bytes", maxFrameBytes), ("--max-message-bytes", maxMessageBytes),
            ("--max-connections", maxConnections), ("--max-in-flight-bytes", maxInFlightBytes),
            ("--max-partitions", maxPartitions), ("--flush-interval-ms", flushIntervalMs),
            ("--max-in-flight-requests", maxInFlightRequests), ("--max-entries-per-request", maxEntriesPerRequest),
            ("--idle-timeout-ms", idleTimeoutMs), ("--frame-timeout-ms", frameTimeoutMs),
        ] where value <= 0 {
            throw ValidationError("\(name) must be positive, got \(value)")
        }
        guard maxFrameBytes <= Int(UInt32.max) else {
            throw ValidationError("--max-frame-bytes must be at most \(UInt32.max), got \(maxFrameBytes)")
        }
        guard maxPartitions <= Int(Int32.max) else {
            throw ValidationError("--max-partitions must be at most \(Int32.max), got \(maxPartitions)")
        }
        guard maxMessageBytes < maxFrameBytes else {
            throw ValidationError("--max-message-bytes must be below --max-frame-bytes")
        }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let prometheus = PrometheusMetricsFactory()
        MetricsSystem.bootstrap(prometheus)
        let logger = Logger(label: "sluice.brokerd")

        let address = try HostAndPort(listen, option: "--listen")
        var configuration = BrokerConfiguration(dataDirectory: dataDir, host: address.host, port: address.port)
        configuration.autoCreateTopics = autoCreateTopics
        configuration.flushIntervalMilliseconds = flushIntervalMs
        configuration.limits.maxFrameBytes = maxFrameBytes
        configuration.limits.maxBatchBytes = maxMessageBytes
        configuration.limits.maxConnections = maxConnections
        configuration.limits.maxInFlightBytesPerConnection = maxInFlightBytes
        configuration.limits.maxPartitionsPerTopic = Int32(maxPartitions)
        configuration.limits.maxInFlightRequestsPerConnection = maxInFlightRequests
        configuration.limits.maxEntriesPerRequest = maxEntriesPerRequest
        configuration.idleTimeoutMilliseconds = Int64(idleTimeoutMs)
        configuration.frameTimeoutMilliseconds = Int64(frameTimeoutMs)

        let broker = BrokerServer(configuration: configuration, logger: logger)
        let metricsAddress = try HostAndPort(metricsListen, option: "--metrics-listen")
        let http = MetricsHTTPServer(
            host: metricsAddress.host,
            port: metricsAddress.port,
            registry: prometheus.registry,
            isHealthy: { broker.localPort != nil },
            logger: logger
        )
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: broker), .init(service: http)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
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
