import BrokerProtocol
import LogStore

/// Everything a broker needs to start: where to listen, where the data lives, topic defaults and
/// every limit, each named here.
public struct BrokerConfiguration: Sendable {
    /// The address to listen on. Default `127.0.0.1`.
    public var host: String = "127.0.0.1"
    /// The port to listen on; `0` picks an ephemeral port (tests). Default 7420.
    public var port: Int = 7420
    /// The data directory: one subdirectory per topic. Default `./data`.
    public var dataDirectory: String = "./data"
    /// Create a topic on first produce or fetch when it does not exist. Default off.
    public var autoCreateTopics = false
    /// Partitions of an auto-created topic.
    public var defaultPartitionCount: Int32 = 1
    /// Topic defaults (retention, segment size) for topics created without them.
    public var topicDefaults = TopicDefaults()
    /// When appended bytes reach the disk without a `durable` produce asking: every
    /// `flushIntervalMilliseconds` (LogStore's `interval` policy). `durable` produces always flush.
    public var flushIntervalMilliseconds = 1000
    /// How often each partition applies retention.
    public var retentionCheckIntervalMilliseconds: Int64 = 5 * 60_000
    /// A second record with the same message id within this window is dropped. Default 2 minutes.
    public var duplicateWindowMilliseconds: Int64 = 120_000
    /// At start-up each partition re-reads about this many bytes of its log's tail to rebuild its
    /// idempotent-producer state and message-id window, so that a retry crossing a restart is still
    /// recognised. Default 64 MiB.
    public var stateRecoveryBytes: Int64 = 64 << 20
    /// The named limits.
    public var limits = BrokerLimits()
    /// The broker's version string, announced in the handshake and status.
    public var version = BrokerConfiguration.currentVersion
    /// This build's version (`brokerd --version`, `sluice_build_info`).
    public static let currentVersion = "0.1.0"

    /// The defaults above, with `dataDirectory` and `port` set.
    public init(dataDirectory: String = "./data", host: String = "127.0.0.1", port: Int = 7420) {
        self.dataDirectory = dataDirectory
        self.host = host
        self.port = port
    }
}

/// Retention and segment size for topics that do not set their own.
public struct TopicDefaults: Sendable, Hashable {
    /// Default 7 days; `nil` keeps forever.
    public var retentionMilliseconds: Int64? = 7 * 24 * 3_600_000
    /// Default no size limit.
    public var retentionBytes: Int64? = nil
    /// Default 1 GiB.
    public var segmentBytes: Int = 1 << 30

    public init() {}
}

/// Every bound the broker enforces, in one place. Reaching one gives a clear error, never
/// unbounded memory.
public struct BrokerLimits: Sendable, Hashable {
    /// The largest frame accepted (the length field). Larger frames get `frameTooLarge` and the
    /// connection closes. Default 16 MiB.
    public var maxFrameBytes: Int = Frame.defaultMaxFrameBytes
    /// The largest record batch accepted. Default 8 MiB.
    public var maxBatchBytes: Int = 8 << 20
    /// Open client connections; more are closed at once. Default 10,000.
    public var maxConnections: Int = 10_000
    /// Request bytes a connection may have in flight before the broker stops reading from it
    /// until responses go out (back-pressure). Default 64 MiB.
    public var maxInFlightBytesPerConnection: Int = 64 << 20
    /// Partitions per topic. Default 1,024.
    public var maxPartitionsPerTopic: Int32 = 1024
    /// Topics. Default 10,000.
    public var maxTopics: Int = 10_000
    /// Partitions across all topics: each open partition holds file descriptors (see
    /// ``DescriptorBudget``). Default 10,000.
    public var maxPartitionsTotal: Int = 10_000
    /// The largest `segmentBytes` (segments stay under 2 GiB: a file position fits the index's 4-byte field).
    public static let segmentBytesLimit = LogConfiguration.segmentBytesLimit
    /// The smallest `segmentBytes` a topic may ask for: each segment costs descriptors and index
    /// files, so tiny segments would let one client exhaust them. Default 1 MiB.
    public var minSegmentBytes: Int = 1 << 20
    /// The longest long-poll wait a fetch may ask for. Default 30 s.
    public var maxFetchWaitMilliseconds: UInt32 = 30_000
    /// The most record bytes one fetch response carries. Default 16 MiB minus headroom.
    public var maxFetchBytes: Int = (16 << 20) - (64 << 10)
    /// Message ids remembered per partition for deduplication; the oldest go first. Default 100,000.
    public var maxMessageIDsPerPartition: Int = 100_000
    /// Idempotent producers remembered per partition; the least recently used go first. Default 10,000.
    public var maxProducersPerPartition: Int = 10_000

    public init() {}
}
