import BrokerProtocol

/// The broker's state, as ``Admin/status()`` reports it.
public struct BrokerStatus: Hashable, Sendable {
    /// The broker's software version.
    public var brokerVersion: String
    /// How long the broker has been running, in milliseconds.
    public var uptimeMilliseconds: Int64
    /// How many topics exist.
    public var topicCount: Int32
    /// How many partitions all topics have together.
    public var partitionCount: Int32
    /// How many clients are connected.
    public var connectionCount: Int32
    /// Bytes of all partition logs.
    public var logBytes: Int64
    /// Where the broker keeps its data.
    public var dataDirectory: String
    /// What an operator watches; `nil` from a broker that serves only `brokerStatus` v0.
    public var operations: Operations?
    /// The fired schedules' lateness since the broker started; `nil` from a broker older than
    /// `brokerStatus` v2.
    public var scheduleLateness: ScheduleLateness?

    /// The fired schedules' lateness (due time to durable append) since the broker started
    /// (`brokerStatus` v2).
    public struct ScheduleLateness: Hashable, Sendable {
        /// Schedules fired.
        public var schedulesFired: Int64
        /// Their lateness added up, in milliseconds.
        public var totalMilliseconds: Int64
        /// The largest lateness, in milliseconds.
        public var maxMilliseconds: Int64
        /// The mean lateness in milliseconds; 0 before the first schedule fires.
        public var meanMilliseconds: Int64 { schedulesFired > 0 ? totalMilliseconds / schedulesFired : 0 }
    }

    /// The groups', schedules' and Kafka listener's figures (`brokerStatus` v1).
    public struct Operations: Hashable, Sendable {
        /// Consumer groups, Sluice and Kafka.
        public var groupCount: Int32
        /// The lag of every group on every partition, added up.
        public var groupLag: Int64
        /// Messages delivered to groups' members and not yet acknowledged.
        public var inFlight: Int64
        /// Redeliveries since the broker started.
        public var redeliveries: Int64
        /// Dead letters written since the broker started.
        public var deadLetters: Int64
        /// Messages the groups' dead-letter partitions hold now.
        public var deadLettersHeld: Int64
        /// Schedules waiting for their due time.
        public var pendingSchedules: Int64
        /// Open Kafka protocol connections.
        public var kafkaConnections: Int32
        /// Kafka consumer groups.
        public var kafkaGroupCount: Int32

        init(_ wire: BrokerStatusResponse.Operations) {
            groupCount = wire.groupCount
            groupLag = wire.groupLag
            inFlight = wire.inFlight
            redeliveries = wire.redeliveries
            deadLetters = wire.deadLetters
            deadLettersHeld = wire.deadLettersHeld
            pendingSchedules = wire.pendingSchedules
            kafkaConnections = wire.kafkaConnections
            kafkaGroupCount = wire.kafkaGroupCount
        }
    }

    init(_ response: BrokerStatusResponse) {
        brokerVersion = response.brokerVersion
        uptimeMilliseconds = response.uptimeMilliseconds
        topicCount = response.topicCount
        partitionCount = response.partitionCount
        connectionCount = response.connectionCount
        logBytes = response.logBytes
        dataDirectory = response.dataDirectory
        operations = response.operations.map(Operations.init)
        scheduleLateness = response.scheduleLateness.map {
            ScheduleLateness(
                schedulesFired: $0.schedulesFired,
                totalMilliseconds: $0.totalMilliseconds,
                maxMilliseconds: $0.maxMilliseconds
            )
        }
    }
}
