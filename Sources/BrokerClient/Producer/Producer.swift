import BrokerProtocol
import Logging
import NIOCore
import NIOPosix
import RecordCodec

/// Sends records to topics, in batches, with the acknowledgement level of its configuration.
///
/// Records are gathered per partition into batches that are sent when they reach
/// `batchBytes`, when `linger` has passed since their first record, or on ``flush()``. A keyed
/// record goes to Kafka's partition for its key; a record with a message id but no key to the
/// partition of its message id (so a retry reaches the partition that deduplicates it); other
/// records are spread round-robin, one batch at a time. Each partition has at most one batch in
/// flight, so batches arrive in order; different partitions are sent concurrently on one
/// pipelined connection.
///
/// Idempotence: the producer asks the broker for a producer id and numbers each partition's
/// records; a batch that fails with a connection error is sent again with the same bytes, and
/// the broker drops it if the first copy had arrived. Back-pressure: ``enqueue(topic:key:value:headers:partition:messageID:timestamp:)``
/// and ``send(topic:key:value:headers:partition:messageID:timestamp:)`` suspend while more than
/// `maxBufferedBytes` wait.
///
/// The batches are sent by ``run()``, which must be running: ``withProducer(transport:configuration:logger:isolation:_:)``
/// runs it, and so does a swift-service-lifecycle `ServiceGroup` the producer is added to (a
/// graceful shutdown then sends what was accepted and ends it). It returns after ``close()``. A
/// record accepted while `run()` is not running fails with `notRunning` after
/// ``ProducerConfiguration/startTimeout`` instead of waiting forever, and every wait of the
/// producer ends with `CancellationError` when its task is cancelled.
public actor Producer {
    /// Batching, acknowledgement and retry settings.
    public nonisolated let configuration: ProducerConfiguration
    let transport: any BrokerTransport
    let eventLoop: any EventLoop
    let logger: Logger
    let wakeup = WakeupSignal()

    struct TopicPartition: Hashable {
        var topic: String
        var partition: Int32
    }

    struct PartitionState {
        /// Batches not yet sent, oldest first; only the last may still take records.
        var batches: [ProducerBatch] = []
        /// The batch being sent.
        var inFlight: ProducerBatch?
        /// The sequence number of the next record under the current producer id.
        var nextSequence: Int32 = 0
    }

    enum Lifecycle {
        case open
        case closing
        case closed
    }

    var partitions: [TopicPartition: PartitionState] = [:]
    /// Partition counts by topic; `0` for a topic the broker did not have at the last look.
    var partitionCounts: [String: Int32] = [:]
    /// Tasks waiting for the partition lookup another task started, by waiter id; `nil` when no
    /// lookup runs. Each is resumed with `true` (done) or `false` (the looking task was cancelled:
    /// look up again).
    var metadataWaiters: [UInt64: CheckedContinuation<Bool, any Error>]?
    var nextWaiterID: UInt64 = 0
    var sticky: [String: (partition: Int32, batchID: UInt64)] = [:]
    var roundRobin: [String: Int32] = [:]
    var nextBatchID: UInt64 = 0
    var bufferedBytes = 0
    var spaceWaiters: [(id: UInt64, bytes: Int, continuation: CheckedContinuation<Void, any Error>)] = []
    var producerIdentity: (id: Int64, epoch: Int16)?
    var needsNewProducerID = false
    var maxFrameBytes: Int?
    var lifecycle = Lifecycle.open
    var isRunning = false
    /// Whether ``run()`` has started, or ``withProducer(transport:configuration:logger:isolation:_:)`` is about to start it.
    var runStarted = false
    /// Fails what is buffered if ``run()`` has not started within `startTimeout`.
    var startTimer: Task<Void, Never>?
    /// Why the batches in flight are abandoned (``close(timeout:)`` ran out), once they are.
    var abandonReason: ClientError?

    /// Tasks waiting for buffer space (tests watch it).
    var spaceWaiterCount: Int { spaceWaiters.count }
    /// Tasks waiting for another task's partition lookup (tests watch it).
    var metadataWaiterCount: Int { metadataWaiters?.count ?? 0 }

    /// Creates a producer that sends through `transport`. Call ``run()`` (or use
    /// ``withProducer(transport:configuration:logger:isolation:_:)``, or add it to a `ServiceGroup`).
    public init(
        transport: any BrokerTransport,
        configuration: ProducerConfiguration = ProducerConfiguration(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "sluice.producer")
    ) {
        precondition(configuration.batchBytes > 0 && configuration.maxBufferedBytes > 0)
        precondition(configuration.maxRetries >= 0)
        precondition(
            configuration.compression.isSupported,
            "compression \(configuration.compression) is not supported: use none or gzip"
        )
        self.transport = transport
        self.configuration = configuration
        self.eventLoop = eventLoopGroup.any()
        self.logger = logger
    }

    /// Runs a producer for the duration of `body`: starts ``run()``, calls `body`, then closes the
    /// producer (sending everything buffered) and waits for ``run()`` to return.
    ///
    /// `body` runs on the caller's actor (`isolation`), so an actor may call this and touch its
    /// own state in `body` under Swift 6's checks.
    public static func withProducer<Result: Sendable>(
        transport: any BrokerTransport,
        configuration: ProducerConfiguration = ProducerConfiguration(),
        logger: Logger = Logger(label: "sluice.producer"),
        isolation: isolated (any Actor)? = #isolation,
        _ body: (Producer) async throws -> Result
    ) async throws -> Result {
        let producer = Producer(transport: transport, configuration: configuration, logger: logger)
        await producer.expectRun()
        return try await withThrowingTaskGroup(of: Void.self, isolation: isolation) { group in
            group.addTask { try await producer.run() }
            let result: Swift.Result<Result, any Error>
            do {
                result = .success(try await body(producer))
            } catch {
                result = .failure(error)
            }
            await producer.close()
            try await group.waitForAll()
            return try result.get()
        }
    }

    // MARK: Sending

    /// Sends one record and waits for its acknowledgement.
    ///
    /// The record waits in its batch for the batch to fill or for `linger` (5 ms by default,
    /// ``ProducerConfiguration/linger``), so each of a series of sequential `send` calls takes at
    /// least the linger: to send many records, ``enqueue(topic:key:value:headers:partition:messageID:timestamp:)``
    /// them and await their ``PendingRecord/metadata()`` (or ``flush()``) afterwards.
    ///
    /// Every wait ends: with the acknowledgement; with ``ClientError`` `notRunning` if ``run()``
    /// is not started within `startTimeout` (or ``close()`` is called before it starts); with
    /// `closed` if the producer closes first; or with `CancellationError` when the calling task is
    /// cancelled (the record may still be sent: cancelling the wait does not withdraw it).
    /// - Parameters:
    ///   - key, value: bytes given as any ``MessageBytes``: `ByteBuffer`, `[UInt8]`, `String`
    ///     (UTF-8) or `Data`; `nil` for no key or a null value.
    ///   - partition: the partition; `nil` to choose by key, message id or round-robin.
    ///   - messageID: the broker drops a second record with this id (compared byte for byte)
    ///     within its duplicate window, on the same partition: a record with an id and no key
    ///     goes to the partition of its id, so a retry reaches the partition that remembers it.
    ///   - timestamp: epoch milliseconds; `nil` for now.
    /// - Returns: where the record went; `offset` is `nil` with acks `none`.
    /// - Throws: ``ClientError``, or `CancellationError`.
    public func send(
        topic: String,
        key: (any MessageBytes)? = nil,
        value: (any MessageBytes)?,
        headers: [RecordHeader] = [],
        partition: Int32? = nil,
        messageID: (any MessageBytes)? = nil,
        timestamp: Int64? = nil
    ) async throws -> RecordMetadata {
        try await enqueue(
            topic: topic,
            key: key,
            value: value,
            headers: headers,
            partition: partition,
            messageID: messageID,
            timestamp: timestamp
        ).metadata()
    }

    /// Adds one record to its batch and returns without waiting for the acknowledgement. Records
    /// enqueued one after another by one task keep their order within a partition.
    /// - Returns: a handle whose ``PendingRecord/metadata()`` waits for the acknowledgement.
    /// - Throws: ``ClientError`` if the producer is closed, the record is too large, or the
    ///   topic's partitions cannot be looked up; `CancellationError` if the task is cancelled
    ///   while it waits for buffer space or for the partition lookup.
    public func enqueue(
        topic: String,
        key: (any MessageBytes)? = nil,
        value: (any MessageBytes)?,
        headers: [RecordHeader] = [],
        partition: Int32? = nil,
        messageID: (any MessageBytes)? = nil,
        timestamp: Int64? = nil
    ) async throws -> PendingRecord {
        let key = key?.messageBytes
        let value = value?.messageBytes
        let messageID = messageID?.messageBytes
        try checkOpen()
        if let partition, partition < 0 {
            throw ClientError(.invalidArgument, "partition \(partition) is negative")
        }
        if let messageID, messageID.readableBytes > configuration.maxMessageIDBytes {
            throw ClientError(
                .invalidArgument,
                "a message id of \(messageID.readableBytes) bytes is over the \(configuration.maxMessageIDBytes)-byte "
                    + "limit (maxMessageIDBytes)"
            )
        }
        var headers = headers
        if let messageID {
            headers.append(RecordHeader(key: ProduceRequest.messageIDHeader, value: messageID))
        }
        let size = ProducerBatch.estimatedSize(key: key, value: value, headers: headers)
        if let maxFrameBytes, size + 1024 > maxFrameBytes {
            throw ClientError(
                .invalidArgument,
                "a record of \(size) bytes is over the broker's \(maxFrameBytes)-byte frame limit"
            )
        }
        try await reserveBufferSpace(size)
        let target: (partition: Int32, isRoundRobin: Bool, isAlone: Bool)
        do {
            try checkOpen()
            target = try await choosePartition(topic: topic, key: key, messageID: messageID, explicit: partition)
            try checkOpen()
        } catch {
            releaseBufferSpace(size)
            throw error
        }
        let record = Record(
            key: key,
            value: value,
            headers: headers,
            timestamp: timestamp ?? WallClock.nowMilliseconds()
        )
        if !runStarted { armStartTimer() }
        let batch = openBatch(topic: topic, partition: target.partition, size: size)
        let index = batch.append(record, size: size, hasMessageID: messageID != nil)
        if target.isRoundRobin { sticky[topic] = (target.partition, batch.id) }
        if target.isAlone || batch.bytes >= effectiveBatchBytes {
            batch.isReady = true
            wakeup.signal()
        }
        return PendingRecord(topic: topic, outcome: batch.outcome, index: index)
    }

    /// Sends every record enqueued so far and waits for their acknowledgements.
    /// - Throws: the first ``ClientError`` among those batches (`notRunning` if ``run()`` does not
    ///   start within `startTimeout`), or `CancellationError` if the task is cancelled.
    public func flush() async throws {
        var outcomes: [BatchOutcome] = []
        for state in partitions.values {
            if let inFlight = state.inFlight { outcomes.append(inFlight.outcome) }
            for batch in state.batches {
                batch.isReady = true
                outcomes.append(batch.outcome)
            }
        }
        wakeup.signal()
        var firstError: (any Error)?
        for outcome in outcomes {
            do {
                _ = try await outcome.value()
            } catch let error as CancellationError {
                throw error
            } catch {
                firstError = firstError ?? error
            }
        }
        if let firstError { throw firstError }
    }

    /// Sends what is buffered, then stops: ``run()`` returns and later sends fail with `closed`.
    /// If ``run()`` never started, nothing can send the buffered records: they fail at once with
    /// `notRunning`.
    ///
    /// Without a timeout, `close` waits for every accepted record's acknowledgement or failure
    /// (each batch fails after its last retry, ``ProducerConfiguration/maxRetries``). With one,
    /// what is not acknowledged when it passes fails with `timedOut` (a batch on its way may still
    /// be stored by the broker), and ``run()`` returns.
    /// - Parameter timeout: the longest wait for the acknowledgements; `nil` for no limit.
    public func close(timeout: Duration? = nil) async {
        guard lifecycle == .open else { return }
        lifecycle = .closing
        let error = ClientError(.closed, "the producer is closed")
        for waiter in spaceWaiters { waiter.continuation.resume(throwing: error) }
        spaceWaiters.removeAll()
        if !runStarted {
            failUnsent(
                ClientError(
                    .notRunning,
                    "the producer was closed before its run() started, so the record was not sent: "
                        + "call run() or use withProducer"
                )
            )
        }
        if isRunning {
            let deadline = timeout.map { timeout in
                Task { [weak self] in
                    do { try await Task.sleep(for: timeout) } catch { return }
                    await self?.abandonDelivery(
                        ClientError(
                            .timedOut,
                            "the producer closed before the broker acknowledged this (timeout \(timeout))"
                        )
                    )
                }
            }
            try? await flush()
            deadline?.cancel()
        }
        wakeup.signal()
    }

    /// Fails every record not yet acknowledged with `reason`, and has ``run()`` stop waiting for
    /// the batches in flight.
    private func abandonDelivery(_ reason: ClientError) {
        guard abandonReason == nil else { return }
        abandonReason = reason
        failUnsent(reason)
        wakeup.signal()
    }

    /// Notes that ``run()`` is about to start, so that records are not failed as `notRunning`.
    func expectRun() {
        runStarted = true
        startTimer?.cancel()
        startTimer = nil
    }

    /// After `startTimeout`, fails what is buffered if ``run()`` has still not started.
    private func armStartTimer() {
        guard startTimer == nil else { return }
        let timeout = configuration.startTimeout
        startTimer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.startTimerFired()
        }
    }

    private func startTimerFired() {
        startTimer = nil
        guard !runStarted else { return }
        failUnsent(
            ClientError(
                .notRunning,
                "the producer is not running: call run() or use withProducer (run() did not start within "
                    + "startTimeout, \(configuration.startTimeout))"
            )
        )
    }

    private func checkOpen() throws {
        guard lifecycle == .open else { throw ClientError(.closed, "the producer is closed") }
    }

    var effectiveBatchBytes: Int {
        guard let maxFrameBytes else { return configuration.batchBytes }
        return max(1, min(configuration.batchBytes, maxFrameBytes - 1024))
    }

    private func openBatch(topic: String, partition: Int32, size: Int) -> ProducerBatch {
        let key = TopicPartition(topic: topic, partition: partition)
        if let last = partitions[key]?.batches.last, last.canAppend(size: size, limit: effectiveBatchBytes) {
            return last
        }
        if let last = partitions[key]?.batches.last, !last.isReady {
            last.isReady = true
            wakeup.signal()
        }
        nextBatchID += 1
        let deadline = NIODeadline.now() + TimeAmount(configuration.linger)
        let batch = ProducerBatch(id: nextBatchID, topic: topic, partition: partition, deadline: deadline)
        partitions[key, default: PartitionState()].batches.append(batch)
        let wakeup = self.wakeup
        eventLoop.scheduleTask(deadline: deadline) { wakeup.signal() }
        return batch
    }

    // MARK: Partitions

    private func choosePartition(
        topic: String,
        key: ByteBuffer?,
        messageID: ByteBuffer?,
        explicit: Int32?
    ) async throws -> (partition: Int32, isRoundRobin: Bool, isAlone: Bool) {
        if let explicit { return (explicit, false, false) }
        let count = try await partitionCount(of: topic)
        guard count > 0 else {
            // The broker does not have the topic (it may create it): let it choose. A keyed record
            // travels alone, since the broker partitions a batch by its key.
            return (ProduceRequest.anyPartition, false, key != nil || messageID != nil)
        }
        if let partition = PartitionChooser.partition(
            explicit: nil,
            key: key,
            messageID: messageID,
            partitionCount: count
        ) {
            return (partition, false, false)
        }
        if let current = sticky[topic], current.partition < count,
            let last = partitions[TopicPartition(topic: topic, partition: current.partition)]?.batches.last,
            last.id == current.batchID, !last.isReady
        {
            return (current.partition, true, false)
        }
        let next = roundRobin[topic, default: 0] % count
        roundRobin[topic] = (next + 1) % count
        return (next, true, false)
    }

    /// The topic's partition count, looked up if not known; `0` if the broker has no such topic.
    func partitionCount(of topic: String) async throws -> Int32 {
        if let count = partitionCounts[topic] { return count }
        try await refreshMetadata()
        return partitionCounts[topic] ?? 0
    }

    private func refreshMetadata() async throws {
        while metadataWaiters != nil {
            // Another task is looking up: wait for its answer (again if that task was cancelled).
            if try await waitForMetadata() { return }
        }
        metadataWaiters = [:]
        let result: Result<Void, any Error>
        do {
            let topics = try await transport.send(ListTopicsRequest(), as: ListTopicsResponse.self)
            var counts: [String: Int32] = [:]
            for topic in topics.topics { counts[topic.topic] = topic.partitionCount }
            for topic in partitionCounts.keys where counts[topic] == nil { counts[topic] = 0 }
            partitionCounts = counts
            result = .success(())
        } catch {
            result = .failure(error)
        }
        let waiters = metadataWaiters ?? [:]
        metadataWaiters = nil
        let wasCancelled: Bool
        if case .failure(let error) = result, error is CancellationError {
            wasCancelled = true
        } else {
            wasCancelled = false
        }
        for waiter in waiters.values {
            // This task's cancellation is not the waiters': they look up again.
            waiter.resume(with: wasCancelled ? .success(false) : result.map { true })
        }
        try result.get()
    }

    /// Waits for the running lookup: `true` when it is done, `false` if its task was cancelled.
    private func waitForMetadata() async throws -> Bool {
        nextWaiterID += 1
        let id = nextWaiterID
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                } else {
                    metadataWaiters?[id] = continuation
                }
            }
        } onCancel: {
            Task { await self.cancelMetadataWaiter(id) }
        }
    }

    private func cancelMetadataWaiter(_ id: UInt64) {
        metadataWaiters?.removeValue(forKey: id)?.resume(throwing: CancellationError())
    }

    // MARK: Back-pressure

    private func reserveBufferSpace(_ bytes: Int) async throws {
        if spaceWaiters.isEmpty, bufferedBytes == 0 || bufferedBytes + bytes <= configuration.maxBufferedBytes {
            bufferedBytes += bytes
            return
        }
        nextWaiterID += 1
        let id = nextWaiterID
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                } else if lifecycle != .open {
                    continuation.resume(throwing: ClientError(.closed, "the producer is closed"))
                } else {
                    spaceWaiters.append((id, bytes, continuation))
                }
            }
        } onCancel: {
            Task { await self.cancelSpaceWaiter(id) }
        }
    }

    private func cancelSpaceWaiter(_ id: UInt64) {
        guard let index = spaceWaiters.firstIndex(where: { $0.id == id }) else { return }
        spaceWaiters.remove(at: index).continuation.resume(throwing: CancellationError())
        // The waiters behind it may fit now.
        releaseBufferSpace(0)
    }

    func releaseBufferSpace(_ bytes: Int) {
        bufferedBytes -= bytes
        precondition(bufferedBytes >= 0)
        while let first = spaceWaiters.first,
            bufferedBytes == 0 || bufferedBytes + first.bytes <= configuration.maxBufferedBytes
        {
            spaceWaiters.removeFirst()
            bufferedBytes += first.bytes
            first.continuation.resume()
        }
    }
}
