import BrokerProtocol
import LogStore
import Metrics
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RecordCodec

/// One partition of a topic: its log and the state that goes with it, owned by one event loop.
///
/// Every method hops to `eventLoop` (one hop per request batch, never per record) and touches the
/// log and the state only there: the log has a single writer and needs no lock. Appends and reads
/// go to the page cache on the loop; fsyncs run on the log's flush thread and complete promises
/// from there.
final class Partition: @unchecked Sendable {
    let topic: String
    let index: Int32
    let eventLoop: any EventLoop
    private let configuration: BrokerConfiguration
    // Loop-confined state: touched only on `eventLoop`.
    private let log: PartitionLog
    private var waiters: [FetchWakeup] = []
    private var producers: ProducerStateTable
    private var messageIDs: MessageIDCache
    private var isClosed = false
    /// The broker is shutting down: long polls are answered at once instead of waiting.
    private var isEndingLongPolls = false
    private var retentionTask: RepeatedTask?
    /// Metrics, created once with fixed labels, destroyed at close.
    private var metrics: PartitionMetrics

    /// Takes ownership of `log`, which must not be used by anyone else from now on, with the state
    /// ``recoverState(from:configuration:)`` rebuilt from it.
    init(
        topic: String,
        index: Int32,
        log: SendableLog,
        state: RecoveredState,
        eventLoop: any EventLoop,
        configuration: BrokerConfiguration
    ) {
        self.topic = topic
        self.index = index
        self.eventLoop = eventLoop
        self.configuration = configuration
        self.log = log.log
        self.producers = state.producers
        self.messageIDs = state.messageIDs
        self.metrics = PartitionMetrics(topic: topic, partition: index)
        self.metrics.update(from: self.log)
        let interval = TimeAmount.milliseconds(configuration.retentionCheckIntervalMilliseconds)
        eventLoop.execute {
            self.retentionTask = eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
                self.applyRetention()
            }
        }
    }

    // MARK: State recovery

    /// The idempotent-producer table and message-id window of a partition.
    struct RecoveredState: Sendable {
        var producers: ProducerStateTable
        var messageIDs: MessageIDCache
    }

    /// Rebuilds the producer table and the message-id window from the log's recent tail (about
    /// `stateRecoveryBytes`), so that a retry that crosses a broker restart is still answered with
    /// its first offsets. Blocks on reads: run it where the log was opened (the thread pool).
    static func recoverState(from log: PartitionLog, configuration: BrokerConfiguration) throws -> RecoveredState {
        var producers = ProducerStateTable(capacity: configuration.limits.maxProducersPerPartition)
        var messageIDs = MessageIDCache(
            windowMilliseconds: configuration.duplicateWindowMilliseconds,
            capacity: configuration.limits.maxMessageIDsPerPartition
        )
        let now = currentTimeMilliseconds()
        var offset = log.offset(nearEndWithin: configuration.stateRecoveryBytes)
        while offset < log.logEndOffset {
            let result = try log.read(from: offset, maxBytes: 1 << 20)
            guard let last = result.batches.last else { break }
            for batch in result.batches {
                producers.record(
                    producerID: batch.producerId,
                    epoch: batch.producerEpoch,
                    entry: .init(
                        firstSequence: batch.baseSequence,
                        lastSequence: ProducerStateTable.sequence(batch.baseSequence, plus: batch.lastOffsetDelta),
                        baseOffset: batch.baseOffset,
                        lastOffset: batch.lastOffset
                    )
                )
                guard batch.maxTimestamp >= now - configuration.duplicateWindowMilliseconds else { continue }
                for record in try batch.records() {
                    guard let id = record.messageID else { continue }
                    messageIDs.insert(String(buffer: id), offset: record.offset, now: min(now, record.timestamp))
                }
            }
            offset = last.lastOffset + 1
        }
        return RecoveredState(producers: producers, messageIDs: messageIDs)
    }

    // MARK: Produce

    /// Appends the batches in `records` (one or more RecordBatch v2, back to back), answering once
    /// `acks` is satisfied.
    func append(
        _ records: ByteBuffer,
        hasMessageIDs: Bool,
        acks: Acks
    ) -> EventLoopFuture<ProduceResponse.PartitionResult> {
        eventLoop.flatSubmit {
            // Whatever was appended, even if a later batch of the entry failed, is readable now.
            let endBefore = self.log.logEndOffset
            defer { if self.log.logEndOffset > endBefore { self.wakeWaiters() } }
            do {
                let result = try self.appendOnLoop(records, hasMessageIDs: hasMessageIDs)
                guard acks == .durable, result.lastOffset >= 0 else {
                    return self.eventLoop.makeSucceededFuture(result)
                }
                let promise = self.eventLoop.makePromise(of: ProduceResponse.PartitionResult.self)
                self.log.whenDurable(result.lastOffset) { outcome in
                    switch outcome {
                    case .success: promise.succeed(result)
                    case .failure(let error):
                        promise.succeed(.failure(partition: self.index, .storageError, error.description))
                    }
                }
                return promise.futureResult
            } catch {
                let error = BrokerError(error)
                return self.eventLoop.makeSucceededFuture(.failure(partition: self.index, error.code, error.message))
            }
        }
    }

    private func appendOnLoop(_ records: ByteBuffer, hasMessageIDs: Bool) throws -> ProduceResponse.PartitionResult {
        guard !isClosed else { throw BrokerError(.shuttingDown, "partition \(topic)/\(index) is closed") }
        let batches = try Self.split(records, maxBatchBytes: configuration.limits.maxBatchBytes)
        guard !batches.isEmpty else { throw BrokerError(.invalidRequest, "no record batch in the request") }
        if batches.count > 1 {
            // All or nothing for bad bytes: check every batch's records before appending the first.
            // (A single batch is checked by the append itself.)
            for batch in batches { try batch.validateRecords() }
        }
        var recordOffsets: [Int64] = []
        for batch in batches {
            recordOffsets.append(contentsOf: try appendBatch(batch, hasMessageIDs: hasMessageIDs))
        }
        let first = recordOffsets.first ?? -1
        let isContiguous = recordOffsets.enumerated().allSatisfy { $0.element == first + Int64($0.offset) }
        return ProduceResponse.PartitionResult(
            partition: index,
            baseOffset: first,
            lastOffset: isContiguous ? (recordOffsets.last ?? -1) : (recordOffsets.max() ?? -1),
            recordOffsets: isContiguous ? [] : recordOffsets
        )
    }

    /// Appends one batch, unless it is a duplicate. Returns the offset of each of its records.
    private func appendBatch(_ batch: RecordBatch, hasMessageIDs: Bool) throws -> [Int64] {
        let count = Int(batch.recordCount)
        let decision = try producers.check(
            producerID: batch.producerId,
            epoch: batch.producerEpoch,
            firstSequence: batch.baseSequence,
            recordCount: batch.recordCount
        )
        if case .duplicate(let entry) = decision {
            return (0..<count).map { entry.baseOffset + Int64($0) }
        }
        var toAppend = batch
        var duplicateOffsets: [Int: Int64] = [:]
        var ids: [String?] = []
        if hasMessageIDs {
            let now = currentTimeMilliseconds()
            let records = try batch.records()
            ids = records.map { $0.messageID.map { String(buffer: $0) } }
            for (position, id) in ids.enumerated() {
                if let id, let offset = messageIDs.offset(of: id, now: now) { duplicateOffsets[position] = offset }
            }
            if duplicateOffsets.count == count {
                return (0..<count).map { duplicateOffsets[$0]! }
            }
            if !duplicateOffsets.isEmpty {
                // Some records are duplicates: store the others, re-encoded without them (the one
                // case where the broker re-encodes; the batch loses its producer fields).
                let fresh = records.enumerated().filter { duplicateOffsets[$0.offset] == nil }.map(\.element)
                toAppend = RecordBatch(records: fresh)
            }
        }
        let result = try log.append(toAppend)
        metrics.recordAppend(records: result.lastOffset - result.firstOffset + 1, bytes: toAppend.sizeInBytes, to: log)
        producers.record(
            producerID: batch.producerId,
            epoch: batch.producerEpoch,
            entry: .init(
                firstSequence: batch.baseSequence,
                lastSequence: ProducerStateTable.sequence(batch.baseSequence, plus: batch.lastOffsetDelta),
                baseOffset: result.firstOffset,
                lastOffset: result.lastOffset
            )
        )
        var next = result.firstOffset
        var offsets: [Int64] = []
        offsets.reserveCapacity(count)
        let now = currentTimeMilliseconds()
        for position in 0..<count {
            if let duplicate = duplicateOffsets[position] {
                offsets.append(duplicate)
            } else {
                offsets.append(next)
                if hasMessageIDs, let id = ids[position] { messageIDs.insert(id, offset: next, now: now) }
                next += 1
            }
        }
        return offsets
    }

    /// Splits back-to-back batches, checking each one's length, magic and CRC (its records are
    /// checked on append).
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

    // MARK: Fetch

    /// Reads whole batches from `offset`, up to `maxBytes` (at least one batch).
    func read(from offset: Int64, maxBytes: Int) -> EventLoopFuture<FetchResponse.PartitionData> {
        eventLoop.submit {
            do {
                guard !self.isClosed else { throw BrokerError(.shuttingDown, "partition is closed") }
                let result = try self.log.read(from: offset, maxBytes: maxBytes)
                self.metrics.recordFetch(bytes: result.bytes.readableBytes)
                return FetchResponse.PartitionData(
                    partition: self.index,
                    logStartOffset: result.logStartOffset,
                    logEndOffset: result.logEndOffset,
                    records: result.bytes
                )
            } catch {
                let error = BrokerError(error)
                return FetchResponse.PartitionData(
                    partition: self.index,
                    errorCode: error.code,
                    errorMessage: error.message,
                    logStartOffset: self.log.logStartOffset,
                    logEndOffset: self.log.logEndOffset
                )
            }
        }
    }

    /// Fires `wakeup` on the next append (or at once if data past `offset` already exists).
    func notify(_ wakeup: FetchWakeup, whenDataAfter offset: Int64) {
        eventLoop.execute {
            if self.isClosed || self.isEndingLongPolls || self.log.logEndOffset > offset { return wakeup.fire() }
            self.waiters.removeAll { $0.isFired }
            self.waiters.append(wakeup)
        }
    }

    /// Wakes every waiting fetch and lets no new one wait (graceful shutdown: the fetches answer
    /// with what they have instead of holding up the drain).
    func endLongPolls() {
        eventLoop.execute {
            self.isEndingLongPolls = true
            self.wakeWaiters()
        }
    }

    private func wakeWaiters() {
        guard !waiters.isEmpty else { return }
        let fired = waiters
        waiters.removeAll()
        for wakeup in fired { wakeup.fire() }
    }

    // MARK: Offsets and description

    /// `ListOffsetsRequest.earliest`, `.latest`, or the first offset at or after a timestamp.
    func offset(for timestamp: Int64) -> EventLoopFuture<ListOffsetsResponse.Result> {
        eventLoop.submit {
            do {
                // The log may be closing on the thread pool: not a single read of it from here.
                guard !self.isClosed else { throw BrokerError(.shuttingDown, "partition is closed") }
                let offset: Int64
                switch timestamp {
                case ListOffsetsRequest.earliest: offset = self.log.logStartOffset
                case ListOffsetsRequest.latest: offset = self.log.logEndOffset
                default: offset = try self.log.offset(atOrAfterTimestamp: timestamp) ?? -1
                }
                return .init(
                    partition: self.index,
                    offset: offset,
                    logStartOffset: self.log.logStartOffset,
                    logEndOffset: self.log.logEndOffset
                )
            } catch {
                let error = BrokerError(error)
                return .init(
                    partition: self.index,
                    errorCode: error.code,
                    errorMessage: error.message,
                    offset: -1,
                    logStartOffset: self.log.logStartOffset,
                    logEndOffset: self.log.logEndOffset
                )
            }
        }
    }

    /// Start and end offsets, size and segment count.
    func describe() -> EventLoopFuture<DescribeTopicResponse.PartitionDescription> {
        eventLoop.submit {
            .init(
                partition: self.index,
                logStartOffset: self.log.logStartOffset,
                logEndOffset: self.log.logEndOffset,
                sizeBytes: self.log.sizeInBytes,
                segmentCount: Int32(self.log.segmentCount)
            )
        }
    }

    // MARK: Retention and close

    private func applyRetention() {
        guard !isClosed else { return }
        _ = try? log.enforceRetention()
        metrics.update(from: log)
    }

    /// Stops taking requests and closes the log cleanly (flush, checkpoint, clean-shutdown
    /// marker). The fsyncs run on `threadPool`, not on the event loop.
    func close(on threadPool: NIOThreadPool) -> EventLoopFuture<Void> {
        eventLoop.flatSubmit {
            guard !self.isClosed else { return self.eventLoop.makeSucceededVoidFuture() }
            self.isClosed = true
            self.retentionTask?.cancel()
            self.wakeWaiters()
            self.metrics.destroy()
            let log = SendableLog(self.log)
            return threadPool.runIfActive(eventLoop: self.eventLoop) { try log.log.close() }
        }
    }
}

/// Hands a `PartitionLog` from the thread that opened it to the event loop that owns it (and to
/// the thread pool that closes it). Only one side uses the log at a time.
struct SendableLog: @unchecked Sendable {
    let log: PartitionLog
    init(_ log: PartitionLog) { self.log = log }
}

/// A long-polling fetch waiting for data: fired at most once, by the first partition that gets an
/// append or by the fetch's timeout.
final class FetchWakeup: Sendable {
    private let promise: EventLoopPromise<Void>
    private let fired = NIOLockedValueBox(false)

    init(eventLoop: any EventLoop) {
        promise = eventLoop.makePromise()
    }

    var futureResult: EventLoopFuture<Void> { promise.futureResult }
    var isFired: Bool { fired.withLockedValue { $0 } }

    func fire() {
        let first = fired.withLockedValue { value -> Bool in
            defer { value = true }
            return !value
        }
        if first { promise.succeed(()) }
    }
}
