/// What one retention pass removed.
public struct RetentionResult: Sendable, Hashable {
    /// Base offsets of the deleted segments, oldest first.
    public var deletedSegments: [Int64]
    /// Bytes of `.log` data deleted.
    public var deletedBytes: Int64
}

extension PartitionLog {
    /// Deletes whole segments, oldest first, never the active one:
    /// - by age: while the oldest segment's largest record timestamp is more than
    ///   `retentionMilliseconds` before `now` (an empty sealed segment, left by damage, goes with
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
                configuration.retentionMilliseconds.map { limit in
                    // Saturating: a timestamp from disk may be anywhere in Int64.
                    dated.map { now.saturatingSubtract($0.maxTimestamp) > limit } ?? false
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
