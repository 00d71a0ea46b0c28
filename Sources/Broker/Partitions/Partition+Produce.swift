import BrokerProtocol
import LogStore
import NIOCore
import RecordCodec

extension Partition {
    /// One step of a produce entry, decided before anything of the entry is appended.
    enum AppendStep {
        /// Append `batch` (the batch as sent, or re-encoded without its message-id duplicates),
        /// then remember `entry` for its producer and `newIDs` in the message-id window.
        case append(
            RecordBatch,
            producer: ProducerStateTable.BatchHeader,
            entry: ProducerStateTable.BatchEntry,
            newIDs: [(id: [UInt8], offset: Int64)]
        )
        /// Append nothing (every record was a message-id duplicate) but remember `entry` for the
        /// producer, so that its next batch follows on and a retry gets the same answer.
        case remember(producer: ProducerStateTable.BatchHeader, entry: ProducerStateTable.BatchEntry)
    }

    /// A whole produce entry, validated and decided: what to append and what each record's
    /// offset will be.
    struct AppendPlan {
        var steps: [AppendStep] = []
        /// The offset of every record of the entry, in order.
        var recordOffsets: [Int64] = []
    }

    /// Appends the batches in `records` (one or more RecordBatch v2, back to back), answering once
    /// `acks` is satisfied.
    ///
    /// All or nothing: every check that can refuse the entry (bytes, record counts, sizes,
    /// timestamps, message-id lengths, producer ids, epochs and sequences of every batch) runs
    /// before the first byte is appended; only a storage failure can stop an entry half way.
    ///
    /// With `durableWithin`, a durable answer not ready that long after the append is
    /// `requestTimedOut`. The clock starts once the records are appended, so the request (and the
    /// bytes its connection has reserved for it) is never answered while its records still wait
    /// for the partition's loop.
    func append(
        _ records: ByteBuffer,
        hasMessageIDs: Bool,
        acks: Acks,
        durableWithin timeout: TimeAmount? = nil,
        issued: IssuedProducers
    ) -> EventLoopFuture<ProduceResponse.PartitionResult> {
        eventLoop.flatSubmit {
            // Whatever was appended, even if a later batch of the entry failed, is readable now.
            let endBefore = self.log.logEndOffset
            defer { if self.log.logEndOffset > endBefore { self.wakeWaiters() } }
            do {
                let result = try self.appendOnLoop(records, hasMessageIDs: hasMessageIDs, issued: issued)
                guard acks == .durable, result.lastOffset >= 0 else {
                    return self.eventLoop.makeSucceededFuture(result)
                }
                guard result.lastOffset < self.log.logEndOffset else {
                    throw BrokerError(
                        .unknownServerError,
                        "offset \(result.lastOffset) is past the log end \(self.log.logEndOffset)"
                    )
                }
                let promise = self.eventLoop.makePromise(of: ProduceResponse.PartitionResult.self)
                self.log.whenDurable(result.lastOffset) { outcome in
                    switch outcome {
                    case .success: promise.succeed(result)
                    case .failure(let error):
                        let error = BrokerError(error)
                        promise.succeed(.failure(partition: self.index, error.code, error.message))
                    }
                }
                guard let timeout else { return promise.futureResult }
                return Self.answer(promise.futureResult, partition: self.index, within: timeout, on: self.eventLoop)
            } catch {
                let error = BrokerError(error)
                return self.eventLoop.makeSucceededFuture(.failure(partition: self.index, error.code, error.message))
            }
        }
    }

    private func appendOnLoop(
        _ records: ByteBuffer,
        hasMessageIDs: Bool,
        issued: IssuedProducers
    ) throws -> ProduceResponse.PartitionResult {
        guard !isClosed else { throw BrokerError(.shuttingDown, "partition \(topic)/\(index) is closed") }
        let batches = try Self.split(records, maxBatchBytes: configuration.limits.maxBatchBytes)
        guard !batches.isEmpty else { throw BrokerError(.invalidRequest, "no record batch in the request") }
        let now = currentTimeMilliseconds()
        messageIDs.expire(now: now)
        let plan = try makePlan(batches, hasMessageIDs: hasMessageIDs, issued: issued, now: now)
        for step in plan.steps {
            switch step {
            case .append(let batch, let producer, let entry, let newIDs):
                let result = try log.append(batch)
                precondition(
                    result.firstOffset == entry.baseOffset || !entry.recordOffsets.isEmpty,
                    "planned offset \(entry.baseOffset), appended at \(result.firstOffset)"
                )
                metrics.recordAppend(
                    records: result.lastOffset - result.firstOffset + 1,
                    bytes: batch.sizeInBytes,
                    to: log
                )
                producers.record(producerID: producer.producerID, epoch: producer.epoch, entry: entry)
                for (id, offset) in newIDs { messageIDs.insert(id, offset: offset, now: now) }
            case .remember(let producer, let entry):
                producers.record(producerID: producer.producerID, epoch: producer.epoch, entry: entry)
            }
        }
        let offsets = plan.recordOffsets
        let first = offsets.first ?? -1
        let isContiguous = offsets.enumerated().allSatisfy { $0.element == first + Int64($0.offset) }
        return ProduceResponse.PartitionResult(
            partition: index,
            baseOffset: first,
            lastOffset: isContiguous ? (offsets.last ?? -1) : (offsets.max() ?? -1),
            recordOffsets: isContiguous ? [] : offsets
        )
    }

    /// Validates every batch of an entry and decides what becomes of each record, changing
    /// nothing: the offsets are those the appends will assign, counted from the log end.
    func makePlan(
        _ batches: [RecordBatch],
        hasMessageIDs: Bool,
        issued: IssuedProducers,
        now: Int64
    ) throws -> AppendPlan {
        var plan = AppendPlan()
        var nextOffset = log.logEndOffset
        var pendingProducers: [Int64: ProducerStateTable.Pending] = [:]
        var pendingIDs: [[UInt8]: Int64] = [:]
        let latestAllowed = now.saturatingAdd(configuration.maxTimestampAheadMilliseconds)
        for (position, sentBatch) in batches.enumerated() {
            let count = Int(sentBatch.recordCount)
            guard count > 0 else {
                throw BrokerError(
                    .corruptRecordBatch,
                    "batch \(position) of the entry declares \(count) records; a batch needs at least one"
                )
            }
            // Every record is walked once, here; the append trusts the result.
            let batch: RecordBatch
            do {
                batch = try sentBatch.validatingRecords(
                    timestampsWithin: RecordBatch.noTimestamp...max(RecordBatch.noTimestamp, latestAllowed),
                    maxDecompressedBytes: configuration.limits.maxDecompressedBatchBytes
                )
            } catch let error as RecordBatchError where error.code == .invalidTimestamp {
                throw BrokerError(
                    .invalidTimestamp,
                    "batch \(position): \(error.message); timestamps are -1 (none) or 0 up to the broker's clock "
                        + "(\(now)) plus maxTimestampAheadMilliseconds (\(configuration.maxTimestampAheadMilliseconds))"
                )
            }
            let producer = ProducerStateTable.BatchHeader(
                producerID: batch.producerId,
                epoch: batch.producerEpoch,
                firstSequence: batch.baseSequence,
                recordCount: batch.recordCount
            )
            let decision = try producers.check(producer, issued: issued, pending: &pendingProducers)
            switch decision {
            case .append: break
            case .duplicate(let entry):
                plan.recordOffsets.append(contentsOf: entry.offsets(count: count))
                continue
            case .duplicateOfPartlyStored(let entry):
                let offsets = try offsetsOfPartlyStored(batch, entry: entry, hasMessageIDs: hasMessageIDs)
                plan.recordOffsets.append(contentsOf: offsets)
                continue
            }
            guard hasMessageIDs else {
                let entry = ProducerStateTable.BatchEntry(
                    firstSequence: producer.firstSequence,
                    lastSequence: producer.lastSequence,
                    baseOffset: nextOffset,
                    lastOffset: nextOffset + Int64(count) - 1
                )
                plan.steps.append(.append(batch, producer: producer, entry: entry, newIDs: []))
                plan.recordOffsets.append(contentsOf: entry.offsets(count: count))
                nextOffset += Int64(count)
                continue
            }
            let records = try batch.records(maxDecompressedBytes: configuration.limits.maxDecompressedBatchBytes)
            var offsets: [Int64] = []
            offsets.reserveCapacity(count)
            var fresh: [Record] = []
            var newIDs: [(id: [UInt8], offset: Int64)] = []
            for record in records {
                let id = record.messageID.map { Array($0.readableBytesView) }
                if let id {
                    guard id.count <= configuration.limits.maxMessageIDBytes else {
                        throw BrokerError(
                            .invalidRequest,
                            "a message id of \(id.count) bytes is over the \(configuration.limits.maxMessageIDBytes)-byte "
                                + "limit (maxMessageIDBytes)"
                        )
                    }
                    if let earlier = pendingIDs[id] ?? messageIDs.lookup(id) {
                        offsets.append(earlier)
                        continue
                    }
                }
                let offset = nextOffset + Int64(fresh.count)
                offsets.append(offset)
                fresh.append(record)
                if let id {
                    pendingIDs[id] = offset
                    newIDs.append((id, offset))
                }
            }
            let isWhole = fresh.count == count
            let entry = ProducerStateTable.BatchEntry(
                firstSequence: producer.firstSequence,
                lastSequence: producer.lastSequence,
                baseOffset: isWhole ? nextOffset : offsets.min()!,
                lastOffset: isWhole ? nextOffset + Int64(count) - 1 : offsets.max()!,
                recordOffsets: isWhole ? [] : offsets
            )
            plan.recordOffsets.append(contentsOf: offsets)
            if fresh.isEmpty {
                if producer.producerID >= 0 { plan.steps.append(.remember(producer: producer, entry: entry)) }
                continue
            }
            let stored = isWhole ? batch : Self.reencode(fresh, of: batch)
            plan.steps.append(.append(stored, producer: producer, entry: entry, newIDs: newIDs))
            nextOffset += Int64(fresh.count)
        }
        return plan
    }

    /// The offsets a retry of a batch stored without its message-id duplicates got the first
    /// time, when only the log's copy of it is known (after a restart): a record whose id is
    /// remembered has that id's offset; the others fill the rest of `entry`'s offsets in order.
    /// - Throws: `outOfOrderSequence` when that does not account for every record exactly (the
    ///   ids left the window): an answer that might be wrong is never given.
    private func offsetsOfPartlyStored(
        _ batch: RecordBatch,
        entry: ProducerStateTable.BatchEntry,
        hasMessageIDs: Bool
    ) throws -> [Int64] {
        let refusal = BrokerError(
            .outOfOrderSequence,
            "producer \(batch.producerId) sequence \(batch.baseSequence) repeats a batch stored without some of its "
                + "records (message-id duplicates) whose answer can no longer be rebuilt"
        )
        guard hasMessageIDs else { throw refusal }
        let range = entry.baseOffset...entry.lastOffset
        let known = try batch.records(maxDecompressedBytes: configuration.limits.maxDecompressedBatchBytes).map {
            record in
            record.messageID.flatMap { messageIDs.lookup(Array($0.readableBytesView)) }
        }
        let claimed = Set(known.compactMap { $0 }.filter { range.contains($0) })
        var free = range.filter { !claimed.contains($0) }[...]
        var offsets: [Int64] = []
        for offset in known {
            if let offset {
                offsets.append(offset)
            } else if let next = free.popFirst() {
                offsets.append(next)
            } else {
                throw refusal
            }
        }
        guard free.isEmpty else { throw refusal }
        return offsets
    }

    /// The batch to store when some of `batch`'s records were message-id duplicates: the others,
    /// with the producer fields kept. Its `baseSequence` is chosen so that its last sequence is
    /// the original batch's (`baseSequence + lastOffsetDelta`): rebuilding the producer table
    /// from the log then expects the sequence that follows the original batch.
    static func reencode(_ fresh: [Record], of batch: RecordBatch) -> RecordBatch {
        let producer: ProducerIdentity
        if batch.producerId >= 0 {
            let last = ProducerStateTable.sequence(batch.baseSequence, plus: batch.lastOffsetDelta)
            producer = ProducerIdentity(
                producerId: batch.producerId,
                producerEpoch: batch.producerEpoch,
                baseSequence: ProducerStateTable.sequence(last, minus: Int32(fresh.count - 1))
            )
        } else {
            producer = .none
        }
        return RecordBatch(records: fresh, producer: producer)
    }

    /// Splits back-to-back batches, checking each one's length, magic and CRC (its records are
    /// checked before appending).
    static func split(_ records: ByteBuffer, maxBatchBytes: Int) throws -> [RecordBatch] {
        var records = records
        var batches: [RecordBatch] = []
        while let batch = try RecordBatch.next(from: &records, maxBatchBytes: maxBatchBytes) {
            batches.append(batch)
        }
        guard records.readableBytes == 0 else {
            throw BrokerError(.corruptRecordBatch, "\(records.readableBytes) bytes after the last whole batch")
        }
        return batches
    }
}

extension Partition {
    /// `durable`, or if it is not ready within `timeout`, `requestTimedOut`. A timed-out entry is
    /// not undone: its records are appended and may still become durable (as in Kafka), so a client
    /// retries with the idempotent producer or message ids.
    static func answer(
        _ durable: EventLoopFuture<ProduceResponse.PartitionResult>,
        partition: Int32,
        within timeout: TimeAmount,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<ProduceResponse.PartitionResult> {
        let promise = eventLoop.makePromise(of: ProduceResponse.PartitionResult.self)
        let timer = eventLoop.scheduleTask(in: timeout) {
            let message =
                "not durable within timeoutMilliseconds (\(timeout.nanoseconds / 1_000_000) ms); "
                + "the records are appended and may still become durable"
            promise.succeed(.failure(partition: partition, .requestTimedOut, message))
        }
        durable.hop(to: eventLoop).whenComplete { result in
            timer.cancel()
            promise.completeWith(result)
        }
        return promise.futureResult
    }
}
