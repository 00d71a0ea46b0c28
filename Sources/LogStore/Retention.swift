extension Segment {
    /// The time age retention measures a segment by: its largest record timestamp; for a segment
    /// whose records carry no timestamp (-1, "none"), when its `.log` was last written, as Kafka
    /// does; `nil` when neither is known (the segment is then kept: only size retention removes it).
    func retentionTimestamp() throws -> Int64? {
        if maxTimestamp >= 0 { return maxTimestamp }
        return try log.modificationTimeMilliseconds()
    }
}

/// What one retention pass removed.
public struct RetentionResult: Sendable, Hashable {
    /// Base offsets of the deleted segments, oldest first.
    public var deletedSegments: [Int64]
    /// Bytes of `.log` data deleted.
    public var deletedBytes: Int64
}

extension PartitionLog {
    /// Deletes whole segments, oldest first, never the active one:
    /// - by age: while the oldest segment's largest record timestamp (for records without
    ///   timestamps, its file's modification time) is more than `retentionMilliseconds` before `now` (an empty sealed segment, left by damage, goes with
    ///   the next sealed segment that has records; any timestamp, even `Int64.min` or `Int64.max`,
    ///   is compared without overflow);
    /// - by size: while deleting the oldest segment still leaves the log at or above
    ///   `retentionBytes` (as Kafka's `retention.bytes`).
    ///
    /// The log start offset moves to the base offset of the oldest remaining segment; reads
    /// below it fail with `offsetOutOfRange`.
    @discardableResult
    public func enforceRetention(now: Int64 = currentTimeMilliseconds()) throws -> RetentionResult {
        try checkOpen()
        var result = RetentionResult(deletedSegments: [], deletedBytes: 0)
        var excessBytes = configuration.retentionBytes.map { sizeInBytes - $0 } ?? 0
        while segments.count > 1 {
            let oldest = segments[0]
            // An empty sealed segment (all its batches lost to damage) has no timestamp of its
            // own: it goes with the first sealed segment after it that has records.
            let dated = segments[..<(segments.count - 1)].first { $0.size > 0 }
            let isExpired =
                try configuration.retentionMilliseconds.map { limit in
                    // Saturating: a timestamp from disk may be anywhere in Int64.
                    try dated.flatMap { try $0.retentionTimestamp() }.map { now.saturatingSubtract($0) > limit }
                        ?? false
                } ?? false
            let isOverSize = configuration.retentionBytes != nil && excessBytes - oldest.size >= 0
            guard isExpired || isOverSize else { break }
            try oldest.deleteFiles()
            segments.removeFirst()
            excessBytes -= oldest.size
            result.deletedSegments.append(oldest.baseOffset)
            result.deletedBytes += oldest.size
        }
        return result
    }
}
