/// An error from the storage engine.
///
/// One error type for the whole module, shaped like swift-nio's `FileSystemError`: a stable ``Code``
/// to switch on, a message that says what is wrong, and — for bad bytes — the file and the byte
/// position where they were found.
public struct LogStoreError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is. New codes may be added; switch with a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Base: String, Hashable, Sendable {
            case badMagic
            case badLength
            case checksumMismatch
            case recordCountMismatch
            case truncatedRecord
            case varintOverflow
            case unsupportedCompression
            case corruptCompressedData
            case decompressedTooLarge
            case invalidBatch
            case invalidTimestamp
            case batchTooLarge
            case offsetOutOfRange
            case corruptIndex
            case corruptCheckpoint
            case ioFailure
            case logClosed
            case directoryInUse
            case invalidConfiguration
        }

        let base: Base

        /// The batch's magic byte is not 2 (RecordBatch v2).
        public static let badMagic = Code(base: .badMagic)
        /// The batch length field is too small, too large, or runs past the available bytes.
        public static let badLength = Code(base: .badLength)
        /// The stored CRC-32C does not match the bytes from `attributes` to the end of the batch.
        public static let checksumMismatch = Code(base: .checksumMismatch)
        /// The records do not add up to the batch's record count or last offset delta.
        public static let recordCountMismatch = Code(base: .recordCountMismatch)
        /// A record's bytes run past the end of its batch or of its own length prefix.
        public static let truncatedRecord = Code(base: .truncatedRecord)
        /// A varint is longer than 5 bytes (varlong: 10 bytes).
        public static let varintOverflow = Code(base: .varintOverflow)
        /// The batch uses a compression codec Sluice does not read (snappy, lz4, zstd, or an
        /// undefined id); Sluice reads uncompressed and gzip batches.
        public static let unsupportedCompression = Code(base: .unsupportedCompression)
        /// A gzip batch's records section does not inflate (damaged, cut short, or followed by
        /// other bytes).
        public static let corruptCompressedData = Code(base: .corruptCompressedData)
        /// A gzip batch's records decompress to more than the log's `maxDecompressedBatchBytes`.
        public static let decompressedTooLarge = Code(base: .decompressedTooLarge)
        /// The batch is well formed but not acceptable for appending (for example, it is empty).
        public static let invalidBatch = Code(base: .invalidBatch)
        /// A timestamp is outside the range asked of ``RecordBatch/validatingRecords(timestampsWithin:)``,
        /// or `baseTimestamp + timestampDelta` overflows `Int64`.
        public static let invalidTimestamp = Code(base: .invalidTimestamp)
        /// The batch is larger than the log's `maxBatchBytes` limit.
        public static let batchTooLarge = Code(base: .batchTooLarge)
        /// A read asked for an offset outside `[logStartOffset, logEndOffset]`.
        public static let offsetOutOfRange = Code(base: .offsetOutOfRange)
        /// An index file is damaged; it is rebuilt rather than trusted.
        public static let corruptIndex = Code(base: .corruptIndex)
        /// The recovery-point checkpoint is damaged.
        public static let corruptCheckpoint = Code(base: .corruptCheckpoint)
        /// A system call on a log file failed.
        public static let ioFailure = Code(base: .ioFailure)
        /// The log has been closed.
        public static let logClosed = Code(base: .logClosed)
        /// Another open log (in this process or another) holds the directory's lock.
        public static let directoryInUse = Code(base: .directoryInUse)
        /// A configuration value is outside its allowed range.
        public static let invalidConfiguration = Code(base: .invalidConfiguration)

        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public var code: Code
    /// A human-readable explanation: what is wrong and, where known, where.
    public var message: String
    /// The file in which bad bytes were found or a system call failed, if any.
    public var path: String?
    /// The byte position of the problem: within `path` when it is set, otherwise within the batch.
    public var position: Int64?
    /// For ``Code/offsetOutOfRange``: the offsets that can be read, `logStartOffset..<logEndOffset`.
    public var validOffsets: Range<Int64>?
    /// For ``Code/ioFailure``: the `errno` value.
    public var errno: Int32?
    /// Where in Sluice the error was raised.
    public var location: String

    init(
        _ code: Code,
        _ message: String,
        path: String? = nil,
        position: Int64? = nil,
        validOffsets: Range<Int64>? = nil,
        errno: Int32? = nil,
        file: StaticString = #fileID,
        line: UInt = #line
    ) {
        self.code = code
        self.message = message
        self.path = path
        self.position = position
        self.validOffsets = validOffsets
        self.errno = errno
        self.location = "\(file):\(line)"
    }

    /// Returns this error re-anchored in a file: `position` (relative to a batch) is shifted by the
    /// batch's `filePosition`, and `path` is set.
    func located(in path: String, batchAt filePosition: Int64) -> LogStoreError {
        var copy = self
        copy.path = path
        copy.position = filePosition + (position ?? 0)
        return copy
    }

    public var description: String {
        var text = "\(code): \(message)"
        if let path {
            text += " (\(path)"
            if let position { text += " at byte \(position)" }
            text += ")"
        } else if let position {
            text += " (at byte \(position))"
        }
        return text
    }
}
