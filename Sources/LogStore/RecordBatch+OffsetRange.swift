import RecordCodec

extension RecordBatch {
    /// Whether the batch's offsets form a range: `lastOffsetDelta` is not negative and
    /// `baseOffset + lastOffsetDelta` does not overflow. ``lastOffset`` wraps (as Kafka's does), so
    /// a batch read from disk must pass this before its last offset is used in arithmetic.
    var hasValidOffsetRange: Bool {
        lastOffsetDelta >= 0 && baseOffset <= Int64.max - Int64(lastOffsetDelta)
    }
}
