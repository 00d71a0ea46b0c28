import NIOCore
import RecordCodec

/// Whole batches read from a ``PartitionLog``, exactly as they are stored.
public struct LogReadResult: Sendable {
    /// The batches' bytes back to back, ready to send as they are.
    public var bytes: ByteBuffer
    /// The same batches, each a slice of `bytes`.
    public var batches: [RecordBatch]
    /// The log start offset when the read ran.
    public var logStartOffset: Int64
    /// The log end offset when the read ran.
    public var logEndOffset: Int64
    /// Set when the offset read lies in a range that damage on disk took: no valid batch holds
    /// these offsets (`batches` is empty). The range may start before the offset read. Read on
    /// from `upperBound`, the next offset that can be read.
    public var lostOffsets: Range<Int64>?
}

extension PartitionLog {
    /// Reads whole batches starting with the one that holds `offset`, up to `maxBytes` — but always
    /// at least one batch, however large, so that a reader can make progress.
    ///
    /// The first batch may start before `offset` (batches are not split); readers skip the records
    /// below it. A read stays within one segment: read again from the next offset for more. Every
    /// batch returned has passed its length, magic, CRC and offset checks right after being read;
    /// a read stops before a batch that fails them.
    ///
    /// When `offset` lies in damaged bytes, or in a gap that recovery left between two segments,
    /// the result has no batches and ``LogReadResult/lostOffsets`` says which offsets are lost and
    /// where reading can go on.
    /// - Returns: no batches when `offset == logEndOffset`.
    /// - Throws: `offsetOutOfRange` (with `validOffsets`) when `offset` is below the log start or
    ///   past the log end; `ioFailure` if the disk fails.
    public func read(from offset: Int64, maxBytes: Int) throws -> LogReadResult {
        try checkOpen()
        guard offset >= logStartOffset, offset <= logEndOffset else {
            throw LogStoreError(
                .offsetOutOfRange,
                "offset \(offset) is outside the log's range \(logStartOffset)..<\(logEndOffset)",
                validOffsets: logStartOffset..<logEndOffset
            )
        }
        let index = segmentIndex(containing: offset)
        let segment = segments[index]
        var result = LogReadResult(
            bytes: ByteBuffer(),
            batches: [],
            logStartOffset: logStartOffset,
            logEndOffset: logEndOffset
        )
        switch try segment.read(from: offset, maxBytes: maxBytes) {
        case .batches(let bytes, let batches):
            result.bytes = bytes
            result.batches = batches
        case .lost(let offsets):
            result.lostOffsets = try merged(offsets)
        case .end:
            // Past this segment's last batch but before the next segment: a gap recovery left.
            if index + 1 < segments.count {
                result.lostOffsets = try merged(min(offset, segment.nextOffset)..<segments[index + 1].baseOffset)
            }
        }
        return result
    }

    /// `lost` joined with the lost ranges that follow it directly (a damaged segment's end, then
    /// damage at the start of the next one), so that a reader is told about one range, once.
    private func merged(_ lost: Range<Int64>) throws -> Range<Int64> {
        var merged = lost
        while merged.upperBound < logEndOffset {
            let index = segmentIndex(containing: merged.upperBound)
            switch try segments[index].read(from: merged.upperBound, maxBytes: 1) {
            case .lost(let next):
                merged = merged.lowerBound..<next.upperBound
            case .end where index + 1 < segments.count:
                merged = merged.lowerBound..<segments[index + 1].baseOffset
            default:
                return merged
            }
        }
        return merged
    }

    /// The offset of the first record whose timestamp is at or after `timestamp`, or `nil` if
    /// every record is older.
    public func offset(atOrAfterTimestamp timestamp: Int64) throws -> Int64? {
        try checkOpen()
        for segment in segments where segment.maxTimestamp >= timestamp {
            if let offset = try segment.offset(atOrAfterTimestamp: timestamp) { return offset }
        }
        return nil
    }

    /// The offset of a batch that starts at most about `bytes` before the end of the log (found
    /// through the offset index of the segment it falls in; a segment's base offset when that
    /// segment fits whole; never below the log start). Reading from it to the log end visits the
    /// log's recent tail across segments, whatever their sizes: the broker rebuilds its
    /// idempotent-producer and message-id state from it at start-up (from the active segment alone,
    /// a roll would make it forget the ids of the segment before, however recent).
    /// - Complexity: O(segments + index entries of one segment).
    public func offset(nearEndWithin bytes: Int64) -> Int64 {
        var remaining = bytes
        var index = segments.count - 1
        while index > 0, segments[index].size < remaining {
            remaining -= segments[index].size
            index -= 1
        }
        let segment = segments[index]
        let start = segment.size - remaining
        guard start > 0 else { return max(logStartOffset, segment.baseOffset) }
        // The first indexed batch at or after `start`; if there is none, the last indexed one
        // (at most an index interval and a batch more than asked).
        let entries = segment.offsetIndex.entries
        let offset = (entries.first { $0.position >= start } ?? entries.last)?.offset ?? segment.baseOffset
        return max(logStartOffset, offset)
    }

    /// The index of the last segment whose base offset is at or below `offset`.
    /// - Complexity: O(log n).
    func segmentIndex(containing offset: Int64) -> Int {
        var low = 0
        var high = segments.count
        while low < high {
            let middle = (low + high) / 2
            if segments[middle].baseOffset <= offset { low = middle + 1 } else { high = middle }
        }
        return max(0, low - 1)
    }
}
