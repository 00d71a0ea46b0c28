import NIOCore
import RecordCodec

/// The append-only log of one partition: a directory of ``Segment``s.
///
/// ```
/// <directory>/
///   00000000000000000000.log        batches, offsets 0 …
///   00000000000000000000.index
///   00000000000000000000.timeindex
///   00000000000000052341.log        the active segment: appends go here
///   00000000000000052341.index
///   00000000000000052341.timeindex
///   recovery-point                  see RecoveryCheckpoint
///   .clean-shutdown                 present only between a clean close and the next open
/// ```
///
/// Not thread-safe: a partition has exactly one owner (in the broker, an event loop), which makes
/// every call. The only other thread involved is the ``FlushScheduler``'s, which touches nothing
/// but the ``LogFlusher``.
public final class PartitionLog {
    /// The marker a clean ``close()`` leaves; its absence at open means recovery.
    public static let cleanShutdownFileName = ".clean-shutdown"
    /// The file whose `flock` makes the log its directory's only owner while it is open.
    public static let lockFileName = ".lock"

    /// The directory holding the segments.
    public let directory: String
    /// The configuration the log was opened with.
    public let configuration: LogConfiguration

    var segments: [Segment]
    let flusher: LogFlusher
    /// Held (locked) from open to close; dropping the log releases it too.
    private let lock: LogFile
    private let scheduler: FlushScheduler
    private let clock: @Sendable () -> Int64
    /// The file system the log's files live on.
    let io: any FileIO
    /// Keeps the sealed segments' `.log` files open only while used, at most
    /// ``LogConfiguration/openSealedSegmentsLimit`` at once.
    let fileLimiter: OpenFileLimiter
    private var isClosed = false

    /// What opening the log found: whether it was clean, what recovery validated and cut off.
    public let recoveryReport: RecoveryReport

    init(
        directory: String,
        configuration: LogConfiguration,
        segments: [Segment],
        scheduler: FlushScheduler,
        clock: @escaping @Sendable () -> Int64,
        recoveryReport: RecoveryReport,
        lock: LogFile,
        io: any FileIO,
        fileLimiter: OpenFileLimiter
    ) {
        self.io = io
        self.fileLimiter = fileLimiter
        for segment in segments.dropLast() { segment.closeFiles(limiter: fileLimiter) }
        precondition(!segments.isEmpty)
        self.lock = lock
        self.directory = directory
        self.configuration = configuration
        self.segments = segments
        self.scheduler = scheduler
        self.clock = clock
        self.recoveryReport = recoveryReport
        self.flusher = LogFlusher(directory: directory, endOffset: segments.last!.nextOffset, io: io)
        if case .interval(let milliseconds) = configuration.flushPolicy {
            scheduler.register(flusher, intervalMilliseconds: milliseconds)
        }
    }

    deinit {
        scheduler.unregister(flusher)
    }

    var activeSegment: Segment { segments[segments.count - 1] }

    // MARK: Offsets and sizes

    /// The first offset that can be read.
    public var logStartOffset: Int64 { segments[0].baseOffset }
    /// The offset the next appended record gets; one past the last record.
    public var logEndOffset: Int64 { activeSegment.nextOffset }
    /// One past the last offset known to be on disk.
    public var durableEndOffset: Int64 { flusher.durableEndOffset }
    /// Bytes of all `.log` files.
    public var sizeInBytes: Int64 { segments.reduce(0) { $0 + $1.size } }
    /// How many segments the log has, the active one included.
    public var segmentCount: Int { segments.count }
    /// The base offsets of the segments, oldest first.
    public var segmentBaseOffsets: [Int64] { segments.map(\.baseOffset) }

    // MARK: Append

    /// The offsets an append assigned.
    public struct AppendResult: Sendable, Hashable {
        /// The first record's offset.
        public var firstOffset: Int64
        /// The last record's offset.
        public var lastOffset: Int64
        /// The batch's largest timestamp.
        public var maxTimestamp: Int64
    }

    /// Validates `batch`, gives it the next offsets and writes it to the active segment, rolling
    /// first if the segment is full or old. The stored bytes are `batch` with `baseOffset`
    /// replaced; `batch` itself is neither copied nor changed.
    ///
    /// The bytes are in the OS page cache when this returns. With ``FlushPolicy/durable`` a flush
    /// is requested at once; use ``whenDurable(_:completion:)`` to wait for it.
    /// - Returns: the first and last offsets assigned.
    /// - Throws: ``LogStoreError``: `batchTooLarge`, a validation code for malformed bytes,
    ///   `invalidBatch` for an empty batch, `ioFailure` (the log is unchanged), `logClosed`.
    @discardableResult
    public func append(_ batch: RecordBatch) throws -> AppendResult {
        try checkOpen()
        if let failure = flusher.failure {
            throw LogStoreError(
                .ioFailure,
                "the log refuses appends after a failed flush: \(failure.message)",
                path: failure.path
            )
        }
        guard batch.sizeInBytes <= configuration.maxBatchBytes else {
            throw LogStoreError(
                .batchTooLarge,
                "batch of \(batch.sizeInBytes) bytes is over the \(configuration.maxBatchBytes)-byte limit"
            )
        }
        if !batch.isHeaderValidated {
            _ = try decodingBatch {
                try RecordBatch(validating: batch.buffer, maxBatchBytes: configuration.maxBatchBytes)
            }
        }
        try decodingBatch {
            try batch.validateRecords(maxDecompressedBytes: configuration.maxDecompressedBatchBytes)
        }
        guard batch.recordCount > 0 else { throw LogStoreError(.invalidBatch, "batch has no records") }

        // A failed write that could not be undone must be undone before anything else is written,
        // a roll included: sealing a segment with unacknowledged bytes at its end would make them
        // overlap the next segment.
        try activeSegment.repairIfNeeded()
        let baseOffset = logEndOffset
        let lastOffset = baseOffset + Int64(batch.lastOffsetDelta)
        try rollIfNeeded(batchBytes: batch.sizeInBytes, lastOffset: lastOffset)
        let segment = activeSegment
        try segment.append(batch, baseOffset: baseOffset, now: self.clock())
        flusher.noteAppend(to: segment.log, endOffset: segment.nextOffset)
        if configuration.flushPolicy == .durable { scheduler.submit(flusher, completion: nil) }
        return AppendResult(firstOffset: baseOffset, lastOffset: lastOffset, maxTimestamp: batch.maxTimestamp)
    }

    private func rollIfNeeded(batchBytes: Int, lastOffset: Int64) throws {
        let segment = activeSegment
        guard segment.size > 0 else { return }
        let isFull = segment.size + Int64(batchBytes) > Int64(configuration.segmentBytes)
        let isOld =
            configuration.segmentMilliseconds.map { limit in
                // Saturating: the first batch's timestamp comes from disk after a restart and may
                // be anywhere in Int64.
                segment.rollTimestamp.map { clock().saturatingSubtract($0) >= limit } ?? false
            } ?? false
        // The next offset, too, must fit the indexes' UInt32 relative offsets (the seal entry).
        let offsetOverflows = lastOffset - segment.baseOffset >= Int64(UInt32.max)
        guard isFull || isOld || offsetOverflows else { return }
        try roll()
    }

    /// Seals the active segment and starts a new one at the log end offset.
    ///
    /// All or nothing: the new segment's files are created first and removed again if sealing the
    /// old one fails, so a failed roll leaves the log and its files as they were.
    func roll() throws {
        let sealed = activeSegment
        try sealed.repairIfNeeded()
        let fresh = try Segment.create(
            directory: directory,
            baseOffset: sealed.nextOffset,
            configuration: configuration,
            io: io
        )
        do {
            try sealed.sealTimeIndex()
        } catch {
            // Left behind if this fails too: an empty segment at the log end, which is harmless.
            try? fresh.deleteFiles()
            throw error
        }
        segments.append(fresh)
        flusher.noteRoll(sealed: [sealed.log] + sealed.indexFiles, newBaseOffset: fresh.baseOffset)
        sealed.closeFiles(limiter: fileLimiter)
        // The sealed segment and the new directory entry are synced on the flush thread, after
        // which the recovery point moves to the new segment.
        scheduler.submit(flusher, completion: nil)
    }

    // MARK: Durability

    /// Calls `completion` once every offset up to and including `offset` is on disk, sharing the
    /// `fdatasync` with every other waiter (group commit). Runs `completion` at once if it already
    /// is, otherwise on the flush thread: hop back to your own executor from there.
    public func whenDurable(_ offset: Int64, completion: @escaping FlushScheduler.Completion) {
        precondition(offset < logEndOffset, "offset \(offset) has not been appended (log end \(logEndOffset))")
        let durable = flusher.durableEndOffset
        if offset < durable { return completion(.success(durable)) }
        scheduler.submit(flusher, completion: completion)
    }

    /// Suspends until every offset up to and including `offset` is on disk.
    public func waitUntilDurable(_ offset: Int64) async throws {
        precondition(offset < logEndOffset, "offset \(offset) has not been appended (log end \(logEndOffset))")
        let durable = flusher.durableEndOffset
        if offset < durable { return }
        let flusher = self.flusher
        let scheduler = self.scheduler
        _ = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int64, Error>) in
            scheduler.submit(flusher) { continuation.resume(with: $0.mapError { $0 as Error }) }
        }
    }

    /// Flushes on the calling thread, bypassing the scheduler. Blocks on the disk; for tools,
    /// tests and shutdown, not for an event loop.
    public func flush() throws {
        try checkOpen()
        try flusher.flush()
    }

    // MARK: Close

    /// Shuts the log down cleanly: seals the active segment's time index, syncs every file,
    /// checkpoints the log end and writes the clean-shutdown marker, so the next open skips
    /// recovery. Blocks on the disk. The log cannot be used afterwards.
    public func close() throws {
        try checkOpen()
        isClosed = true
        defer { lock.unlock() }
        scheduler.unregister(flusher)
        let active = activeSegment
        try active.sealTimeIndex()
        flusher.noteRoll(sealed: [active.log] + active.indexFiles, newBaseOffset: active.nextOffset)
        try flusher.flush()
        let marker = try LogFile.open(directory + "/" + Self.cleanShutdownFileName, create: true, io: io)
        try marker.sync()
        try FileSystem.syncDirectory(directory, io: io)
    }

    /// Leaves the log as a crash would: no flush, no checkpoint, no marker; the directory lock is
    /// released so that the log can be opened again while this object is still referenced.
    /// For tests that simulate a crash.
    package func abandon() {
        isClosed = true
        scheduler.unregister(flusher)
        lock.unlock()
    }

    func checkOpen() throws {
        if isClosed { throw LogStoreError(.logClosed, "the log in \(directory) is closed") }
    }
}

@available(*, unavailable)
extension PartitionLog: Sendable {}
