import NIOCore

/// The response of `createTopic`, `deleteTopic` and `addPartitions` v0:
/// `errorCode: int16, errorMessage: nullable string`.
public struct AdministrationResult: Hashable, Sendable {
    public var errorCode: ErrorCode
    public var errorMessage: String?

    public init(errorCode: ErrorCode = .none, errorMessage: String? = nil) {
        self.errorCode = errorCode
        self.errorMessage = errorMessage
    }

    func encode(into buffer: inout ByteBuffer) {
        buffer.writeInteger(errorCode.rawValue)
        buffer.writeWireMessage(errorMessage)
    }

    init(decoding buffer: inout ByteBuffer) throws {
        errorCode = ErrorCode(rawValue: try buffer.readWire(Int16.self, "errorCode"))
        errorMessage = try buffer.readWireNullableString("errorMessage")
    }
}

/// `createTopic` v0 response: see ``AdministrationResult``.
public struct CreateTopicResponse: WireMessage, Hashable {
    public static let apiKey = APIKey.createTopic
    public var result: AdministrationResult

    public init(_ result: AdministrationResult) { self.result = result }
    public func encode(into buffer: inout ByteBuffer) { result.encode(into: &buffer) }
    public init(decoding buffer: inout ByteBuffer) throws { result = try AdministrationResult(decoding: &buffer) }
}

/// `deleteTopic` v0 response: see ``AdministrationResult``.
public struct DeleteTopicResponse: WireMessage, Hashable {
    public static let apiKey = APIKey.deleteTopic
    public var result: AdministrationResult

    public init(_ result: AdministrationResult) { self.result = result }
    public func encode(into buffer: inout ByteBuffer) { result.encode(into: &buffer) }
    public init(decoding buffer: inout ByteBuffer) throws { result = try AdministrationResult(decoding: &buffer) }
}

/// `addPartitions` v0 response: see ``AdministrationResult``.
public struct AddPartitionsResponse: WireMessage, Hashable {
    public static let apiKey = APIKey.addPartitions
    public var result: AdministrationResult

    public init(_ result: AdministrationResult) { self.result = result }
    public func encode(into buffer: inout ByteBuffer) { result.encode(into: &buffer) }
    public init(decoding buffer: inout ByteBuffer) throws { result = try AdministrationResult(decoding: &buffer) }
}

/// `listTopics` v0 response: `topics: array<{ topic string, partitionCount int32 }>`, sorted by name.
public struct ListTopicsResponse: WireMessage, Hashable {
    public static let apiKey = APIKey.listTopics

    public struct TopicSummary: Hashable, Sendable {
        public var topic: String
        public var partitionCount: Int32

        public init(topic: String, partitionCount: Int32) {
            self.topic = topic
            self.partitionCount = partitionCount
        }
    }

    public var topics: [TopicSummary]

    public init(topics: [TopicSummary]) { self.topics = topics }

    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeWireArray(topics) { buffer, topic in
            buffer.writeWireString(topic.topic)
            buffer.writeInteger(topic.partitionCount)
        }
    }

    public init(decoding buffer: inout ByteBuffer) throws {
        topics = try buffer.readWireArray("topics", minimumElementBytes: 6) { buffer in
            TopicSummary(
                topic: try buffer.readWireString("topic"),
                partitionCount: try buffer.readWire(Int32.self, "partitionCount")
            )
        }
    }
}

/// `describeTopic` v0 response:
/// ```
/// errorCode               int16
/// errorMessage            nullable string
/// topic                   string
/// retentionMilliseconds   int64       -1 keep forever
/// retentionBytes          int64       -1 no size limit
/// segmentBytes            int64
/// partitions              array<{ partition int32, logStartOffset int64, logEndOffset int64,
///                                 sizeBytes int64, segmentCount int32 }>
/// ```
public struct DescribeTopicResponse: WireMessage, Hashable {
    public static let apiKey = APIKey.describeTopic

    public struct PartitionDescription: Hashable, Sendable {
        public var partition: Int32
        public var logStartOffset: Int64
        public var logEndOffset: Int64
        public var sizeBytes: Int64
        public var segmentCount: Int32

        public init(partition: Int32, logStartOffset: Int64, logEndOffset: Int64, sizeBytes: Int64, segmentCount: Int32)
        {
            self.partition = partition
            self.logStartOffset = logStartOffset
            self.logEndOffset = logEndOffset
            self.sizeBytes = sizeBytes
            self.segmentCount = segmentCount
        }
    }

    public var result: AdministrationResult
    public var topic: String
    public var retentionMilliseconds: Int64
    public var retentionBytes: Int64
    public var segmentBytes: Int64
    public var partitions: [PartitionDescription]

    public init(
        result: AdministrationResult = AdministrationResult(),
        topic: String,
        retentionMilliseconds: Int64 = -1,
        retentionBytes: Int64 = -1,
        segmentBytes: Int64 = 0,
        partitions: [PartitionDescription] = []
    ) {
        self.result = result
        self.topic = topic
        self.retentionMilliseconds = retentionMilliseconds
        self.retentionBytes = retentionBytes
        self.segmentBytes = segmentBytes
        self.partitions = partitions
    }

    public func encode(into buffer: inout ByteBuffer) {
        result.encode(into: &buffer)
        buffer.writeWireString(topic)
        buffer.writeInteger(retentionMilliseconds)
        buffer.writeInteger(retentionBytes)
        buffer.writeInteger(segmentBytes)
        buffer.writeWireArray(partitions) { buffer, partition in
            buffer.writeInteger(partition.partition)
            buffer.writeInteger(partition.logStartOffset)
            buffer.writeInteger(partition.logEndOffset)
            buffer.writeInteger(partition.sizeBytes)
            buffer.writeInteger(partition.segmentCount)
        }
    }

    public init(decoding buffer: inout ByteBuffer) throws {
        result = try AdministrationResult(decoding: &buffer)
        topic = try buffer.readWireString("topic")
        retentionMilliseconds = try buffer.readWire(Int64.self, "retentionMilliseconds")
        retentionBytes = try buffer.readWire(Int64.self, "retentionBytes")
        segmentBytes = try buffer.readWire(Int64.self, "segmentBytes")
        partitions = try buffer.readWireArray("partitions", minimumElementBytes: 32) { buffer in
            PartitionDescription(
                partition: try buffer.readWire(Int32.self, "partition"),
                logStartOffset: try buffer.readWire(Int64.self, "logStartOffset"),
                logEndOffset: try buffer.readWire(Int64.self, "logEndOffset"),
                sizeBytes: try buffer.readWire(Int64.self, "sizeBytes"),
                segmentCount: try buffer.readWire(Int32.self, "segmentCount")
            )
        }
    }
}

/// `brokerStatus` response, v0:
/// ```
/// brokerVersion       string
/// uptimeMilliseconds  int64
/// topicCount          int32
/// partitionCount      int32
/// connectionCount     int32
/// logBytes            int64       bytes of all partition logs
/// dataDirectory       string
/// ```
/// v1 is v0 followed by ``Operations`` (a v0 request is answered without it, so a v0 client
/// never sees it; ``init(decoding:)`` reads v0, ``init(decoding:version:)`` either):
/// ```
/// groupCount          int32       consumer groups, Sluice and Kafka
/// groupLag            int64       lag of every group on every partition, added up
/// inFlight            int64       delivered, unacknowledged messages of every group
/// redeliveries        int64       redeliveries since the broker started
/// deadLetters         int64       dead letters written since the broker started
/// deadLettersHeld     int64       messages in the groups' dead-letter partitions now
/// pendingSchedules    int64
/// kafkaConnections    int32
/// kafkaGroupCount     int32
/// ```
/// v2 adds, after them, the fired schedules' lateness (due time to durable append):
/// ```
/// schedulesFired          int64   schedules fired since the broker started
/// latenessTotalMs         int64   their lateness added up (mean: total / fired)
/// latenessMaxMs           int64   the largest
/// ```
public struct BrokerStatusResponse: WireMessage, Hashable {
    public static let apiKey = APIKey.brokerStatus

    public var brokerVersion: String
    public var uptimeMilliseconds: Int64
    public var topicCount: Int32
    public var partitionCount: Int32
    public var connectionCount: Int32
    public var logBytes: Int64
    public var dataDirectory: String
    /// The v1 fields; `nil` in a v0 response.
    public var operations: Operations?
    /// The v2 fields; `nil` before v2.
    public var scheduleLateness: ScheduleLateness?

    /// The v2 fields: the fired schedules' lateness since the broker started.
    public struct ScheduleLateness: Sendable, Hashable {
        /// Schedules fired.
        public var schedulesFired: Int64
        /// Their lateness (due time to durable append, milliseconds) added up.
        public var totalMilliseconds: Int64
        /// The largest lateness, in milliseconds.
        public var maxMilliseconds: Int64

        /// The v2 fields.
        public init(schedulesFired: Int64, totalMilliseconds: Int64, maxMilliseconds: Int64) {
            self.schedulesFired = schedulesFired
            self.totalMilliseconds = totalMilliseconds
            self.maxMilliseconds = maxMilliseconds
        }
    }

    /// The v1 fields: what an operator watches.
    public struct Operations: Sendable, Hashable {
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

        /// The v1 fields.
        public init(
            groupCount: Int32,
            groupLag: Int64,
            inFlight: Int64,
            redeliveries: Int64,
            deadLetters: Int64,
            deadLettersHeld: Int64,
            pendingSchedules: Int64,
            kafkaConnections: Int32,
            kafkaGroupCount: Int32
        ) {
            self.groupCount = groupCount
            self.groupLag = groupLag
            self.inFlight = inFlight
            self.redeliveries = redeliveries
            self.deadLetters = deadLetters
            self.deadLettersHeld = deadLettersHeld
            self.pendingSchedules = pendingSchedules
            self.kafkaConnections = kafkaConnections
            self.kafkaGroupCount = kafkaGroupCount
        }
    }

    public init(
        brokerVersion: String,
        uptimeMilliseconds: Int64,
        topicCount: Int32,
        partitionCount: Int32,
        connectionCount: Int32,
        logBytes: Int64,
        dataDirectory: String,
        operations: Operations? = nil,
        scheduleLateness: ScheduleLateness? = nil
    ) {
        precondition(scheduleLateness == nil || operations != nil, "the v2 fields come after the v1 fields")
        self.brokerVersion = brokerVersion
        self.uptimeMilliseconds = uptimeMilliseconds
        self.topicCount = topicCount
        self.partitionCount = partitionCount
        self.connectionCount = connectionCount
        self.logBytes = logBytes
        self.dataDirectory = dataDirectory
        self.operations = operations
        self.scheduleLateness = scheduleLateness
    }

    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeWireString(brokerVersion)
        buffer.writeInteger(uptimeMilliseconds)
        buffer.writeInteger(topicCount)
        buffer.writeInteger(partitionCount)
        buffer.writeInteger(connectionCount)
        buffer.writeInteger(logBytes)
        buffer.writeWireString(dataDirectory)
        guard let operations else { return }
        buffer.writeInteger(operations.groupCount)
        buffer.writeInteger(operations.groupLag)
        buffer.writeInteger(operations.inFlight)
        buffer.writeInteger(operations.redeliveries)
        buffer.writeInteger(operations.deadLetters)
        buffer.writeInteger(operations.deadLettersHeld)
        buffer.writeInteger(operations.pendingSchedules)
        buffer.writeInteger(operations.kafkaConnections)
        buffer.writeInteger(operations.kafkaGroupCount)
        guard let scheduleLateness else { return }
        buffer.writeInteger(scheduleLateness.schedulesFired)
        buffer.writeInteger(scheduleLateness.totalMilliseconds)
        buffer.writeInteger(scheduleLateness.maxMilliseconds)
    }

    public init(decoding buffer: inout ByteBuffer) throws {
        brokerVersion = try buffer.readWireString("brokerVersion")
        uptimeMilliseconds = try buffer.readWire(Int64.self, "uptimeMilliseconds")
        topicCount = try buffer.readWire(Int32.self, "topicCount")
        partitionCount = try buffer.readWire(Int32.self, "partitionCount")
        connectionCount = try buffer.readWire(Int32.self, "connectionCount")
        logBytes = try buffer.readWire(Int64.self, "logBytes")
        dataDirectory = try buffer.readWireString("dataDirectory")
    }

    /// Reads a v0 body, or from v1 on the v0 fields and then ``operations``, and from v2 on
    /// ``scheduleLateness``.
    public init(decoding buffer: inout ByteBuffer, version: UInt16) throws {
        try self.init(decoding: &buffer)
        guard version >= 1 else { return }
        operations = Operations(
            groupCount: try buffer.readWire(Int32.self, "groupCount"),
            groupLag: try buffer.readWire(Int64.self, "groupLag"),
            inFlight: try buffer.readWire(Int64.self, "inFlight"),
            redeliveries: try buffer.readWire(Int64.self, "redeliveries"),
            deadLetters: try buffer.readWire(Int64.self, "deadLetters"),
            deadLettersHeld: try buffer.readWire(Int64.self, "deadLettersHeld"),
            pendingSchedules: try buffer.readWire(Int64.self, "pendingSchedules"),
            kafkaConnections: try buffer.readWire(Int32.self, "kafkaConnections"),
            kafkaGroupCount: try buffer.readWire(Int32.self, "kafkaGroupCount")
        )
        guard version >= 2 else { return }
        scheduleLateness = ScheduleLateness(
            schedulesFired: try buffer.readWire(Int64.self, "schedulesFired"),
            totalMilliseconds: try buffer.readWire(Int64.self, "latenessTotalMs"),
            maxMilliseconds: try buffer.readWire(Int64.self, "latenessMaxMs")
        )
    }
}

/// `initProducer` v0 response: `errorCode int16, errorMessage nullable string, producerId int64,
/// producerEpoch int16`.
public struct InitProducerResponse: WireMessage, Hashable {
    public static let apiKey = APIKey.initProducer

    public var result: AdministrationResult
    public var producerID: Int64
    public var producerEpoch: Int16

    public init(result: AdministrationResult = AdministrationResult(), producerID: Int64, producerEpoch: Int16) {
        self.result = result
        self.producerID = producerID
        self.producerEpoch = producerEpoch
    }

    public func encode(into buffer: inout ByteBuffer) {
        result.encode(into: &buffer)
        buffer.writeInteger(producerID)
        buffer.writeInteger(producerEpoch)
    }

    public init(decoding buffer: inout ByteBuffer) throws {
        result = try AdministrationResult(decoding: &buffer)
        producerID = try buffer.readWire(Int64.self, "producerId")
        producerEpoch = try buffer.readWire(Int16.self, "producerEpoch")
    }
}
