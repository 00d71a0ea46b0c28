import BrokerProtocol
import LogStore
import RecordCodec

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
    /// A second record with the same message id within this window is dropped. Default 2 minutes
    /// (`brokerd --duplicate-window`, within ``duplicateWindowMillisecondsRange``).
    public var duplicateWindowMilliseconds: Int64 = 120_000
    /// The windows `brokerd` accepts: 1 ms to 7 days. Ids are also bounded by
    /// `BrokerLimits.maxMessageIDBytesPerPartition` and, across a restart, by `stateRecoveryBytes`,
    /// so a longer window would promise what the broker cannot keep.
    public static let duplicateWindowMillisecondsRange: ClosedRange<Int64> = 1...(7 * 24 * 3_600_000)
    /// A batch whose largest timestamp is more than this after the broker's clock is refused
    /// with `invalidTimestamp` (Kafka's `message.timestamp.after.max.ms`, whose default is also
    /// one hour). Default 1 hour.
    public var maxTimestampAheadMilliseconds: Int64 = 3_600_000
    /// At start-up each partition re-reads about this many bytes of its log's tail to rebuild its
    /// idempotent-producer state and message-id window, so that a retry crossing a restart is still
    /// recognised. Default 64 MiB.
    public var stateRecoveryBytes: Int64 = 64 << 20
    /// The Kafka wire-protocol listener (docs/KAFKA.md), beside the native one; `nil` (the
    /// default) serves no Kafka clients.
    public var kafkaListener: KafkaListenerConfiguration? = nil
    /// The named limits.
    public var limits = BrokerLimits()
    /// Delayed delivery: the scheduler's limits and sizes (docs/SCHEDULES.md).
    public var schedules = ScheduleSettings()
    /// The broker's version string, announced in the handshake and status.
    public var version = BrokerConfiguration.currentVersion
    /// This build's version (`brokerd --version`, `sluice_build_info`).
    public static let currentVersion = "0.1.0"

    // MARK: Connection timeouts (network)

    /// A connection with nothing to do (no request in flight or queued, no response waiting to be
    /// written, no partial frame) for this long is closed without a word, as Kafka's
    /// `connections.max.idle.ms` does. Default 10 minutes.
    public var idleTimeoutMilliseconds: Int64 = 10 * 60_000
    /// Once the first byte of a frame has arrived, the rest must arrive within this long, or the
    /// broker answers `requestTimedOut` (correlation id 0) and closes the connection: a client that
    /// trickles bytes or announces a large frame and never sends it cannot hold a connection. The
    /// clock does not run while the broker itself holds back reading (back-pressure). Default 30 s.
    public var frameTimeoutMilliseconds: Int64 = 30_000

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
    /// The most bytes the records of one compressed (gzip) batch may decompress to. A produced
    /// batch over it is refused with `recordBatchTooLarge` as soon as decompression passes it (a
    /// "zip bomb" is never inflated whole); the broker's own readers (group delivery, dead
    /// letters) read stored batches with the same bound. Default 32 MiB, four times
    /// ``maxBatchBytes``' default.
    public var maxDecompressedBatchBytes: Int = RecordBatch.defaultMaxDecompressedBytes
    /// Open client connections; more are closed at once. Default 10,000.
    public var maxConnections: Int = 10_000
    /// Bytes a connection may have in flight: the request bytes of the requests being served, the
    /// response bytes a fetch may return (its `maxBytes`, capped by ``maxFetchBytes``) reserved
    /// while it is served, and the response bytes not yet written to the socket. A request that
    /// would go over waits (unless nothing else is in flight) and the broker stops reading from
    /// the connection until responses drain (back-pressure). Default 64 MiB.
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
    /// Memory for the message ids a partition remembers for deduplication, counting each id's
    /// bytes plus 96 bytes of bookkeeping; when full, the oldest ids are forgotten before the
    /// duplicate window ends. Default 16 MiB (about 120,000 ids of 36 bytes).
    public var maxMessageIDBytesPerPartition: Int = 16 << 20
    /// The longest message id accepted; a record with a longer one fails its produce entry with
    /// `invalidRequest`. Default 1 KiB.
    public var maxMessageIDBytes: Int = 1024
    /// Idempotent producers remembered per partition; the least recently used go first. Default 10,000.
    public var maxProducersPerPartition: Int = 10_000

    // MARK: Consumer groups (Sluice's own; Kafka's classic groups have KafkaClassicGroupConfiguration)

    /// Sluice consumer groups the broker holds; subscribing to a new group beyond it is answered
    /// `limitExceeded` (delete unused groups with `brokerctl groups delete`). Default 10,000.
    public var maxGroups: Int = 10_000
    /// Members (subscriptions) of one Sluice group at once; one more is answered `limitExceeded`.
    /// Default 1,000.
    public var maxMembersPerGroup: Int = 1_000
    /// Subscriptions one connection holds at once, across groups; one more is answered
    /// `limitExceeded`. Default 64.
    public var maxSubscriptionsPerConnection: Int = 64
    /// Group state events a partition of a group keeps in memory while the group state log
    /// refuses them (a full disk), to write them first once it takes appends again; past it the
    /// oldest are dropped, and what they recorded (an ack, a failure) comes back after a restart.
    /// A partition that cannot write hands out nothing, so its events grow only with what was in
    /// flight. Default 100,000.
    public var maxUnwrittenGroupEventsPerPartition: Int = 100_000
    /// Credits one group member may hold (what it may be sent before it asks for more); a
    /// `credit` past it is answered `limitExceeded` and adds nothing, a larger `initialCredits` is
    /// taken as this. Bounds the deliveries queued for one member. Default 1,000,000
    /// (`brokerd --max-credits-per-member`).
    public var maxCreditsPerMember: Int = 1_000_000

    // MARK: Per-connection and per-request limits (network)

    /// Requests of one connection served at the same time; more wait, in order, and the broker
    /// stops reading from the connection until one completes. Default 128.
    public var maxInFlightRequestsPerConnection: Int = 128
    /// Entries (partitions, across all topics) in one produce, fetch or listOffsets request, and
    /// topics in one fetch. A request over it is answered `limitExceeded` without being served.
    /// Default 4,096.
    public var maxEntriesPerRequest: Int = 4096
    /// The connection's write buffer high watermark: once this many response bytes wait to be
    /// written to the socket, the channel turns unwritable and the broker stops reading from it
    /// until they drain below ``writeBufferLowWaterMarkBytes``. Default 1 MiB.
    public var writeBufferHighWaterMarkBytes: Int = 1 << 20
    /// The connection's write buffer low watermark. Default 512 KiB.
    public var writeBufferLowWaterMarkBytes: Int = 512 << 10

    public init() {}
}
