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
    let configuration: BrokerConfiguration
    // Loop-confined state: touched only on `eventLoop`.
    let log: PartitionLog
    private var waiters: [FetchWakeup] = []
    var producers: ProducerStateTable
    var messageIDs: MessageIDCache
    private(set) var isClosed = false
    /// The broker is shutting down: long polls are answered at once instead of waiting.
    private var isEndingLongPolls = false
    private var retentionTask: RepeatedTask?
    private var messageIDExpiryTask: RepeatedTask?
    /// Metrics, created once with fixed labels, destroyed at close.
    var metrics: PartitionMetrics

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
            // An idle partition lets go of its expired message ids within about half a window.
            let expiry = TimeAmount.milliseconds(max(1000, configuration.duplicateWindowMilliseconds / 2))
            self.messageIDExpiryTask = eventLoop.scheduleRepeatedTask(initialDelay: expiry, delay: expiry) { _ in
                self.messageIDs.expire(now: currentTimeMilliseconds())
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
            capacityBytes: configuration.limits.maxMessageIDBytesPerPartition
        )
        let now = currentTimeMilliseconds()
        var offset = log.offset(nearEndWithin: configuration.stateRecoveryBytes)
        while offset < log.logEndOffset {
            let result = try log.read(from: offset, maxBytes: 1 << 20)
            // Offsets lost to damage on disk: go on after them.
            if let lost = result.lostOffsets {
                offset = lost.upperBound
                continue
            }
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
                    ),
                    isRecovered: true
                )
                // When an id was first seen is not stored: the record's timestamp stands in for
                // it, kept inside [now - window, now] (a producer's clock may be anywhere).
                let window = configuration.duplicateWindowMilliseconds
                guard now.saturatingSubtract(batch.maxTimestamp) <= window else { continue }
                let oldestKept = now.saturatingSubtract(window)
                for record in try batch.records(maxDecompressedBytes: configuration.limits.maxDecompressedBatchBytes) {
                    guard let id = record.messageID else { continue }
                    let seenAt = min(now, max(oldestKept, record.timestamp))
                    messageIDs.insert(Array(id.readableBytesView), offset: record.offset, now: seenAt)
                }
            }
            offset = last.lastOffset + 1
        }
        return RecoveredState(producers: producers, messageIDs: messageIDs)
    }

    // MARK: Fetch

    /// Reads whole batches from `offset`, up to `maxBytes` (at least one batch).
    func read(from offset: Int64, maxBytes: Int) -> EventLoopFuture<FetchResponse.PartitionData> {
        eventLoop.submit {
            do {
                guard !self.isClosed else { throw BrokerError(.shuttingDown, "partition is closed") }
                let result = try self.log.read(from: offset, maxBytes: maxBytes)
                self.metrics.recordFetch(bytes: result.bytes.readableBytes)
                return FetchResponse.PartitionData(reading: result, topic: self.topic, partition: self.index)
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

    /// The partition's offsets without its records, for a fetch whose byte budget earlier
    /// partitions used up: the same log start and end a read reports, and `offsetOutOfRange` for an
    /// offset outside the log, so that the answer differs from a read's only in having no records.
    func offsets(checking offset: Int64) -> EventLoopFuture<FetchResponse.PartitionData> {
        eventLoop.submit {
            let start = self.log.logStartOffset
            let end = self.log.logEndOffset
            guard !self.isClosed else {
                return FetchResponse.PartitionData(
                    partition: self.index,
                    errorCode: .shuttingDown,
                    errorMessage: "partition is closed",
                    logStartOffset: start,
                    logEndOffset: end
                )
            }
            guard offset >= start, offset <= end else {
                return FetchResponse.PartitionData(
                    partition: self.index,
                    errorCode: .offsetOutOfRange,
                    errorMessage: "offset \(offset) is outside the log's range \(start)..<\(end)",
                    logStartOffset: start,
                    logEndOffset: end
                )
            }
            return FetchResponse.PartitionData(partition: self.index, logStartOffset: start, logEndOffset: end)
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

    /// How many long-polling fetches wait for this partition's next append (tests wait for a
    /// fetch to be parked instead of sleeping).
    func waitingFetchCount() -> EventLoopFuture<Int> {
        eventLoop.submit { self.waiters.count { !$0.isFired } }
    }

    /// Wakes every waiting fetch and lets no new one wait (graceful shutdown: the fetches answer
    /// with what they have instead of holding up the drain).
    func endLongPolls() {
        eventLoop.execute {
            self.isEndingLongPolls = true
            self.wakeWaiters()
        }
    }

    func wakeWaiters() {
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
            self.messageIDExpiryTask?.cancel()
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
