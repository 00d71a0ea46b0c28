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
    let log: LogFile
    private(set) var offsetIndex: OffsetIndex
    private(set) var timeIndex: TimeIndex
    private let configuration: LogConfiguration

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
    static func create(directory: String, baseOffset: Int64, configuration: LogConfiguration) throws -> Segment {
        let log = try LogFile.open(path(directory, baseOffset, ".log"), create: true)
        let index = try LogFile.open(path(directory, baseOffset, ".index"), create: true)
        let timeIndex = try LogFile.open(path(directory, baseOffset, ".timeindex"), create: true)
        for file in [log, index, timeIndex] { try file.truncate(to: 0) }
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
    /// rebuilt and a damaged tail is cut off. Without it, the indexes are loaded and checked
    /// and only the batches after the last index entry are read (to find the next offset); if
    /// either step finds a problem, the segment is recovered after all.
    /// - Returns: the segment and the damage that recovery cut off, if any.
    static func open(
        directory: String,
        baseOffset: Int64,
        configuration: LogConfiguration,
        recover: Bool
    ) throws -> (segment: Segment, damage: LogStoreError?) {
        let log = try LogFile.open(path(directory, baseOffset, ".log"), create: false)
        // A missing index file is created empty below, where it would pass for a valid one:
        // note its absence first and rebuild it.
        let hasIndexFiles =
            FileSystem.exists(path(directory, baseOffset, ".index"))
            && FileSystem.exists(path(directory, baseOffset, ".timeindex"))
        let indexFile = try LogFile.open(path(directory, baseOffset, ".index"), create: true)
        let timeIndexFile = try LogFile.open(path(directory, baseOffset, ".timeindex"), create: true)
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
                try segment.loadIndexesAndScanTail()
                return (segment, nil)
            } catch let error as LogStoreError where error.code != .ioFailure {
                // A damaged index or tail: fall through to a full recovery of this segment.
            }
        }
        return (segment, try segment.recover())
    }

    private func loadIndexesAndScanTail() throws {
        offsetIndex = try OffsetIndex.load(file: offsetIndex.file, baseOffset: baseOffset, logSize: size)
        timeIndex = try TimeIndex.load(file: timeIndex.file, baseOffset: baseOffset)
        // A sealed segment with records has at least its seal entry, which carries the segment's
        // largest timestamp; without it, retention and time lookups would go wrong.
        if size > 0 && timeIndex.entries.isEmpty {
            throw LogStoreError(.corruptIndex, "time index is empty", path: timeIndex.file.path)
        }
        let start = offsetIndex.entries.last ?? OffsetIndex.Entry(offset: baseOffset, position: 0)
        var scanner = makeScanner(from: start, windowBytes: 64 << 10, verifyChecksums: true)
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

    private func makeScanner(from start: OffsetIndex.Entry, windowBytes: Int, verifyChecksums: Bool) -> BatchScanner {
        BatchScanner(
            file: log,
            from: start.position,
            expectedOffset: start.offset,
            end: size,
            maxBatchBytes: LogConfiguration.segmentBytesLimit,
            windowBytes: windowBytes,
            verifyChecksums: verifyChecksums,
            segmentBaseOffset: baseOffset
        )
    }

    /// Validates every batch, rebuilds both indexes, and truncates the log at the first bad batch.
    /// - Returns: the damage that was cut off, or `nil` if the whole file was valid.
    @discardableResult
    func recover() throws -> LogStoreError? {
        var scanner = makeScanner(
            from: OffsetIndex.Entry(offset: baseOffset, position: 0),
            windowBytes: 8 << 20,
            verifyChecksums: true
        )
        var offsetEntries: [OffsetIndex.Entry] = []
        var timeEntries: [TimeIndex.Entry] = []
        var damage: LogStoreError?
        maxTimestamp = .min
        bytesSinceIndexEntry = 0
        while true {
            let next: (batch: RecordBatch, position: Int64)?
            do {
                next = try scanner.next()
            } catch let error as LogStoreError where error.code != .ioFailure {
                damage = error
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
        }
        nextOffset = scanner.expectedOffset
        if scanner.position < size {
            try log.truncate(to: scanner.position)
            size = scanner.position
        }
        if maxTimestamp > (timeEntries.last?.timestamp ?? .min), nextOffset > baseOffset {
            timeEntries.append(.init(timestamp: maxTimestamp, offset: nextOffset))
        }
        try offsetIndex.rewrite(offsetEntries)
        try timeIndex.rewrite(timeEntries)
        try readRollTimestamp()
        return damage
    }

    /// Appends a validated batch, writing `baseOffset` (which must be `nextOffset`) in place of
    /// the batch's own.
    ///
    /// On a failed write the file is cut back to its previous size, so the log stays consistent.
    func append(_ batch: RecordBatch, baseOffset: Int64, now: @autoclosure () -> Int64) throws {
        precondition(baseOffset == nextOffset, "batch offset \(baseOffset) != next offset \(nextOffset)")
        precondition(size + Int64(batch.sizeInBytes) <= Int64(LogConfiguration.segmentBytesLimit))
        do {
            try log.write(batch.buffer, at: size, replacingFirst8BytesWith: baseOffset)
        } catch {
            try? log.truncate(to: size)
            throw error
        }
        // Index the batch only once its bytes are in the file.
        if bytesSinceIndexEntry >= configuration.indexIntervalBytes {
            try offsetIndex.append(offset: baseOffset, position: size)
            try timeIndex.appendIfNewer(timestamp: maxTimestamp, offset: baseOffset)
            bytesSinceIndexEntry = 0
        }
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
        try timeIndex.appendIfNewer(timestamp: maxTimestamp, offset: nextOffset)
    }

    /// The index files, which must be synced before a checkpoint may point past this segment.
    var indexFiles: [LogFile] { [offsetIndex.file, timeIndex.file] }

    /// Reads whole batches starting with the one that holds `offset`, up to `maxBytes` (at least
    /// one batch). Every returned batch has passed its length, magic, CRC and offset checks.
    /// - Returns: the bytes and the batches in them; empty if `offset >= nextOffset`.
    func read(from offset: Int64, maxBytes: Int) throws -> (bytes: ByteBuffer, batches: [RecordBatch]) {
        guard offset < nextOffset else { return (ByteBuffer(), []) }
        // Find the batch holding `offset` by walking headers from the nearest index entry.
        var scanner = makeScanner(
            from: offsetIndex.lookup(offset),
            windowBytes: configuration.indexIntervalBytes + RecordBatch.headerSize + 4096,
            verifyChecksums: false
        )
        var first: (batch: RecordBatch, position: Int64)?
        while let candidate = try scanner.next() {
            if candidate.batch.lastOffset >= offset {
                first = candidate
                break
            }
        }
        guard let (firstBatch, start) = first else { return (ByteBuffer(), []) }
        let count = Int(min(size - start, Int64(max(maxBytes, firstBatch.sizeInBytes))))
        var bytes = try log.read(at: start, count: count)
        guard bytes.readableBytes == count else {
            throw LogStoreError(.badLength, "file ended early during a read", path: log.path, position: start)
        }
        var batches: [RecordBatch] = []
        var used = 0
        var expected = firstBatch.baseOffset
        while bytes.readableBytes - used >= RecordBatch.logOverhead {
            let length = bytes.getInteger(at: bytes.readerIndex + used + RecordBatch.Field.batchLength, as: Int32.self)!
            let batchSize = Int(length) + RecordBatch.logOverhead
            guard length >= RecordBatch.minimumBatchLength, batchSize <= bytes.readableBytes - used else { break }
            if used > 0 && used + batchSize > maxBytes { break }
            let position = start + Int64(used)
            let batch: RecordBatch
            do {
                batch = try decodingBatch {
                    try RecordBatch(
                        validating: bytes.getSlice(at: bytes.readerIndex + used, length: batchSize)!,
                        maxBatchBytes: LogConfiguration.segmentBytesLimit
                    )
                }
            } catch let error as LogStoreError {
                throw error.located(in: log.path, batchAt: position)
            }
            guard batch.baseOffset == expected else {
                throw LogStoreError(
                    .invalidBatch,
                    "batch has base offset \(batch.baseOffset), expected \(expected)",
                    path: log.path,
                    position: position
                )
            }
            expected = batch.lastOffset + 1
            batches.append(batch)
            used += batchSize
        }
        bytes.moveWriterIndex(to: bytes.readerIndex + used)
        return (bytes, batches)
    }

    /// The offset of the first record with a timestamp at or after `timestamp`, or `nil` if no
    /// record in this segment has one.
    func offset(atOrAfterTimestamp timestamp: Int64) throws -> Int64? {
        guard maxTimestamp >= timestamp else { return nil }
        let startOffset = timeIndex.lookup(timestamp)
        var scanner = makeScanner(
            from: offsetIndex.lookup(startOffset),
            windowBytes: 64 << 10,
            verifyChecksums: true
        )
        while let (batch, _) = try scanner.next() {
            guard batch.maxTimestamp >= timestamp, batch.lastOffset >= startOffset else { continue }
            for record in try decodingBatch({ try batch.records() })
            where record.timestamp >= timestamp && record.offset >= startOffset {
                return record.offset
            }
        }
        return nil
    }

    /// Removes the segment's files: the `.log` first, so that a crash part-way leaves only
    /// orphan index files, which the next open deletes.
    func deleteFiles() throws {
        try FileSystem.remove(log.path)
        try FileSystem.remove(offsetIndex.file.path)
        try FileSystem.remove(timeIndex.file.path)
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
