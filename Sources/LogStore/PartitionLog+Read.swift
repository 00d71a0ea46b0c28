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
}

extension PartitionLog {
    /// Reads whole batches starting with the one that holds `offset`, up to `maxBytes` — but always
    /// at least one batch, however large, so that a reader can make progress.
    ///
    /// The first batch may start before `offset` (batches are not split); readers skip the records
    /// below it. A read stays within one segment: read again from the next offset for more. Every
    /// batch returned has passed its length, magic, CRC and offset checks right after being read.
    /// - Returns: no batches when `offset == logEndOffset`.
    /// - Throws: `offsetOutOfRange` (with `validOffsets`) when `offset` is below the log start or
    ///   past the log end; a validation code, with file and position, if stored bytes are damaged.
    public func read(from offset: Int64, maxBytes: Int) throws -> LogReadResult {
        try checkOpen()
        guard offset >= logStartOffset, offset <= logEndOffset else {
            throw LogStoreError(
                .offsetOutOfRange,
                "offset \(offset) is outside the log's range \(logStartOffset)..<\(logEndOffset)",
                validOffsets: logStartOffset..<logEndOffset
            )
        }
        var index = segmentIndex(containing: offset)
        var readFrom = offset
        while index < segments.count {
            let segment = segments[index]
            let (bytes, batches) = try segment.read(from: readFrom, maxBytes: maxBytes)
            if !batches.isEmpty {
                return LogReadResult(
                    bytes: bytes,
                    batches: batches,
                    logStartOffset: logStartOffset,
                    logEndOffset: logEndOffset
                )
            }
            // `offset` falls in a gap after this segment's last batch: go on with the next one.
            index += 1
            if index < segments.count { readFrom = max(readFrom, segments[index].baseOffset) }
        }
        return LogReadResult(
            bytes: ByteBuffer(),
            batches: [],
            logStartOffset: logStartOffset,
            logEndOffset: logEndOffset
        )
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

    /// The offset of a batch that starts at most about `bytes` before the end of the active segment
    /// (found through its offset index; the active segment's base offset if the segment is
    /// smaller). Reading from it to the log end visits the log's recent tail, whatever its size:
    /// the broker rebuilds its idempotent-producer and message-id state from it at start-up.
    /// - Complexity: O(index entries of the active segment).
    public func offset(nearEndWithin bytes: Int64) -> Int64 {
        let segment = activeSegment
        let start = segment.size - bytes
        guard start > 0 else { return segment.baseOffset }
        // The first indexed batch at or after `start`; if there is none, the last indexed one
        // (at most an index interval and a batch more than asked).
        let entries = segment.offsetIndex.entries
        return (entries.first { $0.position >= start } ?? entries.last)?.offset ?? segment.baseOffset
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
