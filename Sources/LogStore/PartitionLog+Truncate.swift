extension PartitionLog {
    /// Seals the active segment and starts a new one at the log end offset, so that everything
    /// appended so far can later be removed by ``deleteSegments(before:)``. Does nothing when the
    /// active segment is empty (it already starts at the log end).
    ///
    /// The sealed segment is synced on the flush thread, as after any roll.
    /// - Returns: whether a new segment was started.
    /// - Throws: ``LogStoreError`` `ioFailure` (the log is unchanged), `logClosed`.
    @discardableResult
    public func startNewSegment() throws -> Bool {
        try checkOpen()
        guard activeSegment.size > 0 else { return false }
        try roll()
        return true
    }

    /// Deletes every segment all of whose offsets are below `offset`, oldest first, never the
    /// active one: for an internal log that has written everything it needs from `offset` on (a
    /// snapshot), as Kafka's `deleteRecordsBefore` does for whole segments.
    ///
    /// The log start offset becomes the base offset of the oldest remaining segment, which is at or
    /// below `offset`; reads below it fail with `offsetOutOfRange`. A segment's `.log` is removed
    /// first, so a crash part-way leaves only orphan index files, which the next open removes. The
    /// removals are not synced: a power cut may bring whole segments back, which is harmless for a
    /// reader that starts at `offset`.
    /// - Returns: what was deleted.
    /// - Throws: ``LogStoreError`` `ioFailure` (the segments before the failed one are gone),
    ///   `logClosed`.
    @discardableResult
    public func deleteSegments(before offset: Int64) throws -> RetentionResult {
        try checkOpen()
        var result = RetentionResult(deletedSegments: [], deletedBytes: 0)
        while segments.count > 1, segments[1].baseOffset <= offset {
            let oldest = segments[0]
            try oldest.deleteFiles()
            segments.removeFirst()
            result.deletedSegments.append(oldest.baseOffset)
            result.deletedBytes += oldest.size
        }
        return result
    }
}
