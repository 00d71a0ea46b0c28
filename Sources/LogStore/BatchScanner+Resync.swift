import NIOCore
import RecordCodec

extension BatchScanner {
    /// Where the log can be read again after damaged bytes: the first valid batch after them.
    struct ResumePoint: Equatable {
        /// The batch's position in the `.log`.
        var position: Int64
        /// The batch's base offset.
        var baseOffset: Int64
    }

    /// Bytes read at a time while looking for a batch after damage.
    static let resyncWindowBytes = 1 << 20

    /// Finds the first valid batch that starts after the damaged bytes at `damagePosition`.
    ///
    /// The damaged batch's declared end is tried first (damage inside a batch usually leaves its
    /// length intact); then every position after `damagePosition`, in order. A position holds a
    /// batch when its base offset lies in `offsets`, its whole length fits before `end`, its magic
    /// byte and CRC-32C are right, and its last offset stays below `offsets.upperBound`: the base
    /// offset is a 64-bit value that random or stale bytes almost never hit, and the CRC is checked
    /// only for the few positions that pass the cheaper tests. Offsets below
    /// `offsets.lowerBound` are those the log already holds, so older batches (a stale copy) are
    /// never taken.
    /// - Returns: the batch's position and base offset, or `nil` if none is left before `end`.
    /// - Throws: `ioFailure` only.
    static func findResumePoint(
        in file: LogFile,
        after damagePosition: Int64,
        end: Int64,
        offsets: Range<Int64>,
        maxBatchBytes: Int
    ) throws -> ResumePoint? {
        guard !offsets.isEmpty else { return nil }
        let header = Int64(RecordBatch.headerSize)
        // The damaged batch's own length, if it still reads as one.
        if end - damagePosition >= Int64(RecordBatch.logOverhead) {
            let prefix = try file.read(at: damagePosition, count: RecordBatch.logOverhead)
            if let length = prefix.getInteger(at: prefix.readerIndex + RecordBatch.Field.batchLength, as: Int32.self),
                length >= RecordBatch.minimumBatchLength
            {
                let next = damagePosition + Int64(length) + Int64(RecordBatch.logOverhead)
                if next + header <= end,
                    let found = try batch(in: file, at: next, after: damagePosition, end: end, offsets, maxBatchBytes)
                {
                    return found
                }
            }
        }
        // Not the damaged position itself: a batch there that passes its CRC but has the wrong
        // base offset is the batch that was due with its (unchecked) base offset damaged, since
        // the bytes before it hold a contiguous run of batches.
        var windowStart = damagePosition + 1
        while windowStart + header <= end {
            let count = Int(min(end - windowStart, Int64(resyncWindowBytes)))
            let window = try file.read(at: windowStart, count: count)
            guard window.readableBytes == count else { return nil }
            for index in candidates(in: window, offsets: offsets, maxBatchBytes: maxBatchBytes) {
                let position = windowStart + Int64(index)
                if let found = try batch(
                    in: file,
                    at: position,
                    after: damagePosition,
                    end: end,
                    offsets,
                    maxBatchBytes
                ) {
                    return found
                }
            }
            // The next window overlaps this one by a header, so no position is skipped.
            guard windowStart + Int64(count) < end else { break }
            windowStart += Int64(count) - header + 1
        }
        return nil
    }

    /// The indexes in `window` where a batch header with a plausible length, magic byte and base
    /// offset starts (cheap tests only; the caller checks the CRC).
    private static func candidates(in window: ByteBuffer, offsets: Range<Int64>, maxBatchBytes: Int) -> [Int] {
        window.withUnsafeReadableBytes { bytes in
            var found: [Int] = []
            let header = RecordBatch.headerSize
            guard bytes.count >= header else { return found }
            for index in 0...(bytes.count - header) where bytes[index + RecordBatch.Field.magic] == 2 {
                let length = Int(bigEndianInt32(bytes, at: index + RecordBatch.Field.batchLength))
                guard length >= Int(RecordBatch.minimumBatchLength), length + RecordBatch.logOverhead <= maxBatchBytes
                else { continue }
                let base = bigEndianInt64(bytes, at: index)
                guard offsets.contains(base) else { continue }
                found.append(index)
            }
            return found
        }
    }

    /// The smallest number of bytes a record takes in a batch (length, attributes, timestamp delta,
    /// offset delta, key length, value length and header count, one byte each): the damaged bytes
    /// before a batch can have held at most one offset per this many bytes.
    static let minimumRecordBytes: Int64 = 7

    /// The batch at `position` if it is whole and valid, its offsets lie in `offsets`, and the
    /// offsets it skips could have been held by the damaged bytes from `damagePosition` to it (a
    /// batch that a producer embedded in a record value cannot claim offsets far past the damage).
    private static func batch(
        in file: LogFile,
        at position: Int64,
        after damagePosition: Int64,
        end: Int64,
        _ offsets: Range<Int64>,
        _ maxBatchBytes: Int
    ) throws -> ResumePoint? {
        let prefix = try file.read(at: position, count: RecordBatch.logOverhead)
        guard let length = prefix.getInteger(at: prefix.readerIndex + RecordBatch.Field.batchLength, as: Int32.self)
        else { return nil }
        let size = Int64(length) + Int64(RecordBatch.logOverhead)
        guard length >= RecordBatch.minimumBatchLength, size <= Int64(maxBatchBytes), size <= end - position else {
            return nil
        }
        let bytes = try file.read(at: position, count: Int(size))
        guard bytes.readableBytes == Int(size),
            let batch = try? RecordBatch(validating: bytes, maxBatchBytes: maxBatchBytes)
        else { return nil }
        guard offsets.contains(batch.baseOffset), batch.hasValidOffsetRange, batch.lastOffset < offsets.upperBound,
            (batch.baseOffset - offsets.lowerBound) <= (position - damagePosition) / minimumRecordBytes
        else { return nil }
        return ResumePoint(position: position, baseOffset: batch.baseOffset)
    }

    private static func bigEndianInt32(_ bytes: UnsafeRawBufferPointer, at index: Int) -> Int32 {
        var value: UInt32 = 0
        for byte in bytes[index..<(index + 4)] { value = value << 8 | UInt32(byte) }
        return Int32(bitPattern: value)
    }

    private static func bigEndianInt64(_ bytes: UnsafeRawBufferPointer, at index: Int) -> Int64 {
        var value: UInt64 = 0
        for byte in bytes[index..<(index + 8)] { value = value << 8 | UInt64(byte) }
        return Int64(bitPattern: value)
    }
}
