import NIOCore

/// A Kafka RecordBatch v2 (magic 2), held as its exact bytes.
///
/// The broker stores, and a fetch returns, these bytes as they arrived; the only field the log
/// writes is `baseOffset`, which lies outside the CRC. All integers are big-endian.
///
/// ```
/// offset size field                 notes
///      0    8 baseOffset            first offset; assigned by the log on append
///      8    4 batchLength           bytes after this field: total size - 12
///     12    4 partitionLeaderEpoch  -1 unless set
///     16    1 magic                 always 2
///     17    4 crc                   CRC-32C (Castagnoli) of bytes 21..<end, as UInt32
///     21    2 attributes            bits 0-2 compression (0 none, 1 gzip; others refused),
///                                   bit 3 timestamp type, bit 4 transactional, bit 5 control
///     23    4 lastOffsetDelta       recordCount - 1
///     27    8 baseTimestamp         first record's timestamp (epoch ms)
///     35    8 maxTimestamp          largest record timestamp
///     43    8 producerId            -1 when not idempotent
///     51    2 producerEpoch         -1 when not idempotent
///     53    4 baseSequence          -1 when not idempotent
///     57    4 recordCount
///     61    … records               codec 1 (gzip): one gzip stream holding them
/// ```
///
/// Each record (all varints zig-zag encoded):
/// ```
/// varint   length           bytes of the record after this field
/// int8     attributes       0
/// varlong  timestampDelta   timestamp - baseTimestamp
/// varint   offsetDelta      offset - baseOffset (0, 1, 2, … in order)
/// varint   keyLength        -1 for a null key
/// bytes    key
/// varint   valueLength      -1 for a null value
/// bytes    value
/// varint   headerCount
///   varint headerKeyLength  (>= 0) then UTF-8 key bytes
///   varint headerValueLength (-1 for null) then value bytes
/// ```
public struct RecordBatch: Sendable, Hashable {
    /// The magic byte of the only batch version Sluice reads and writes.
    public static let magic: Int8 = 2
    /// The timestamp that means "none" (Kafka's `NO_TIMESTAMP`); any other negative one is invalid.
    public static let noTimestamp: Int64 = -1
    /// Bytes before the first record.
    public static let headerSize = 61
    /// Bytes of `baseOffset` and `batchLength`, which `batchLength` does not count.
    public static let logOverhead = 12
    /// The smallest legal `batchLength` (a header with no records).
    public static let minimumBatchLength = Int32(headerSize - logOverhead)

    package enum Field {
        package static let baseOffset = 0
        package static let batchLength = 8
        package static let partitionLeaderEpoch = 12
        package static let magic = 16
        package static let crc = 17
        package static let attributes = 21
        package static let lastOffsetDelta = 23
        package static let baseTimestamp = 27
        package static let maxTimestamp = 35
        package static let producerId = 43
        package static let producerEpoch = 51
        package static let baseSequence = 53
        package static let recordCount = 57
    }

    /// The batch's bytes, exactly: `readableBytes == sizeInBytes`.
    public private(set) var buffer: ByteBuffer

    /// Whether length, magic and CRC were checked when this value was made (by
    /// ``init(validating:maxBatchBytes:)`` or ``next(from:maxBatchBytes:)``). The bytes under the
    /// CRC cannot change afterwards, so ``PartitionLog/append(_:)`` does not check them twice.
    package let isHeaderValidated: Bool

    /// Whether the records were checked by ``validatingRecords(timestampsWithin:)``: then
    /// ``validateRecords()`` has nothing left to do.
    var areRecordsValidated = false

    /// Wraps bytes already known to hold one valid batch (the checks are assertions).
    package init(unchecked buffer: ByteBuffer) {
        assert(buffer.readableBytes >= Self.headerSize)
        self.buffer = buffer
        self.isHeaderValidated = false
    }

    /// Takes one batch from `buffer` and checks its header and CRC.
    ///
    /// `buffer` must hold exactly one batch. To check the records themselves as well, call
    /// ``validateRecords()``.
    /// - Throws: ``RecordBatchError`` with code `badLength`, `badMagic` or `checksumMismatch`, and the
    ///   byte position (relative to the batch) of the field at fault.
    public init(validating buffer: ByteBuffer, maxBatchBytes: Int = Int(Int32.max)) throws {
        let size = try buffer.withUnsafeReadableBytes {
            try Self.validateHeader(in: $0, maxBatchBytes: maxBatchBytes, requiresExactSize: true)
        }
        assert(size == buffer.readableBytes)
        self.buffer = buffer
        self.isHeaderValidated = true
    }

    /// Reads the next whole batch from back-to-back batches (a produce request's records, a fetch
    /// response), checking its length, magic and CRC.
    /// - Returns: the batch, or `nil` when `buffer` is empty or holds only the start of a batch
    ///   (the reader index then stays put, so a caller can tell a cut-off tail from the end).
    /// - Throws: ``RecordBatchError``: `batchTooLarge` over `maxBatchBytes`, `badLength`, `badMagic`,
    ///   `checksumMismatch`.
    public static func next(from buffer: inout ByteBuffer, maxBatchBytes: Int = Int(Int32.max)) throws -> RecordBatch? {
        guard let length = buffer.getInteger(at: buffer.readerIndex + Field.batchLength, as: Int32.self) else {
            return nil
        }
        guard length >= minimumBatchLength else {
            throw RecordBatchError(
                .badLength,
                "batchLength \(length) is below the minimum \(minimumBatchLength)",
                position: Int64(Field.batchLength)
            )
        }
        let size = Int(length) + logOverhead
        guard size <= maxBatchBytes else {
            throw RecordBatchError(.batchTooLarge, "batch of \(size) bytes is over the \(maxBatchBytes)-byte limit")
        }
        guard buffer.readableBytes >= size else { return nil }
        let batch = try RecordBatch(validating: buffer.getSlice(at: buffer.readerIndex, length: size)!)
        buffer.moveReaderIndex(forwardBy: size)
        return batch
    }

    public static func == (lhs: RecordBatch, rhs: RecordBatch) -> Bool { lhs.buffer == rhs.buffer }
    public func hash(into hasher: inout Hasher) { hasher.combine(buffer) }

    /// Checks the batch at the start of `bytes`: length, magic and CRC.
    ///
    /// - Parameter requiresExactSize: the batch must fill `bytes`; otherwise more bytes may follow.
    /// - Returns: the batch's total size in bytes (`batchLength + 12`).
    /// - Throws: ``RecordBatchError`` (`badLength`, `badMagic`, `checksumMismatch`) with the position
    ///   of the bad field relative to the start of `bytes`. Length faults are found before the CRC,
    ///   which would otherwise cover the wrong bytes and blame the checksum.
    static func validateHeader(
        in bytes: UnsafeRawBufferPointer,
        maxBatchBytes: Int,
        requiresExactSize: Bool = false
    ) throws -> Int {
        guard bytes.count >= Self.logOverhead else {
            throw RecordBatchError(
                .badLength,
                "\(bytes.count) bytes are too few for a batch's offset and length fields",
                position: 0
            )
        }
        let batchLength = Int32(bigEndianBytes: bytes, at: Field.batchLength)
        let size = Int(batchLength) + Self.logOverhead
        guard batchLength >= Self.minimumBatchLength else {
            throw RecordBatchError(
                .badLength,
                "batchLength \(batchLength) is below the minimum \(Self.minimumBatchLength)",
                position: Int64(Field.batchLength)
            )
        }
        guard size <= maxBatchBytes else {
            throw RecordBatchError(
                .badLength,
                "batchLength \(batchLength) makes a \(size)-byte batch, over the \(maxBatchBytes)-byte limit",
                position: Int64(Field.batchLength)
            )
        }
        guard size <= bytes.count else {
            throw RecordBatchError(
                .badLength,
                "batchLength says the batch is \(size) bytes but only \(bytes.count) bytes are there",
                position: Int64(Field.batchLength)
            )
        }
        guard !requiresExactSize || size == bytes.count else {
            throw RecordBatchError(
                .badLength,
                "batchLength says the batch is \(size) bytes but \(bytes.count) bytes were given",
                position: Int64(Field.batchLength)
            )
        }
        let magic = Int8(bitPattern: bytes[Field.magic])
        guard magic == Self.magic else {
            throw RecordBatchError(
                .badMagic,
                "magic byte is \(magic), expected \(Self.magic)",
                position: Int64(Field.magic)
            )
        }
        let stored = UInt32(bigEndianBytes: bytes, at: Field.crc)
        let computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[Field.attributes..<size]))
        guard stored == computed else {
            throw RecordBatchError(
                .checksumMismatch,
                "stored CRC-32C \(hex(stored)) does not match computed \(hex(computed))",
                position: Int64(Field.crc)
            )
        }
        return size
    }

    // MARK: Header fields

    /// Total size in bytes, header included.
    public var sizeInBytes: Int { buffer.readableBytes }

    /// The first offset in the batch. Setting it rewrites bytes 0..<8 (outside the CRC).
    public var baseOffset: Int64 {
        get { field(Field.baseOffset) }
        set { buffer.setInteger(newValue, at: buffer.readerIndex + Field.baseOffset) }
    }

    /// Bytes after the `batchLength` field.
    public var batchLength: Int32 { field(Field.batchLength) }
    /// The partition leader epoch, `-1` unless a producer set it.
    public var partitionLeaderEpoch: Int32 { field(Field.partitionLeaderEpoch) }
    /// The stored CRC-32C.
    public var crc: UInt32 { field(Field.crc) }
    /// The batch attributes (compression, timestamp type, transactional, control).
    public var attributes: Int16 { field(Field.attributes) }
    /// `recordCount - 1` for a non-empty batch.
    public var lastOffsetDelta: Int32 { field(Field.lastOffsetDelta) }
    /// The first record's timestamp.
    public var baseTimestamp: Int64 { field(Field.baseTimestamp) }
    /// The largest record timestamp.
    public var maxTimestamp: Int64 { field(Field.maxTimestamp) }
    /// The idempotent producer's id, `-1` if none.
    public var producerId: Int64 { field(Field.producerId) }
    /// The idempotent producer's epoch, `-1` if none.
    public var producerEpoch: Int16 { field(Field.producerEpoch) }
    /// The sequence number of the first record, `-1` if none.
    public var baseSequence: Int32 { field(Field.baseSequence) }
    /// How many records the batch declares.
    public var recordCount: Int32 { field(Field.recordCount) }
    /// The offset of the last record: `baseOffset + lastOffsetDelta` (wrapping, as Kafka's does, so
    /// that bad bytes cannot trap).
    public var lastOffset: Int64 { baseOffset &+ Int64(lastOffsetDelta) }
    /// The compression codec: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd.
    public var compressionCodec: Int { Int(attributes & 0x7) }

    private func field<T: FixedWidthInteger>(_ offset: Int) -> T {
        buffer.getInteger(at: buffer.readerIndex + offset, as: T.self)!
    }
}

extension FixedWidthInteger {
    /// Reads a big-endian integer from `bytes` at `offset`; the caller has checked the bounds.
    @inlinable
    package init(bigEndianBytes bytes: UnsafeRawBufferPointer, at offset: Int) {
        self.init(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Self.self))
    }
}

func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
}
