import RecordCodec

/// How a partition log rolls, retains and flushes. Every bound the log enforces is named here.
public struct LogConfiguration: Sendable, Hashable {
    /// Segments stay under 2 GiB so that a file position fits the index's 4-byte field.
    public static let segmentBytesLimit = Int(Int32.max)

    /// Roll to a new segment when appending a batch would take the active one past this size.
    /// A single batch larger than this still goes into an empty segment. Default 1 GiB.
    public var segmentBytes: Int = 1 << 30
    /// Roll when the active segment's first batch is older than this (by its max timestamp, as
    /// Kafka's `segment.ms`). `nil`: never roll by age. Default 7 days.
    public var segmentMilliseconds: Int64? = 7 * 24 * 3_600_000
    /// Write one offset-index entry (and, when the max timestamp grew, one time-index entry) per
    /// this many bytes appended. Default 4 KiB.
    public var indexIntervalBytes: Int = 4096
    /// The largest batch the log accepts. Default 8 MiB. Batches already stored are read back up
    /// to ``segmentBytesLimit`` whatever this says, so lowering it never makes stored data look
    /// damaged.
    public var maxBatchBytes: Int = 8 << 20
    /// The most bytes the records of one compressed (gzip) batch may decompress to when an
    /// append checks them; past it the append fails with `decompressedTooLarge` and nothing is
    /// inflated further. Default 32 MiB (``RecordBatch/defaultMaxDecompressedBytes``).
    public var maxDecompressedBatchBytes: Int = RecordBatch.defaultMaxDecompressedBytes
    /// Delete segments whose largest timestamp is older than this. `nil`: keep forever.
    /// Default 7 days.
    public var retentionMilliseconds: Int64? = 7 * 24 * 3_600_000
    /// Delete the oldest segments while the log is larger than this. `nil`: no size limit.
    public var retentionBytes: Int64? = nil
    /// When appended bytes reach the disk.
    public var flushPolicy: FlushPolicy = .durable
    /// The most sealed segments whose `.log` is kept open at once (for reads). Sealed segments hold
    /// no descriptor otherwise: the `.log` is opened when a read needs it and the least recently used
    /// one is closed beyond this limit. The active segment's three files and the `.lock` stay open.
    /// Default 8.
    public var openSealedSegmentsLimit: Int = 8

    /// The defaults above.
    public init() {}

    /// Checks every value against its allowed range.
    /// - Throws: ``LogStoreError`` with code `invalidConfiguration` naming the value.
    public func validate() throws {
        func require(_ condition: Bool, _ message: String) throws {
            if !condition { throw LogStoreError(.invalidConfiguration, message) }
        }
        try require(
            segmentBytes >= 1024 && segmentBytes <= Self.segmentBytesLimit,
            "segmentBytes \(segmentBytes) must be between 1024 and \(Self.segmentBytesLimit)"
        )
        try require(segmentMilliseconds.map { $0 > 0 } ?? true, "segmentMilliseconds must be positive")
        try require(indexIntervalBytes > 0, "indexIntervalBytes must be positive")
        try require(
            maxBatchBytes >= RecordBatch.headerSize && maxBatchBytes <= Self.segmentBytesLimit,
            "maxBatchBytes \(maxBatchBytes) must be between \(RecordBatch.headerSize) and \(Self.segmentBytesLimit)"
        )
        try require(
            maxDecompressedBatchBytes >= 0,
            "maxDecompressedBatchBytes \(maxDecompressedBatchBytes) must not be negative"
        )
        try require(retentionMilliseconds.map { $0 > 0 } ?? true, "retentionMilliseconds must be positive")
        try require(retentionBytes.map { $0 >= 0 } ?? true, "retentionBytes must not be negative")
        try require(openSealedSegmentsLimit >= 1, "openSealedSegmentsLimit must be at least 1")
        if case .interval(let milliseconds) = flushPolicy {
            try require(milliseconds > 0, "the flush interval must be positive")
        }
    }
}

/// When a log's appended bytes are forced to disk with `fdatasync`.
///
/// Whatever the policy, ``PartitionLog/whenDurable(_:completion:)`` flushes on demand (sharing
/// the flush with every other waiter) and a clean ``PartitionLog/close()`` flushes everything.
public enum FlushPolicy: Sendable, Hashable {
    /// Every append is flushed promptly by the flush thread; appends arriving while a flush runs
    /// share the next one (group commit).
    case durable
    /// Appended bytes are flushed at least this often.
    case interval(milliseconds: Int)
    /// No background flushing: the operating system writes pages back when it chooses.
    case os
}
