import RecordCodec

/// How a ``Consumer`` fetches.
public struct ConsumerConfiguration: Sendable {
    /// How long a fetch waits for new records (long polling).
    public var maxWait: Duration = .milliseconds(500)
    /// The most record bytes in one fetch response.
    public var maxBytes: Int = 8 << 20
    /// The most record bytes per partition in one fetch response.
    public var partitionMaxBytes: Int = 1 << 20
    /// Stop at the end that existed when the consumer started (``Consumer/isAtEnd``).
    public var stopsAtEnd: Bool = false
    /// How many times a fetch is sent again after a connection failure.
    public var maxRetries: Int = 5
    /// The wait before the first retry; it doubles after each.
    public var retryBackoff: Duration = .milliseconds(200)
    /// The most bytes the records of one compressed (gzip) batch may decompress to; a batch over
    /// it fails the poll with `protocolViolation` instead of being inflated. Default 32 MiB, the
    /// broker's default `maxDecompressedBatchBytes`.
    public var maxDecompressedBatchBytes: Int = RecordBatch.defaultMaxDecompressedBytes

    /// The defaults.
    public init() {}
}
