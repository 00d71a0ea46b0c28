/// An error from the record codec: bytes that are not a valid Kafka RecordBatch v2, or a batch
/// that cannot be accepted.
///
/// Shaped like `LogStoreError`: a stable ``Code`` to switch on, a message that says what is wrong,
/// and the byte position of the problem relative to the start of the batch (or of the bytes
/// given). The storage engine wraps it into a `LogStoreError` with the same code, adding the file
/// and the file position.
public struct RecordBatchError: Error, Sendable, CustomStringConvertible {
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
            case invalidBatch
            case batchTooLarge
            case invalidTimestamp
            case corruptCompressedData
            case decompressedTooLarge
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
        /// The batch uses a compression codec Sluice does not read: snappy, lz4, zstd, or an id
        /// Kafka does not define (Sluice reads uncompressed and gzip batches). A Kafka listener
        /// answers it with `UNSUPPORTED_COMPRESSION_TYPE` (76).
        public static let unsupportedCompression = Code(base: .unsupportedCompression)
        /// The compressed records section does not inflate: the gzip stream is damaged, cut
        /// short, or followed by other bytes (Kafka: `CORRUPT_MESSAGE`).
        public static let corruptCompressedData = Code(base: .corruptCompressedData)
        /// The records of a compressed batch decompress to more bytes than the limit the batch
        /// was read with (`maxDecompressedBytes`; Kafka: `MESSAGE_TOO_LARGE`).
        public static let decompressedTooLarge = Code(base: .decompressedTooLarge)
        /// The batch is well formed but not acceptable (for example, it is empty).
        public static let invalidBatch = Code(base: .invalidBatch)
        /// The batch is larger than the `maxBatchBytes` limit it was read with.
        public static let batchTooLarge = Code(base: .batchTooLarge)
        /// A timestamp is outside the range the caller accepts, or a record's base plus delta
        /// overflows `Int64` (``RecordBatch/validatingRecords(timestampsWithin:)``).
        public static let invalidTimestamp = Code(base: .invalidTimestamp)

        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public var code: Code
    /// A human-readable explanation: what is wrong and, where known, where.
    public var message: String
    /// The byte position of the problem, relative to the start of the batch (or the bytes given).
    public var position: Int64?
    /// Where in Sluice the error was raised.
    public var location: String

    /// Creates an error.
    public init(
        _ code: Code,
        _ message: String,
        position: Int64? = nil,
        file: StaticString = #fileID,
        line: UInt = #line
    ) {
        self.code = code
        self.message = message
        self.position = position
        self.location = "\(file):\(line)"
    }

    public var description: String {
        guard let position else { return "\(code): \(message)" }
        return "\(code): \(message) (at byte \(position))"
    }
}
