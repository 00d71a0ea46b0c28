import Metrics

/// Every metric the broker exports through swift-metrics: its name (base units last, as
/// Prometheus expects), its kind, its labels and its help text. `brokerd`'s metrics factory
/// attaches the help text (`# HELP`) and the histogram buckets; docs/OPERATIONS.md lists them.
///
/// Metrics are created once with fixed labels: broker-wide ones here, per-partition ones by
/// ``PartitionMetrics`` (and destroyed with their partition, so a deleted topic's series go), a
/// running group's counters by ``GroupMetrics`` (destroyed with the group), and the gauges read at
/// scrape time (group lag and in flight, pending schedules, Kafka groups) by ``OperationsMetrics``
/// from an ``OperationsSnapshot`` (``BrokerServer/refreshOperationsMetrics()``).
public enum BrokerMetrics {
    /// What a metric measures.
    public enum Kind: String, Sendable {
        /// A value that only goes up (swift-metrics `Counter`).
        case counter
        /// A value that goes up and down (swift-metrics `Gauge` / `Meter`).
        case gauge
        /// Durations, in seconds (swift-metrics `Timer`).
        case durationHistogram
    }

    /// One metric's description.
    public struct Description: Sendable, Hashable {
        /// The metric's name.
        public var name: String
        /// Its kind.
        public var kind: Kind
        /// Its label names.
        public var labels: [String]
        /// The `# HELP` text.
        public var help: String
    }

    /// Histogram buckets for durations: 100 µs to 10 s.
    public static let durationBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .microseconds(2500),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .microseconds(2_500_000), .seconds(5), .seconds(10),
    ]

    /// `sluice_connections`.
    public static let connections = "sluice_connections"
    /// `sluice_refused_connections_total`.
    public static let refusedConnections = "sluice_refused_connections_total"
    /// `sluice_request_duration_seconds`.
    public static let requestDuration = "sluice_request_duration_seconds"
    /// `sluice_fetch_wait_seconds`.
    public static let fetchWait = "sluice_fetch_wait_seconds"
    /// `sluice_log_flush_duration_seconds`.
    public static let logFlushDuration = "sluice_log_flush_duration_seconds"
    /// `sluice_log_flush_failures_total`.
    public static let logFlushFailures = "sluice_log_flush_failures_total"
    /// `sluice_appended_records_total`.
    public static let appendedRecords = "sluice_appended_records_total"
    /// `sluice_appended_bytes_total`.
    public static let appendedBytes = "sluice_appended_bytes_total"
    /// `sluice_fetched_bytes_total`.
    public static let fetchedBytes = "sluice_fetched_bytes_total"
    /// `sluice_log_end_offset`.
    public static let logEndOffset = "sluice_log_end_offset"
    /// `sluice_log_start_offset`.
    public static let logStartOffset = "sluice_log_start_offset"
    /// `sluice_partition_size_bytes`.
    public static let partitionSize = "sluice_partition_size_bytes"
    /// `sluice_partition_segments`.
    public static let partitionSegments = "sluice_partition_segments"
    /// `sluice_group_lag_messages`.
    public static let groupLag = "sluice_group_lag_messages"
    /// `sluice_group_in_flight_messages`.
    public static let groupInFlight = "sluice_group_in_flight_messages"
    /// `sluice_group_redeliveries_total`.
    public static let groupRedeliveries = "sluice_group_redeliveries_total"
    /// `sluice_group_dead_letters_total`.
    public static let groupDeadLetters = "sluice_group_dead_letters_total"
    /// `sluice_pending_schedules`.
    public static let pendingSchedules = "sluice_pending_schedules"
    /// `sluice_schedule_memtable_entries`.
    public static let scheduleMemtableEntries = "sluice_schedule_memtable_entries"
    /// `sluice_schedule_lateness_seconds`.
    public static let scheduleLateness = "sluice_schedule_lateness_seconds"
    /// `sluice_kafka_connections`.
    public static let kafkaConnections = "sluice_kafka_connections"
    /// `sluice_kafka_groups`.
    public static let kafkaGroups = "sluice_kafka_groups"

    /// Every metric the broker library creates.
    public static let all: [Description] = [
        .init(name: connections, kind: .gauge, labels: [], help: "Open client connections."),
        .init(
            name: refusedConnections,
            kind: .counter,
            labels: [],
            help: "Client connections closed at once because maxConnections was reached."
        ),
        .init(
            name: requestDuration,
            kind: .durationHistogram,
            labels: ["api"],
            help: "Time from a decoded request to its response being ready, per API; "
                + "a long-polling fetch's waiting is not included (see sluice_fetch_wait_seconds)."
        ),
        .init(
            name: fetchWait,
            kind: .durationHistogram,
            labels: [],
            help: "Time long-polling fetches spent waiting for data or their maxWait, per fetch that waited."
        ),
        .init(
            name: logFlushDuration,
            kind: .durationHistogram,
            labels: [],
            help: "Time one log flush took on the flush thread: an fdatasync of each file with unsynced "
                + "writes, plus the directory and the checkpoint when needed (the broker's fsync latency)."
        ),
        .init(
            name: logFlushFailures,
            kind: .counter,
            labels: [],
            help: "Log flushes that failed; the log then refuses appends until the broker restarts."
        ),
        .init(
            name: appendedRecords,
            kind: .counter,
            labels: ["topic", "partition"],
            help: "Records appended to the partition."
        ),
        .init(
            name: appendedBytes,
            kind: .counter,
            labels: ["topic", "partition"],
            help: "Record batch bytes appended to the partition."
        ),
        .init(
            name: fetchedBytes,
            kind: .counter,
            labels: ["topic", "partition"],
            help: "Record batch bytes returned by fetches from the partition."
        ),
        .init(
            name: logEndOffset,
            kind: .gauge,
            labels: ["topic", "partition"],
            help: "The partition's log end offset: the offset the next record gets."
        ),
        .init(
            name: logStartOffset,
            kind: .gauge,
            labels: ["topic", "partition"],
            help: "The partition's first readable offset (it moves when retention deletes segments)."
        ),
        .init(
            name: partitionSize,
            kind: .gauge,
            labels: ["topic", "partition"],
            help: "Bytes of the partition's segment files."
        ),
        .init(
            name: partitionSegments,
            kind: .gauge,
            labels: ["topic", "partition"],
            help: "Segments of the partition."
        ),
        .init(
            name: groupLag,
            kind: .gauge,
            labels: ["group", "topic", "partition"],
            help: "Messages of the partition the group has not finished: log end offset minus the committed "
                + "offset (a Kafka group's committed offset); set when /metrics is scraped."
        ),
        .init(
            name: groupInFlight,
            kind: .gauge,
            labels: ["group"],
            help: "Messages delivered to the group's members and not yet acknowledged; set when /metrics is scraped."
        ),
        .init(
            name: groupRedeliveries,
            kind: .counter,
            labels: ["group"],
            help: "Messages delivered to the group again after a failed delivery (nack, ack timeout, "
                + "lost connection), since the broker started."
        ),
        .init(
            name: groupDeadLetters,
            kind: .counter,
            labels: ["group"],
            help: "Dead letters the group wrote to its dead-letter topics (rejected, or out of deliveries), "
                + "since the broker started."
        ),
        .init(
            name: pendingSchedules,
            kind: .gauge,
            labels: [],
            help: "Schedules waiting for their due time, over all topics; set when /metrics is scraped."
        ),
        .init(
            name: scheduleMemtableEntries,
            kind: .gauge,
            labels: [],
            help: "Schedule changes held in memory until they are written out as runs (a schedule takes a due "
                + "entry and an id entry); falls back to 0 at each flush. Set when /metrics is scraped."
        ),
        .init(
            name: scheduleLateness,
            kind: .durationHistogram,
            labels: [],
            help: "Per fired schedule, the time from its due time to its message being appended durably."
        ),
        .init(name: kafkaConnections, kind: .gauge, labels: [], help: "Open Kafka protocol connections."),
        .init(
            name: kafkaGroups,
            kind: .gauge,
            labels: [],
            help: "Kafka consumer groups the broker keeps offsets for; set when /metrics is scraped."
        ),
    ]

    /// The help text of metric `name`, if it is one of ``all``.
    public static func help(for name: String) -> String? {
        helpByName[name]
    }

    private static let helpByName: [String: String] = Dictionary(
        uniqueKeysWithValues: all.map { ($0.name, $0.help) }
    )

    // MARK: Broker-wide metrics

    static let flushDuration = Timer(label: logFlushDuration)
    static let flushFailures = Counter(label: logFlushFailures)

    static let scheduleLatenessTimer = Timer(label: scheduleLateness)

    /// Records one fired schedule's lateness (never negative: a clock that stepped back is 0).
    static func recordScheduleLateness(milliseconds: Int64) {
        scheduleLatenessTimer.recordNanoseconds(min(max(0, milliseconds), Int64.max / 1_000_000) * 1_000_000)
    }

    /// Records one log flush (the flush scheduler's observer).
    static func recordFlush(nanoseconds: Int64, succeeded: Bool) {
        flushDuration.recordNanoseconds(nanoseconds)
        if !succeeded { flushFailures.increment() }
    }
}
