import NIOCore
import RecordCodec

/// One segment of a partition: a `.log` file of consecutive record batches, starting at
/// `baseOffset`, with its `.index` and `.timeindex`.
///
/// Files are named after the base offset, zero-padded to 20 digits:
/// `00000000000000000000.log`, `00000000000000000000.index`, `00000000000000000000.timeindex`.
/// The `.log` holds batches back to back with nothing in between (see ``RecordBatch``); batch
/// base offsets are contiguous (each is the previous batch's last offset + 1).
///
/// Not thread-safe: owned by its ``PartitionLog``.
final class Segment {
    let baseOffset: Int64
    let directory: String
    private(set) var log: LogFile
    private(set) var offsetIndex: OffsetIndex
    private(set) var timeIndex: TimeIndex
    let configuration: LogConfiguration

    /// Bytes in the `.log`.
    private(set) var size: Int64 = 0
    /// The offset the next appended batch gets.
    private(set) var nextOffset: Int64
    /// The largest record timestamp in the segment, `Int64.min` when it is empty.
    private(set) var maxTimestamp: Int64 = .min
    /// When roll-by-age starts counting: the later of the first batch's largest timestamp and the
    /// clock when it was appended (after a restart: the first batch's timestamp).
    private(set) var rollTimestamp: Int64?
    private var bytesSinceIndexEntry = 0
    /// Damaged regions reads have found (a segment that recovery did not validate); see
    /// Segment+Read.swift.
    var damagedRegions: [DamagedRegion] = []
    /// Set when a failed write could not be undone: the files may hold bytes past what the segment
    /// knows. ``repairIfNeeded()`` cuts them back; until it succeeds the segment takes no writes.
    private(set) var pendingRepair: LogStoreError?

    static func fileName(baseOffset: Int64, suffix: String) -> String {
        let digits = String(baseOffset)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + suffix
    }

    /// The base offset named by a `.log` file, or `nil` if `name` is not a segment log.
    static func baseOffset(fromLogName name: String) -> Int64? {
        guard name.hasSuffix(".log"), name.utf8.count == 24 else { return nil }
        let digits = name.prefix(20)
        guard digits.allSatisfy(\.isASCIIDigit), let value = Int64(digits) else { return nil }
        return value
    }

    private init(
        baseOffset: Int64,
        directory: String,
        log: LogFile,
        offsetIndex: OffsetIndex,
        timeIndex: TimeIndex,
        configuration: LogConfiguration
    ) {
        self.baseOffset = baseOffset
        self.directory = directory
        self.log = log
        self.offsetIndex = offsetIndex
        self.timeIndex = timeIndex
        self.configuration = configuration
        self.nextOffset = baseOffset
    }

    private static func path(_ directory: String, _ baseOffset: Int64, _ suffix: String) -> String {
        directory + "/" + fileName(baseOffset: baseOffset, suffix: suffix)
    }

    /// Creates a new, empty segment (truncating any leftover files of the same name).
    static func create(
        directory: String,
        baseOffset: Int64,
        configuration: LogConfiguration,
        io: any FileIO
    ) throws -> Segment {
        var created: [String] = []
        let log: LogFile
        let index: LogFile
        let timeIndex: LogFile
        do {
            // One by one, so that a failure part-way removes what it created: a leftover empty
            // segment would be harmless, but there is no reason to leave one.
            func createFile(_ suffix: String) throws -> LogFile {
                let file = try LogFile.open(path(directory, baseOffset, suffix), create: true, io: io)
                created.append(file.path)
                try file.truncate(to: 0)
                return file
            }
            log = try createFile(".log")
            index = try createFile(".index")
            timeIndex = try createFile(".timeindex")
        } catch {
            for path in created { try? FileSystem.remove(path, io: io) }
            throw error
        }
        return Segment(
            baseOffset: baseOffset,
            directory: directory,
            log: log,
            offsetIndex: OffsetIndex(file: index, baseOffset: baseOffset),
            timeIndex: TimeIndex(file: timeIndex, baseOffset: baseOffset),
            configuration: configuration
        )
    }

    /// Opens an existing segment.
    ///
    /// With `recover`, every batch is validated (size, magic, CRC, offsets), the indexes are
    /// rebuilt and damage is dealt with as ``recover(offsetLimit:)`` says. Without it, the indexes
    /// are loaded and checked and only the batches after the last index entry are read (to find
    /// the next offset); if either step finds a problem, or the segment runs into `offsetLimit`,
    /// the segment is recovered after all.
    /// - Parameter offsetLimit: the next segment's base offset (`Int64.max` for the last segment):
    ///   batches at or past it cannot be part of this segment.
    /// - Returns: the segment and, if it was recovered, what recovery found and did.
    static func open(
        directory: String,
        baseOffset: Int64,
        configuration: LogConfiguration,
        recover: Bool,
        offsetLimit: Int64 = .max,
        io: any FileIO
    ) throws -> (segment: Segment, recovery: SegmentRecoveryReport?) {
        let log = try LogFile.open(path(directory, baseOffset, ".log"), create: false, io: io)
        // A missing index file is created empty below, where it would pass for a valid one:
        // note its absence first and rebuild it.
        let hasIndexFiles =
            FileSystem.exists(path(directory, baseOffset, ".index"), io: io)
            && FileSystem.exists(path(directory, baseOffset, ".timeindex"), io: io)
        let indexFile = try LogFile.open(path(directory, baseOffset, ".index"), create: true, io: io)
        let timeIndexFile = try LogFile.open(path(directory, baseOffset, ".timeindex"), create: true, io: io)
        let segment = Segment(
            baseOffset: baseOffset,
            directory: directory,
            log: log,
            offsetIndex: OffsetIndex(file: indexFile, baseOffset: baseOffset),
            timeIndex: TimeIndex(file: timeIndexFile, baseOffset: baseOffset),
            configuration: configuration
        )
        segment.size = try log.size()
        if !recover && hasIndexFiles {
            do {
                try segment.loadIndexesAndScanTail(offsetLimit: offsetLimit)
                return (segment, nil)
            } catch let error as LogStoreError where error.code != .ioFailure {
                // A damaged index or tail: fall through to a full recovery of this segment.
            }
        }
        return (segment, try segment.recover(offsetLimit: offsetLimit))
    }

    private func loadIndexesAndScanTail(offsetLimit: Int64) throws {
        offsetIndex = try OffsetIndex.load(file: offsetIndex.file, baseOffset: baseOffset, logSize: size)
        timeIndex = try TimeIndex.load(file: timeIndex.file, baseOffset: baseOffset)
        // A sealed segment with records has at least its seal entry, which carries the segment's
        // largest timestamp; without it, retention and time lookups would go wrong.
        if size > 0 && timeIndex.entries.isEmpty {
            throw LogStoreError(.corruptIndex, "time index is empty", path: timeIndex.file.path)
        }
        let start = offsetIndex.entries.last ?? OffsetIndex.Entry(offset: baseOffset, position: 0)
        var scanner = makeScanner(
            from: start,
            windowBytes: 64 << 10,
            verifyChecksums: true,
            offsetLimit: offsetLimit
        )
        maxTimestamp = timeIndex.lastTimestamp ?? .min
        while let (batch, _) = try scanner.next() {
            maxTimestamp = max(maxTimestamp, batch.maxTimestamp)
        }
        nextOffset = scanner.expectedOffset
        bytesSinceIndexEntry = Int(size - start.position)
        if let last = timeIndex.entries.last, last.offset > nextOffset {
            throw LogStoreError(.corruptIndex, "time index points past the log end", path: timeIndex.file.path)
        }
        try readRollTimestamp()
    }

    private func readRollTimestamp() throws {
        guard size > 0 else { return rollTimestamp = nil }
        let header = try log.read(at: 0, count: RecordBatch.headerSize)
        rollTimestamp = header.getInteger(at: RecordBatch.Field.maxTimestamp, as: Int64.self)
    }

    func makeScanner(
        from start: OffsetIndex.Entry,
        windowBytes: Int,
        verifyChecksums: Bool,
        offsetLimit: Int64 = .max
    ) -> BatchScanner {
        BatchScanner(
            file: log,
            from: start.position,
            expectedOffset: start.offset,
            end: size,
            maxBatchBytes: LogConfiguration.segmentBytesLimit,
            windowBytes: windowBytes,
            verifyChecksums: verifyChecksums,
            segmentBaseOffset: baseOffset,
            offsetLimit: offsetLimit
        )
    }

    /// Validates every batch and rebuilds both indexes. At the first bad batch, the valid batches
    /// after the damage (if any) move to a new segment named after the first one's base offset
    /// (see ``moveTail(from:toSegmentAt:)``), and this segment is cut where the damage starts. Only
    /// bytes that no valid batch holds are removed; the offsets they held become a gap between
    /// this segment's end and the next segment's base offset.
    /// - Parameter offsetLimit: the next segment's base offset, or `Int64.max`: a batch that
    ///   reaches it is not part of this segment.
    /// - Returns: what was validated, cut and lost.
    @discardableResult
    func recover(offsetLimit: Int64 = .max) throws -> SegmentRecoveryReport {
        var scanner = makeScanner(
            from: OffsetIndex.Entry(offset: baseOffset, position: 0),
            windowBytes: 8 << 20,
            verifyChecksums: true,
            offsetLimit: offsetLimit
        )
        var outcome = SegmentRecoveryReport(baseOffset: baseOffset, wasValidated: true)
        var offsetEntries: [OffsetIndex.Entry] = []
        var timeEntries: [TimeIndex.Entry] = []
        maxTimestamp = .min
        bytesSinceIndexEntry = 0
        while true {
            let next: (batch: RecordBatch, position: Int64)?
            do {
                next = try scanner.next()
            } catch let error as LogStoreError where error.code != .ioFailure {
                outcome.damage = error
                break
            }
            guard let (batch, position) = next else { break }
            if bytesSinceIndexEntry >= configuration.indexIntervalBytes {
                offsetEntries.append(.init(offset: batch.baseOffset, position: position))
                if maxTimestamp > (timeEntries.last?.timestamp ?? .min) {
                    timeEntries.append(.init(timestamp: maxTimestamp, offset: batch.baseOffset))
                }
                bytesSinceIndexEntry = 0
            }
            bytesSinceIndexEntry += batch.sizeInBytes
            maxTimestamp = max(maxTimestamp, batch.maxTimestamp)
            outcome.validatedBatches += 1
        }
        nextOffset = scanner.expectedOffset
        outcome.validatedBytes = scanner.position
        if outcome.damage != nil {
            // A batch after the damage must take offsets after the last good one, stay inside the
            // relative offsets of the new segment, and end before the next segment. Its base must
            // also differ from this segment's (when nothing before the damage was good), since a
            // segment is named after it.
            let lowest = max(nextOffset, baseOffset.saturatingAdd(1))
            let highest = min(offsetLimit, nextOffset.saturatingAdd(Int64(UInt32.max)))
            let resume =
                lowest < highest
                ? try BatchScanner.findResumePoint(
                    in: log,
                    after: scanner.position,
                    end: size,
                    offsets: lowest..<highest,
                    maxBatchBytes: LogConfiguration.segmentBytesLimit
                ) : nil
            if let resume {
                try moveTail(from: resume.position, toSegmentAt: resume.baseOffset)
                outcome.movedTo = resume.baseOffset
                outcome.movedBytes = size - resume.position
            }
            let gapEnd = resume?.baseOffset ?? offsetLimit
            if gapEnd != .max && gapEnd > nextOffset { outcome.lostOffsets = nextOffset..<gapEnd }
            outcome.cutBytes = (resume?.position ?? size) - scanner.position
        }
        if scanner.position < size {
            try log.truncate(to: scanner.position)
            size = scanner.position
        }
        // The seal entry, even for a largest timestamp of Int64.min: a sealed segment with records
        // always has one.
        if nextOffset > baseOffset, timeEntries.last.map({ maxTimestamp > $0.timestamp }) ?? true {
            timeEntries.append(.init(timestamp: maxTimestamp, offset: nextOffset))
        }
        try offsetIndex.rewrite(offsetEntries)
        try timeIndex.rewrite(timeEntries)
        try readRollTimestamp()
        return outcome
    }

    /// Appends a validated batch, writing `baseOffset` (which must be `nextOffset`) in place of
    /// the batch's own.
    ///
    /// All or nothing: if any write (the batch, its offset-index or time-index entry) fails, every
    /// file is cut back to its size before the append and the segment is exactly as it was. If
    /// even that fails, the segment remembers it (``pendingRepair``) and refuses writes until a
    /// later ``repairIfNeeded()`` manages the cut.
    func append(_ batch: RecordBatch, baseOffset: Int64, now: @autoclosure () -> Int64) throws {
        precondition(baseOffset == nextOffset, "batch offset \(baseOffset) != next offset \(nextOffset)")
        precondition(size + Int64(batch.sizeInBytes) <= Int64(LogConfiguration.segmentBytesLimit))
        try repairIfNeeded()
        let indexed = bytesSinceIndexEntry >= configuration.indexIntervalBytes
        try undoingOnFailure {
            try log.write(batch.buffer, at: size, replacingFirst8BytesWith: baseOffset)
            // Index the batch only once its bytes are in the file.
            if indexed {
                try offsetIndex.append(offset: baseOffset, position: size)
                try timeIndex.appendIfNewer(timestamp: maxTimestamp, offset: baseOffset)
            }
        }
        if indexed { bytesSinceIndexEntry = 0 }
        // Age counts from the first batch's timestamp, as Kafka's segment.ms does, but never from
        // before the segment existed: records stamped in the past must not roll every append.
        if size == 0 { rollTimestamp = max(batch.maxTimestamp, now()) }
        size += Int64(batch.sizeInBytes)
        bytesSinceIndexEntry += batch.sizeInBytes
        nextOffset = baseOffset + Int64(batch.lastOffsetDelta) + 1
        maxTimestamp = max(maxTimestamp, batch.maxTimestamp)
    }

    /// Writes the final time-index entry `(maxTimestamp, nextOffset)` so that a later start knows
    /// the segment's largest timestamp. Called when the segment rolls and when the log closes.
    func sealTimeIndex() throws {
        guard nextOffset > baseOffset else { return }
        try repairIfNeeded()
        try undoingOnFailure { try timeIndex.appendIfNewer(timestamp: maxTimestamp, offset: nextOffset) }
    }

    /// Runs `writes`; if they throw, forgets the index entries they added and cuts every file back
    /// to its size before them, then rethrows. A failed cut is kept in ``pendingRepair``.
    private func undoingOnFailure(_ writes: () throws -> Void) throws {
        let offsetEntries = offsetIndex.entries.count
        let timeEntries = timeIndex.entries.count
        do {
            try writes()
        } catch {
            offsetIndex.forgetEntries(after: offsetEntries)
            timeIndex.forgetEntries(after: timeEntries)
            do {
                try cutFilesBack()
            } catch let failure as LogStoreError {
                pendingRepair = failure
            }
            throw error
        }
    }

    /// Cuts the files back to what the segment holds in memory.
    private func cutFilesBack() throws {
        try log.truncate(to: size)
        try offsetIndex.file.truncate(to: Int64(offsetIndex.entries.count * OffsetIndex.entrySize))
        try timeIndex.file.truncate(to: Int64(timeIndex.entries.count * TimeIndex.entrySize))
    }

    /// If an earlier failed write could not be undone, tries the cut again.
    /// - Throws: `ioFailure` (saying so) while the files still cannot be cut back.
    func repairIfNeeded() throws {
        guard let failure = pendingRepair else { return }
        do {
            try cutFilesBack()
            pendingRepair = nil
        } catch let error as LogStoreError {
            throw LogStoreError(
                .ioFailure,
                "the segment refuses writes until it can undo an earlier failed write (\(failure.message)): \(error.message)",
                path: error.path,
                errno: error.errno
            )
        }
    }

    /// Trades the segment's open files for on-demand ones, opened only while a read (or a repair at
    /// open) uses them, within `limiter`'s limit: for a sealed segment, whose index entries are in
    /// memory. Anyone still holding the old files (the flush thread) keeps them open until done.
    func closeFiles(limiter: OpenFileLimiter) {
        guard !log.isOnDemand else { return }
        log = .onDemand(log.path, io: log.io, limiter: limiter)
        offsetIndex.file = .onDemand(offsetIndex.file.path, io: log.io, limiter: limiter)
        timeIndex.file = .onDemand(timeIndex.file.path, io: log.io, limiter: limiter)
    }

    /// The file system the segment's files live on: every file operation on them, recovery's
    /// included, goes through it.
    var io: any FileIO { log.io }

    /// The index files, which must be synced before a checkpoint may point past this segment.
    var indexFiles: [LogFile] { [offsetIndex.file, timeIndex.file] }

    /// Removes the segment's files: the `.log` first, so that a crash part-way leaves only
    /// orphan index files, which the next open deletes.
    func deleteFiles() throws {
        try FileSystem.remove(log.path, io: io)
        try FileSystem.remove(offsetIndex.file.path, io: io)
        try FileSystem.remove(timeIndex.file.path, io: io)
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
