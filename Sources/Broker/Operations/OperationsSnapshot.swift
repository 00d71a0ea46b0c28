import BrokerProtocol

/// What an operator watches, gathered at one moment: per group and partition the lag and what is
/// in flight, per running group its redeliveries and dead letters since the broker started, the
/// pending schedules, the scheduler's memtable and the Kafka listener's connections and groups. `/metrics` (through
/// ``OperationsMetrics``) and the `brokerStatus` API both show it.
struct OperationsSnapshot: Sendable, Hashable {
    /// One partition a group reads (a topic of its, or a dead-letter partition it redrives).
    struct PartitionRow: Sendable, Hashable {
        var group: String
        var topic: String
        var partition: Int32
        /// Log end offset minus the committed offset (up to the read limit of a redriven partition).
        var lag: Int64
        /// Delivered and not acknowledged.
        var inFlight: Int64
        /// Messages the partition's dead-letter partition holds.
        var deadLettersHeld: Int64
    }

    /// One group's counts.
    struct GroupRow: Sendable, Hashable {
        var group: String
        var isKafka: Bool
        var inFlight: Int64 = 0
        var redeliveries: Int64 = 0
        var deadLetters: Int64 = 0
    }

    var partitions: [PartitionRow] = []
    var groups: [GroupRow] = []
    var pendingSchedules: Int64 = 0
    /// Entries in the scheduler's memtables (memory bounded by the memtable size).
    var scheduleMemtableEntries: Int64 = 0
    /// Schedules fired since the broker started, and their lateness added up and at its largest.
    var schedulesFired: Int64 = 0
    var scheduleLatenessTotalMilliseconds: Int64 = 0
    var scheduleLatenessMaxMilliseconds: Int64 = 0
    var kafkaConnections: Int = 0

    /// Kafka groups.
    var kafkaGroupCount: Int { groups.reduce(0) { $0 + ($1.isKafka ? 1 : 0) } }
    /// The lag of every group on every partition, added up.
    var totalLag: Int64 { partitions.reduce(0) { $0 &+ $1.lag } }
    /// What every group has in flight.
    var totalInFlight: Int64 { groups.reduce(0) { $0 &+ $1.inFlight } }
    /// Redeliveries since the broker started, over every group.
    var totalRedeliveries: Int64 { groups.reduce(0) { $0 &+ $1.redeliveries } }
    /// Dead letters written since the broker started, over every group.
    var totalDeadLetters: Int64 { groups.reduce(0) { $0 &+ $1.deadLetters } }
    /// Messages held in the groups' dead-letter partitions now.
    var totalDeadLettersHeld: Int64 { partitions.reduce(0) { $0 &+ $1.deadLettersHeld } }
}

extension BrokerStatusResponse.ScheduleLateness {
    /// The fired schedules' lateness of `snapshot`.
    init(_ snapshot: OperationsSnapshot) {
        self.init(
            schedulesFired: snapshot.schedulesFired,
            totalMilliseconds: snapshot.scheduleLatenessTotalMilliseconds,
            maxMilliseconds: snapshot.scheduleLatenessMaxMilliseconds
        )
    }
}

extension BrokerStatusResponse.Operations {
    /// The totals of `snapshot`.
    init(_ snapshot: OperationsSnapshot) {
        self.init(
            groupCount: Int32(clamping: snapshot.groups.count),
            groupLag: snapshot.totalLag,
            inFlight: snapshot.totalInFlight,
            redeliveries: snapshot.totalRedeliveries,
            deadLetters: snapshot.totalDeadLetters,
            deadLettersHeld: snapshot.totalDeadLettersHeld,
            pendingSchedules: snapshot.pendingSchedules,
            kafkaConnections: Int32(clamping: snapshot.kafkaConnections),
            kafkaGroupCount: Int32(clamping: snapshot.kafkaGroupCount)
        )
    }
}
