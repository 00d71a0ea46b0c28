import NIOCore
import RecordCodec

/// Walks the batches of one `.log` file in order, through a read-ahead window.
///
/// Every batch it returns has a sane length that stays inside the file, its base offset is the one
/// expected after the previous batch, and its offsets fit the segment's 32-bit relative offsets;
/// with `verifyChecksums` its magic byte and CRC-32C have been checked too. Bad bytes stop the walk
/// with a ``LogStoreError`` naming the file and position; I/O failures are thrown as `ioFailure` so
/// that callers can tell damage from a failing disk.
struct BatchScanner {
    let file: LogFile
    /// The end of the valid region: reads never go past it.
    let end: Int64
    let maxBatchBytes: Int
    let windowBytes: Int
    let verifyChecksums: Bool
    /// The segment's base offset: the indexes store offsets relative to it in a `UInt32`, so a
    /// batch may not take the next offset past `segmentBaseOffset + UInt32.max`.
    let segmentBaseOffset: Int64
    /// Every batch must end below this offset: the next segment's base offset, when there is one.
    let offsetLimit: Int64

    /// Where the next batch starts.
    private(set) var position: Int64
    /// The base offset the next batch must have.
    private(set) var expectedOffset: Int64

    private var window = ByteBuffer()
    private var windowStart: Int64 = 0

    init(
        file: LogFile,
        from position: Int64,
        expectedOffset: Int64,
        end: Int64,
        maxBatchBytes: Int,
        windowBytes: Int,
        verifyChecksums: Bool,
        segmentBaseOffset: Int64,
        offsetLimit: Int64 = .max
    ) {
        self.file = file
        self.position = position
        self.expectedOffset = expectedOffset
        self.end = end
        self.maxBatchBytes = maxBatchBytes
        self.windowBytes = windowBytes
        self.verifyChecksums = verifyChecksums
        self.segmentBaseOffset = segmentBaseOffset
        self.offsetLimit = offsetLimit
    }

    /// Returns the next batch (a slice of the window) and its file position, or `nil` at the end.
    mutating func next() throws -> (batch: RecordBatch, position: Int64)? {
        guard position < end else { return nil }
        guard end - position >= Int64(RecordBatch.logOverhead) else {
            throw damage(.badLength, "\(end - position) trailing bytes are too few for a batch header")
        }
        try fill(RecordBatch.logOverhead)
        let batchLength = window.getInteger(at: windowIndex(position) + RecordBatch.Field.batchLength, as: Int32.self)!
        let size = Int64(batchLength) + Int64(RecordBatch.logOverhead)
        guard batchLength >= RecordBatch.minimumBatchLength, size <= Int64(maxBatchBytes) else {
            throw damage(
                .badLength,
                "batchLength \(batchLength) is outside 49...\(maxBatchBytes - RecordBatch.logOverhead)"
            )
        }
        guard size <= end - position else {
            throw damage(
                .badLength,
                "batch of \(size) bytes runs past the end of the file (\(end - position) bytes left)"
            )
        }
        try fill(Int(size))
        let slice = window.getSlice(at: windowIndex(position), length: Int(size))!
        let batch: RecordBatch
        if verifyChecksums {
            do {
                batch = try decodingBatch { try RecordBatch(validating: slice, maxBatchBytes: maxBatchBytes) }
            } catch let error as LogStoreError {
                throw error.located(in: file.path, batchAt: position)
            }
        } else {
            batch = RecordBatch(unchecked: slice)
        }
        guard batch.baseOffset == expectedOffset, batch.hasValidOffsetRange else {
            throw damage(
                .invalidBatch,
                "batch has base offset \(batch.baseOffset) and last offset delta \(batch.lastOffsetDelta); expected base offset \(expectedOffset)"
            )
        }
        // Appends roll before this; only damaged bytes with valid CRCs get here (found by fuzzing).
        guard batch.lastOffset - segmentBaseOffset < Int64(UInt32.max) else {
            throw damage(
                .invalidBatch,
                "batch ends at offset \(batch.lastOffset), past the segment's relative offsets from \(segmentBaseOffset)"
            )
        }
        // The next segment holds these offsets: the bytes cannot be part of this one.
        guard batch.lastOffset < offsetLimit else {
            throw damage(
                .invalidBatch,
                "batch ends at offset \(batch.lastOffset), at or past offset \(offsetLimit) where the next segment starts"
            )
        }
        let batchPosition = position
        position += size
        expectedOffset = batch.lastOffset + 1
        return (batch, batchPosition)
    }

    private func windowIndex(_ filePosition: Int64) -> Int {
        window.readerIndex + Int(filePosition - windowStart)
    }

    /// Makes sure `[position, position + count)` is in the window, reading ahead if not.
    private mutating func fill(_ count: Int) throws {
        let windowEnd = windowStart + Int64(window.readableBytes)
        if position >= windowStart && position + Int64(count) <= windowEnd { return }
        let readCount = Int(min(end - position, Int64(max(count, windowBytes))))
        var fresh = ByteBuffer()
        let read = try file.read(into: &fresh, at: position, count: readCount)
        guard read >= count else {
            throw damage(.badLength, "file ended early: wanted \(count) bytes, read \(read)")
        }
        window = fresh
        windowStart = position
    }

    private func damage(_ code: LogStoreError.Code, _ message: String) -> LogStoreError {
        LogStoreError(code, message, path: file.path, position: position)
    }
}
