import BrokerProtocol
import NIOCore
import RecordCodec
import ServiceLifecycle

extension Producer {
    /// Sends batches until ``close()``: each partition's ready batches in order, one in flight per
    /// partition, partitions concurrently. Cancelling it fails every unsent record with `closed`.
    ///
    /// Records wait for it: a record accepted while it is not running fails with `notRunning` if
    /// it has not started within ``ProducerConfiguration/startTimeout``.
    ///
    /// In a swift-service-lifecycle `ServiceGroup` (or any task under a graceful shutdown
    /// manager), a graceful shutdown calls ``close()``: the records already accepted are sent and
    /// acknowledged, later ones are refused with `closed`, then it returns.
    public func run() async throws {
        precondition(!isRunning, "Producer.run() called twice")
        isRunning = true
        expectRun()
        defer { isRunning = false }
        await withGracefulShutdownHandler {
            await sendLoop()
        } onGracefulShutdown: {
            Task { await self.close() }
        }
        lifecycle = .closed
        // A record enqueued while the task group ended (after a cancellation) must fail, not wait forever.
        failUnsent(ClientError(.closed, "the producer is closed"))
        partitions.removeAll()
    }

    /// Sends ready batches until closed (and drained) or cancelled.
    private func sendLoop() async {
        await withDiscardingTaskGroup { group in
            while true {
                if Task.isCancelled {
                    failUnsent(ClientError(.closed, "the producer was cancelled"))
                    if partitions.values.allSatisfy({ $0.inFlight == nil }) { break }
                    // The batches in flight were cancelled with this task; each signals when it
                    // ends. (A cancellation-aware wait would return at once and keep this loop on
                    // the actor, so they could never end.)
                    await wakeup.waitIgnoringCancellation()
                    continue
                }
                if abandonReason != nil {
                    // close(timeout:) ran out: stop waiting for the batches in flight.
                    group.cancelAll()
                    if partitions.values.allSatisfy({ $0.inFlight == nil }) { break }
                }
                if maxFrameBytes == nil { maxFrameBytes = await transport.maxFrameBytes }
                if configuration.isIdempotent, producerIdentity == nil || needsNewProducerID, hasReadyBatch {
                    do {
                        try await initProducer()
                    } catch is CancellationError {
                        continue  // The loop's first step fails what is unsent.
                    } catch {
                        failUnsent(error as? ClientError ?? ClientError(.connectionFailed, "\(error)"))
                    }
                }
                let now = NIODeadline.now()
                for (key, state) in partitions where state.inFlight == nil {
                    guard let first = state.batches.first else { continue }
                    if !first.isReady && first.deadline > now { continue }
                    first.isReady = true
                    partitions[key]!.batches.removeFirst()
                    partitions[key]!.inFlight = first
                    group.addTask { await self.sendInFlightBatch(of: key) }
                }
                if lifecycle != .open, partitions.values.allSatisfy({ $0.inFlight == nil && $0.batches.isEmpty }) {
                    break
                }
                await wakeup.wait()
            }
        }
    }

    private var hasReadyBatch: Bool {
        let now = NIODeadline.now()
        return partitions.values.contains { state in
            guard state.inFlight == nil, let first = state.batches.first else { return false }
            return first.isReady || first.deadline <= now
        }
    }

    private func initProducer() async throws {
        let response = try await transport.send(InitProducerRequest(), as: InitProducerResponse.self)
        try Admin.check(response.result)
        producerIdentity = (response.producerID, response.producerEpoch)
        needsNewProducerID = false
        for key in partitions.keys { partitions[key]!.nextSequence = 0 }
        logger.debug("producer id assigned", metadata: ["producerId": "\(response.producerID)"])
    }

    /// Fails every batch not yet sent.
    func failUnsent(_ error: ClientError) {
        for key in partitions.keys {
            let batches = partitions[key]!.batches
            partitions[key]!.batches.removeAll()
            for batch in batches {
                releaseBufferSpace(batch.bytes)
                batch.outcome.complete(.failure(error))
            }
        }
    }

    private func sendInFlightBatch(of key: TopicPartition) async {
        guard let batch = partitions[key]?.inFlight else { return }
        var identity = ProducerIdentity.none
        if configuration.isIdempotent, batch.partition >= 0, let producer = producerIdentity {
            let sequence = partitions[key]!.nextSequence
            identity = ProducerIdentity(producerId: producer.id, producerEpoch: producer.epoch, baseSequence: sequence)
            partitions[key]!.nextSequence = Self.sequence(after: sequence, count: batch.records.count)
        }
        let request = Self.makeRequest(for: batch, producer: identity, configuration: configuration)
        let result = await deliver(request, recordCount: batch.records.count)
        partitions[key]?.inFlight = nil
        releaseBufferSpace(batch.bytes)
        if case .failure(let error) = result {
            if identity != .none { needsNewProducerID = true }
            if let code = error.code.brokerErrorCode, code == .unknownPartition || code == .unknownTopic {
                partitionCounts[batch.topic] = nil
            }
        }
        if batch.partition == ProduceRequest.anyPartition { partitionCounts[batch.topic] = nil }
        batch.outcome.complete(result)
        wakeup.signal()
    }

    /// The produce request for `batch`, encoded once: a retry sends these very bytes.
    static func makeRequest(
        for batch: ProducerBatch,
        producer: ProducerIdentity,
        configuration: ProducerConfiguration
    ) -> ProduceRequest {
        var records = ByteBuffer()
        if configuration.compression != .none,
            let compressed = try? RecordBatch(
                records: batch.records,
                compression: configuration.compression,
                producer: producer
            )
        {
            records = compressed.buffer
        } else {
            // Uncompressed, or zlib could not deflate (out of memory): the same records, sent plain.
            RecordBatch.write(records: batch.records, producer: producer, into: &records)
        }
        let timeout = Admin.milliseconds(configuration.produceTimeout)
        return ProduceRequest(
            acks: configuration.acks.wireValue,
            timeoutMilliseconds: UInt32(clamping: timeout),
            topic: batch.topic,
            partitions: [
                .init(partition: batch.partition, hasMessageIDs: batch.hasMessageIDs, records: records)
            ]
        )
    }

    /// Kafka's sequence arithmetic: sequences wrap from `Int32.max` to 0.
    static func sequence(after sequence: Int32, count: Int) -> Int32 {
        Int32((Int64(sequence) + Int64(count)) % (Int64(Int32.max) + 1))
    }

    /// Sends `request`, again after connection failures and transient broker errors.
    private func deliver(
        _ request: ProduceRequest,
        recordCount: Int
    ) async -> Result<BatchOutcome.Placement, ClientError> {
        var attempt = 0
        while true {
            let retriable: ClientError
            do {
                if configuration.acks == .none {
                    try await transport.sendWithoutResponse(request)
                    let partition = request.partitions[0].partition
                    return .success(BatchOutcome.Placement(partition: partition, baseOffset: nil, recordOffsets: []))
                }
                let response = try await transport.send(
                    request,
                    as: ProduceResponse.self,
                    timeout: configuration.produceTimeout + .seconds(5)
                )
                guard response.partitions.count == 1,
                    response.partitions[0].recordOffsets.isEmpty
                        || response.partitions[0].recordOffsets.count == recordCount
                else {
                    return .failure(ClientError(.protocolViolation, "the produce response does not match the request"))
                }
                let result = response.partitions[0]
                if result.errorCode == .none {
                    return .success(
                        BatchOutcome.Placement(
                            partition: result.partition,
                            baseOffset: result.baseOffset,
                            recordOffsets: result.recordOffsets
                        )
                    )
                }
                let error = ClientError.broker(result.errorCode, result.errorMessage)
                guard Self.isRetriable(result.errorCode) else { return .failure(error) }
                retriable = error
            } catch let error as ClientError {
                guard error.code.isConnectionLevel else { return .failure(error) }
                retriable = error
            } catch is CancellationError {
                return .failure(
                    abandonReason
                        ?? ClientError(
                            .closed,
                            "the producer's run() was cancelled before the broker acknowledged the batch"
                        )
                )
            } catch {
                return .failure(ClientError(.connectionClosed, "\(error)", cause: error))
            }
            guard attempt < configuration.maxRetries else { return .failure(retriable) }
            logger.debug(
                "retrying a batch",
                metadata: ["topic": "\(request.topic)", "attempt": "\(attempt + 1)", "error": "\(retriable)"]
            )
            do {
                try await Task.sleep(for: configuration.retryBackoff * (1 << min(attempt, 10)))
            } catch {
                return .failure(
                    abandonReason
                        ?? ClientError(
                            .closed,
                            "the producer's run() was cancelled while a batch waited to be sent again"
                        )
                )
            }
            attempt += 1
        }
    }

    /// Broker errors after which the same batch may succeed.
    static func isRetriable(_ code: ErrorCode) -> Bool {
        code == .requestTimedOut || code == .shuttingDown || code == .limitExceeded
    }
}
