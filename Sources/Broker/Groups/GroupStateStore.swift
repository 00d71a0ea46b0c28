import LogStore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import RecordCodec

/// The durable state of every consumer group: one internal log, `__group_state`, on the LogStore
/// engine, shared by all groups (docs/GROUPS.md, "The group state log"; the bytes are in
/// docs/STORAGE.md, "Group state log").
///
/// ```
/// <data dir>/__group_state/
///   checkpoint          where start-up begins reading: the first offset of the last complete checkpoint
///   0/                  the log: a LogStore partition directory (segments, recovery-point, …)
/// ```
///
/// Every change is appended (``append(_:)``: a `pwrite` into the page cache, under a lock) and
/// applied to the store's own ``View``; ``whenDurable(_:completion:)`` waits for the log's group
/// commit, so many acknowledgements share one `fdatasync`. After
/// ``Configuration/snapshotEveryEvents`` changes, the store writes a checkpoint (the whole view as
/// snapshot records, then a marker); once the marker is durable, the `checkpoint` file names the
/// checkpoint's first offset and the segments before it are deleted. Start-up
/// (``open(directory:configuration:fileIO:flushScheduler:logger:)``) reads one checkpoint and the
/// changes after it, however many were ever written.
///
/// Thread-safe: appends, reads of the view and durability requests may come from any thread.
public final class GroupStateStore: @unchecked Sendable {
    /// The store's settings.
    public struct Configuration: Sendable {
        /// Changes between two checkpoints; start-up replays at most about this many (plus one
        /// checkpoint). Range ``snapshotEveryEventsRange``.
        public var snapshotEveryEvents: Int = 10_000
        /// The log's segment size (each checkpoint also starts a new segment).
        public var segmentBytes: Int = 64 << 20
        /// The largest batch the log accepts: the most one ``GroupStateStore/append(_:)`` may write,
        /// and the largest snapshot of one group-partition a checkpoint can write (a partition's
        /// snapshot is one record: 100,000 unfinished messages with 600-byte failure reasons fit).
        public var maxBatchBytes: Int = 64 << 20
        /// Checkpoint records are written in batches closed once they reach this many bytes (so
        /// a batch holds at most this plus one snapshot, which must fit `maxBatchBytes`).
        public var checkpointBatchBytes: Int = 1 << 20
        /// The wall clock stamped on the records.
        public var clock: @Sendable () -> Int64 = currentTimeMilliseconds

        /// The accepted range of ``snapshotEveryEvents``.
        public static let snapshotEveryEventsRange: ClosedRange<Int> = 1...10_000_000

        /// The defaults: a checkpoint every 10,000 changes, 64 MiB segments and batches.
        public init() {}

        func validate() throws {
            guard Self.snapshotEveryEventsRange.contains(snapshotEveryEvents) else {
                throw BrokerError(
                    .invalidRequest,
                    "snapshotEveryEvents \(snapshotEveryEvents) is outside \(Self.snapshotEveryEventsRange)"
                )
            }
            guard checkpointBatchBytes > 0 else {
                throw BrokerError(.invalidRequest, "checkpointBatchBytes must be positive")
            }
        }

        var logConfiguration: LogConfiguration {
            .internalLog(segmentBytes: segmentBytes, maxBatchBytes: maxBatchBytes)
        }
    }

    /// Counters for operators and tests.
    public struct Statistics: Sendable, Hashable {
        /// Records read from the log by the open (the checkpoint and the changes after it).
        public var recordsReadAtOpen = 0
        /// Where the open began reading.
        public var replayStartOffset: Int64 = 0
        /// Offsets the open did not replay: the log had lost them (a power cut took the unsynced
        /// end of a segment whose successor survived), so everything from there on was dropped and
        /// a checkpoint of what came before was written at once.
        public var offsetsDroppedAtOpen: Range<Int64>?
        /// Offsets the open read past because damage on disk had taken fsynced bytes there: the
        /// changes they held are lost.
        public var offsetsDamagedAtOpen: [Range<Int64>] = []
        /// Records after such damage that the open skipped because they no longer applied (an
        /// event of a group whose creation was lost).
        public var recordsSkippedAtOpen = 0
        /// The first offset of the checkpoint the `checkpoint` file names, if any.
        public var checkpointOffset: Int64?
        /// Checkpoints written since the open (including any the open wrote).
        public var checkpointsWritten = 0
        /// Checkpoints whose marker became durable and whose `checkpoint` file was written.
        public var checkpointsCompleted = 0
        /// Checkpoints that failed (their records, or their file, could not be written); the next
        /// one is tried after another ``Configuration/snapshotEveryEvents`` changes.
        public var checkpointsFailed = 0
        /// Changes appended since the last checkpoint began.
        public var changesSinceCheckpoint = 0
        /// The log's first offset (the last completed checkpoint's, once one completed).
        public var logStartOffset: Int64 = 0
        /// The offset the next record gets.
        public var logEndOffset: Int64 = 0
        /// The log's segments, the active one included.
        public var segmentCount = 0
    }

    /// A checkpoint whose records are written but whose `checkpoint` file is not yet.
    struct PendingCheckpoint {
        var firstOffset: Int64
        var markerOffset: Int64
    }

    /// The name of the store's directory in the data directory (reserved: topic names cannot
    /// start with `__`, and the topic registry ignores directories without a `topic.json`).
    public static let directoryName = "__group_state"
    /// The log's directory inside the store's.
    public static let logDirectoryName = "0"

    /// The store's directory.
    public let directory: String
    let configuration: Configuration
    let io: any FileIO
    let logger: Logger

    /// Guards everything below.
    let lock = NIOLock()
    let log: PartitionLog
    var view: View
    var statistics: Statistics
    var pendingCheckpoint: PendingCheckpoint?
    var isClosed = false
    /// Serialises writes of the `checkpoint` file (the flush thread and `close()`).
    let checkpointFileLock = NIOLock()
    /// The offset the `checkpoint` file names; guarded by `checkpointFileLock`.
    var writtenCheckpointOffset: Int64?

    init(
        directory: String,
        configuration: Configuration,
        io: any FileIO,
        logger: Logger,
        log: PartitionLog,
        view: View,
        statistics: Statistics
    ) {
        self.directory = directory
        self.configuration = configuration
        self.io = io
        self.logger = logger
        self.log = log
        self.view = view
        self.statistics = statistics
    }

    // MARK: Reading the view

    /// The state of every group, as of the last append.
    public var currentView: View { lock.withLock { view } }

    /// The state of `partition`, or `nil` if it has had no event.
    public func state(of partition: GroupPartitionID) -> PersistedPartitionState? {
        lock.withLock { view.partitions[partition] }
    }

    /// The definition of `group`, or `nil` if it does not exist.
    public func definition(of group: String) -> GroupDefinition? {
        lock.withLock { view.groups[group] }
    }

    /// The store's counters now.
    public var currentStatistics: Statistics {
        lock.withLock {
            var statistics = self.statistics
            statistics.logStartOffset = log.logStartOffset
            statistics.logEndOffset = log.logEndOffset
            statistics.segmentCount = log.segmentCount
            return statistics
        }
    }

    // MARK: Appending

    /// Appends `records` (changes only: group created or deleted, partition events) as one batch
    /// and applies them to the view. The bytes are in the page cache when this returns (a process
    /// crash keeps them); call ``whenDurable(_:completion:)`` with the returned offset before
    /// answering anything that must survive a power cut (an acknowledgement).
    ///
    /// All or nothing: if the records are refused or the write fails, neither the log nor the view
    /// changes. May write a checkpoint afterwards (its failure is logged, not thrown: the records
    /// are written).
    /// - Returns: the offset of the last record written.
    /// - Throws: ``BrokerError``: `invalidRequest` for an empty list, a snapshot or marker, a
    ///   record over a limit (``GroupStateRecord/encodingProblem()``), an event for a group that
    ///   does not exist; `storageError` (and the other storage codes) if the log refuses the write.
    @discardableResult
    public func append(_ records: [GroupStateRecord]) throws -> Int64 {
        guard !records.isEmpty else { throw BrokerError(.invalidRequest, "no group state records to append") }
        for record in records {
            guard record.isChange else {
                throw BrokerError(.invalidRequest, "snapshots and checkpoint markers are written by the store only")
            }
            if let problem = record.encodingProblem() {
                throw BrokerError(.invalidRequest, "group state record refused: \(problem)")
            }
        }
        // Encoded before taking the lock: only the write and the view's update are under it.
        let batch = encode(records)
        let (lastOffset, checkpoint) = try lock.withLock { () throws -> (Int64, PendingCheckpoint?) in
            try checkOpen()
            if let problem = view.problem(applying: records) {
                throw BrokerError(.invalidRequest, "group state record refused: \(problem)")
            }
            let result = try appendLocked(batch)
            for record in records { view.apply(record) }
            statistics.changesSinceCheckpoint += records.count
            return (result.lastOffset, startCheckpointIfDue())
        }
        if let checkpoint { completeWhenDurable(checkpoint) }
        return lastOffset
    }

    /// Appends `events` of one group-partition; see ``append(_:)``.
    @discardableResult
    public func append(events: [GroupStateEvent], for partition: GroupPartitionID) throws -> Int64 {
        try append(events.map { .partitionEvent(partition, $0) })
    }

    /// `records` as one batch, stamped with the clock.
    func encode(_ records: [GroupStateRecord]) -> RecordBatch {
        let now = configuration.clock()
        return RecordBatch(
            records: records.map { Record(key: $0.encodedKey(), value: $0.encodedValue(), timestamp: now) }
        )
    }

    /// Writes `batch`. Call with the lock held.
    func appendLocked(_ batch: RecordBatch) throws -> PartitionLog.AppendResult {
        do {
            return try log.append(batch)
        } catch {
            throw BrokerError(error)
        }
    }

    // MARK: Durability

    /// Calls `completion` once every record up to and including `offset` is on disk, sharing the
    /// `fdatasync` with every other waiter (group commit). Runs at once (on the caller's thread)
    /// if it already is, otherwise on the flush thread: hop back to your own executor from there.
    /// Never runs `completion` while the store's lock is held, so it may append again.
    /// - Parameter offset: an offset ``append(_:)`` returned.
    public func whenDurable(_ offset: Int64, completion: @escaping @Sendable (Result<Void, BrokerError>) -> Void) {
        requestDurable(offset) { result in completion(result.map { _ in () }) }
    }

    /// The offset of the last record appended so far, `nil` if there is none.
    var lastAppendedOffset: Int64? {
        lock.withLock { log.logEndOffset > 0 ? log.logEndOffset - 1 : nil }
    }

    /// Suspends until every record up to and including `offset` is on disk.
    /// - Throws: ``BrokerError`` (`storageError`) if the flush failed or the store is closed.
    public func waitUntilDurable(_ offset: Int64) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
            whenDurable(offset) { continuation.resume(with: $0.mapError { $0 as Error }) }
        }
    }

    /// Asks the log for durability of `offset`; `body` runs once, never under the store's lock.
    func requestDurable(_ offset: Int64, _ body: @escaping @Sendable (Result<Int64, BrokerError>) -> Void) {
        let call = SynchronousCompletion()
        let immediate: Result<Int64, BrokerError>? = lock.withLock {
            precondition(offset < log.logEndOffset, "offset \(offset) was not appended (log end \(log.logEndOffset))")
            let durable = log.durableEndOffset
            if offset < durable { return .success(durable) }
            if isClosed {
                return .failure(BrokerError(.storageError, "the group state store in \(directory) is closed"))
            }
            log.whenDurable(offset) { result in
                let result = result.mapError { BrokerError($0) }
                if !call.capture(result) { body(result) }
            }
            return nil
        }
        if let result = immediate ?? call.leave() { body(result) }
    }

    // MARK: Closing

    /// Closes the store cleanly: syncs the log, completes a checkpoint whose records are written
    /// and closes the log (so the next open skips LogStore's recovery). Blocks on the disk. The
    /// store cannot be used afterwards; waiters still pending get their flush's result.
    /// - Throws: ``BrokerError`` if a sync or the checkpoint file write fails.
    public func close() throws {
        let pending = try lock.withLock { () throws -> PendingCheckpoint? in
            try checkOpen()
            isClosed = true
            do { try log.close() } catch { throw BrokerError(error) }
            return pendingCheckpoint
        }
        // The log's close synced everything: the pending checkpoint's marker is durable.
        if let pending { try writeCheckpointFile(pending) }
    }

    func checkOpen() throws {
        if isClosed { throw BrokerError(.storageError, "the group state store in \(directory) is closed") }
    }
}

/// Tells a completion that runs while its request is still being made (the log found the offset
/// durable, or the scheduler had stopped) from one that runs later on the flush thread, so that the
/// former is run by the requester after it has released its lock.
final class SynchronousCompletion: Sendable {
    private let state = NIOLockedValueBox<(isInside: Bool, result: Result<Int64, BrokerError>?)>((true, nil))

    /// Keeps `result` for ``leave()`` if the request is still being made; `false` if it is not
    /// (the caller must then run the completion itself).
    func capture(_ result: Result<Int64, BrokerError>) -> Bool {
        state.withLockedValue { state in
            guard state.isInside else { return false }
            state.result = result
            return true
        }
    }

    /// Ends the request: the result captured meanwhile, if any.
    func leave() -> Result<Int64, BrokerError>? {
        state.withLockedValue { state in
            state.isInside = false
            return state.result
        }
    }
}
