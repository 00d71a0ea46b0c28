import BrokerProtocol
import LogStore
import Logging
import Metrics
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Turns request frames into response frames: checks the API and version, decodes the body, runs
/// the API, encodes the answer. Runs on the connection's event loop; partition work hops to the
/// partition's loop (one hop per partition per request), administration runs as async tasks.
final class RequestRouter: RequestServing, Sendable {
    let registry: TopicRegistry
    let configuration: BrokerConfiguration
    let producerIDs: ProducerIDAllocator
    let threadPool: NIOThreadPool
    let statistics: BrokerStatistics
    let logger: Logger
    /// The consumer groups, set once they are loaded (before the broker accepts connections).
    let groupManager = NIOLockedValueBox<GroupManager?>(nil)
    /// Delayed delivery, set before the broker accepts connections.
    let schedules = NIOLockedValueBox<SchedulerHost?>(nil)

    init(
        registry: TopicRegistry,
        configuration: BrokerConfiguration,
        producerIDs: ProducerIDAllocator,
        threadPool: NIOThreadPool,
        statistics: BrokerStatistics,
        logger: Logger
    ) {
        self.registry = registry
        self.configuration = configuration
        self.producerIDs = producerIDs
        self.threadPool = threadPool
        self.statistics = statistics
        self.logger = logger
    }

    /// Serves one request. The future holds `nil` when no response is due (`acks` none).
    func handle(
        _ frame: RequestFrame,
        from connection: PushOutlet,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<ResponseFrame?> {
        let started = NIODeadline.now()
        // A fetch times itself, leaving out its long-poll waiting (RequestRouter+Fetch).
        let timer = frame.header.apiKey == .fetch ? nil : statistics.requestTimers[frame.header.apiKey]
        return serve(frame, from: connection, on: eventLoop).always { _ in
            timer?.recordNanoseconds((NIODeadline.now() - started).nanoseconds)
        }
    }

    private func serve(
        _ frame: RequestFrame,
        from connection: PushOutlet,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<ResponseFrame?> {
        let header = frame.header
        guard let range = ProtocolVersions.range(of: header.apiKey) else {
            return eventLoop.makeSucceededFuture(
                ResponseFrame(
                    correlationID: header.correlationID,
                    error: .unsupportedAPI,
                    message: "API key \(header.apiKey.rawValue) is not served by this broker"
                )
            )
        }
        guard (range.minVersion...range.maxVersion).contains(header.apiVersion) else {
            return eventLoop.makeSucceededFuture(
                ResponseFrame(
                    correlationID: header.correlationID,
                    error: .unsupportedVersion,
                    message:
                        "\(header.apiKey) v\(header.apiVersion) is not served; versions \(range.minVersion)-\(range.maxVersion) are"
                )
            )
        }
        let response: EventLoopFuture<(any WireMessage)?>
        do {
            response = try dispatch(header.apiKey, header.apiVersion, frame.body, from: connection, on: eventLoop)
        } catch {
            let error = BrokerError(error)
            return eventLoop.makeSucceededFuture(
                ResponseFrame(correlationID: header.correlationID, error: error.code, message: error.message)
            )
        }
        return response.map { message in
            message.map { ResponseFrame(correlationID: header.correlationID, body: $0.encoded()) }
        }.flatMapErrorThrowing { error in
            let error = BrokerError(error)
            return ResponseFrame(correlationID: header.correlationID, error: error.code, message: error.message)
        }
    }

    private func dispatch(
        _ apiKey: APIKey,
        _ version: UInt16,
        _ body: ByteBuffer,
        from connection: PushOutlet,
        on eventLoop: any EventLoop
    ) throws -> EventLoopFuture<(any WireMessage)?> {
        func task<M: WireMessage>(
            _ body: @escaping @Sendable () async throws -> M
        ) -> EventLoopFuture<(any WireMessage)?> {
            Self.erased(eventLoop.makeFutureWithTask(body))
        }
        switch apiKey {
        case .handshake:
            _ = try HandshakeRequest.decode(body)
            return eventLoop.makeSucceededFuture(
                HandshakeResponse(
                    brokerVersion: configuration.version,
                    maxFrameBytes: UInt32(clamping: configuration.limits.maxFrameBytes),
                    apis: ProtocolVersions.supported
                )
            )
        case .produce:
            let request = try ProduceRequest.decode(body)
            try checkEntries(request.partitions.count, "partition entries", in: .produce)
            return produce(request, on: eventLoop).map { response in
                request.acks == .none ? nil : response
            }
        case .fetch:
            let request = try FetchRequest.decode(body)
            try checkEntries(request.topics.count, "topics", in: .fetch)
            try checkEntries(request.topics.reduce(0) { $0 + $1.partitions.count }, "partition entries", in: .fetch)
            return Self.erased(fetch(request, on: eventLoop))
        case .listOffsets:
            let request = try ListOffsetsRequest.decode(body)
            try checkEntries(request.partitions.count, "partition entries", in: .listOffsets)
            return Self.erased(listOffsets(request, on: eventLoop))
        case .createTopic:
            let request = try CreateTopicRequest.decode(body)
            return task { CreateTopicResponse(await self.administer { _ = try await self.registry.create(request) }) }
        case .deleteTopic:
            let request = try DeleteTopicRequest.decode(body)
            return task {
                DeleteTopicResponse(
                    await self.administer {
                        try await self.registry.delete(request.topic)
                        await self.groupManager.withLockedValue({ $0 })?.topicDeleted(request.topic)
                    }
                )
            }
        case .addPartitions:
            let request = try AddPartitionsRequest.decode(body)
            return task {
                AddPartitionsResponse(
                    await self.administer {
                        try await self.registry.addPartitions(request.topic, to: request.partitionCount)
                    }
                )
            }
        case .listTopics:
            _ = try ListTopicsRequest.decode(body)
            let topics = registry.allTopics().map {
                ListTopicsResponse.TopicSummary(topic: $0.name, partitionCount: $0.partitionCount)
            }
            return eventLoop.makeSucceededFuture(ListTopicsResponse(topics: topics))
        case .describeTopic:
            return Self.erased(describe(try DescribeTopicRequest.decode(body), on: eventLoop))
        case .brokerStatus:
            _ = try BrokerStatusRequest.decode(body)
            return Self.erased(status(version: version, on: eventLoop))
        case .initProducer:
            _ = try InitProducerRequest.decode(body)
            let allocator = producerIDs
            return Self.erased(
                threadPool.runIfActive(eventLoop: eventLoop) { try allocator.allocate() }.map { id in
                    InitProducerResponse(producerID: id, producerEpoch: ProducerIDAllocator.issuedEpoch)
                }
            )
        case .subscribe, .credit, .ack, .nack, .reject, .extend, .leave, .listGroups, .describeGroup, .resetGroup,
            .deleteGroup, .redriveDeadLetters:
            return try serveGroupMember(apiKey, body, from: connection, on: eventLoop)
        case .schedule, .cancelSchedule, .listSchedules:
            return try serveSchedules(apiKey, body, on: eventLoop)
        default:
            throw BrokerError(.unsupportedAPI, "API key \(apiKey.rawValue) is not served by this broker")
        }
    }

    /// A response future as the dispatch switch returns it.
    static func erased<M: WireMessage>(_ future: EventLoopFuture<M>) -> EventLoopFuture<(any WireMessage)?> {
        future.map { $0 as (any WireMessage)? }
    }

    /// Throws `limitExceeded` when a count read from the wire is over ``BrokerLimits/maxEntriesPerRequest``.
    func checkEntries(_ count: Int, _ what: String, in apiKey: APIKey) throws {
        let limit = configuration.limits.maxEntriesPerRequest
        guard count <= limit else {
            throw BrokerError(
                .limitExceeded,
                "\(apiKey) request has \(count) \(what), over maxEntriesPerRequest (\(limit))"
            )
        }
    }

    /// The bytes a request holds against its connection's in-flight limit while it is served: its
    /// own bytes, plus for a fetch the record bytes it may return (its `maxBytes`, capped by
    /// ``BrokerLimits/maxFetchBytes``), read from the fixed-position field without decoding.
    func reservation(for frame: RequestFrame, bytes: Int) -> Int {
        guard frame.header.apiKey == .fetch,
            let maxBytes = frame.body.getInteger(at: frame.body.readerIndex + 8, as: UInt32.self)
        else { return bytes }
        return bytes + min(Int(maxBytes), configuration.limits.maxFetchBytes)
    }

    private func administer(_ body: () async throws -> Void) async -> AdministrationResult {
        do {
            try await body()
            return AdministrationResult()
        } catch {
            let error = BrokerError(error)
            return AdministrationResult(errorCode: error.code, errorMessage: error.message)
        }
    }

    /// The topic, auto-created if the broker is configured so.
    func resolveTopic(_ name: String, on eventLoop: any EventLoop) -> EventLoopFuture<Topic> {
        if let topic = registry.topic(named: name) { return eventLoop.makeSucceededFuture(topic) }
        guard configuration.autoCreateTopics else {
            return eventLoop.makeFailedFuture(
                BrokerError(
                    .unknownTopic,
                    "unknown topic '\(name)' (create it first, e.g. with createTopicIfMissing or brokerctl topics "
                        + "create, or run brokerd with --auto-create-topics)"
                )
            )
        }
        let registry = self.registry
        let partitions = configuration.defaultPartitionCount
        return eventLoop.makeFutureWithTask {
            do {
                return try await registry.create(CreateTopicRequest(topic: name, partitionCount: partitions))
            } catch let error as BrokerError where error.code == .topicAlreadyExists {
                guard let topic = registry.topic(named: name) else { throw error }
                return topic
            }
        }
    }

    // MARK: Status, offsets, describe

    /// The broker's status; from v1 on with the ``OperationsSnapshot`` totals, from v2 on with
    /// the fired schedules' lateness.
    private func status(version: UInt16, on eventLoop: any EventLoop) -> EventLoopFuture<BrokerStatusResponse> {
        let topics = registry.allTopics()
        let partitions = topics.flatMap(\.partitions)
        let operations: EventLoopFuture<OperationsSnapshot?> =
            version >= 1
            ? eventLoop.makeFutureWithTask { try await self.operationsSnapshot() }
            : eventLoop.makeSucceededFuture(nil)
        return EventLoopFuture.whenAllSucceed(partitions.map { $0.describe() }, on: eventLoop)
            .and(operations)
            .map { descriptions, operations in
                BrokerStatusResponse(
                    brokerVersion: self.configuration.version,
                    uptimeMilliseconds: currentTimeMilliseconds() - self.statistics.startedAt,
                    topicCount: Int32(topics.count),
                    partitionCount: Int32(partitions.count),
                    connectionCount: Int32(self.statistics.connectionCount),
                    logBytes: descriptions.reduce(0) { $0 + $1.sizeBytes },
                    dataDirectory: self.configuration.dataDirectory,
                    operations: operations.map(BrokerStatusResponse.Operations.init),
                    scheduleLateness: version >= 2 ? operations.map(BrokerStatusResponse.ScheduleLateness.init) : nil
                )
            }
    }

    private func describe(
        _ request: DescribeTopicRequest,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<DescribeTopicResponse> {
        guard let topic = registry.topic(named: request.topic) else {
            return eventLoop.makeSucceededFuture(
                DescribeTopicResponse(
                    result: AdministrationResult(
                        errorCode: .unknownTopic,
                        errorMessage: "unknown topic '\(request.topic)'"
                    ),
                    topic: request.topic
                )
            )
        }
        let settings = topic.settings
        return EventLoopFuture.whenAllSucceed(topic.partitions.map { $0.describe() }, on: eventLoop).map { partitions in
            DescribeTopicResponse(
                topic: topic.name,
                retentionMilliseconds: settings.retentionMilliseconds ?? TopicSettingValue.unlimited,
                retentionBytes: settings.retentionBytes ?? TopicSettingValue.unlimited,
                segmentBytes: Int64(settings.segmentBytes),
                partitions: partitions
            )
        }
    }

    private func listOffsets(
        _ request: ListOffsetsRequest,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<ListOffsetsResponse> {
        resolveTopic(request.topic, on: eventLoop).flatMap { topic in
            let results = request.partitions.map { query -> EventLoopFuture<ListOffsetsResponse.Result> in
                guard let partition = topic.partition(query.partition) else {
                    return eventLoop.makeSucceededFuture(
                        .init(
                            partition: query.partition,
                            errorCode: .unknownPartition,
                            errorMessage: "topic '\(topic.name)' has no partition \(query.partition)",
                            offset: -1,
                            logStartOffset: -1,
                            logEndOffset: -1
                        )
                    )
                }
                return partition.offset(for: query.timestamp)
            }
            return EventLoopFuture.whenAllSucceed(results, on: eventLoop).map {
                ListOffsetsResponse(topic: request.topic, partitions: $0)
            }
        }.flatMapErrorThrowing { error in
            let error = BrokerError(error)
            return ListOffsetsResponse(
                topic: request.topic,
                partitions: request.partitions.map {
                    .init(
                        partition: $0.partition,
                        errorCode: error.code,
                        errorMessage: error.message,
                        offset: -1,
                        logStartOffset: -1,
                        logEndOffset: -1
                    )
                }
            )
        }
    }
}

/// Counters the status API reports.
final class BrokerStatistics: Sendable {
    let startedAt = currentTimeMilliseconds()
    private let connections = NIOLockedValueBox(0)
    private let connectionsGauge = Gauge(label: BrokerMetrics.connections)
    private let refusedConnections = Counter(label: BrokerMetrics.refusedConnections)
    /// Request latency per API, from decoded frame to response ready (without long-poll waiting).
    let requestTimers: [APIKey: Timer] = Dictionary(
        uniqueKeysWithValues: ProtocolVersions.supported.map {
            ($0.apiKey, Timer(label: BrokerMetrics.requestDuration, dimensions: [("api", "\($0.apiKey)")]))
        }
    )
    /// Time long-polling fetches spent waiting.
    let fetchWait = Timer(label: BrokerMetrics.fetchWait)
    /// Open Kafka protocol connections (also counted in ``connectionCount``).
    private let kafkaConnections = NIOLockedValueBox(0)
    private let kafkaConnectionsGauge = Gauge(label: BrokerMetrics.kafkaConnections)

    /// Open Kafka protocol connections.
    var kafkaConnectionCount: Int { kafkaConnections.withLockedValue { $0 } }

    /// Counts a Kafka connection opened (`by`: 1) or closed (`by`: -1), once it is counted as a connection.
    func kafkaConnectionChanged(by change: Int) {
        kafkaConnectionsGauge.record(
            kafkaConnections.withLockedValue { count in
                count += change
                return count
            }
        )
    }

    var connectionCount: Int { connections.withLockedValue { $0 } }

    /// Counts a new connection; `false` (and not counted) when `limit` is reached.
    func connectionOpened(limit: Int) -> Bool {
        let opened = connections.withLockedValue { count -> Int? in
            guard count < limit else { return nil }
            count += 1
            return count
        }
        guard let opened else {
            refusedConnections.increment()
            return false
        }
        connectionsGauge.record(opened)
        return true
    }

    func connectionClosed() {
        connectionsGauge.record(
            connections.withLockedValue { count in
                count -= 1
                return count
            }
        )
    }
}
