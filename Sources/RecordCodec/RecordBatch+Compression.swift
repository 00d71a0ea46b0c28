import NIOCore

extension RecordBatch {
    /// The codec the batch's attributes name, or `nil` for the ids 5 to 7, which Kafka does not
    /// define.
    public var compression: RecordCompression? { RecordCompression(rawValue: compressionCodec) }

    /// Checks that Sluice reads the batch's codec (none or gzip), reading only the attributes: a
    /// Kafka listener calls it on each batch of a produce to answer `UNSUPPORTED_COMPRESSION_TYPE`
    /// before the broker sees the batch (the broker's own answer is `corruptRecordBatch`).
    /// - Throws: ``RecordBatchError`` `unsupportedCompression`, naming the codec, at byte 21.
    public func checkCompression() throws {
        guard let compression, compression.isSupported else { throw RecordCompression.unsupported(compressionCodec) }
    }

    /// Encodes `records` as one batch whose records section is compressed with `compression`
    /// (``RecordCompression/none`` gives the same bytes as ``init(records:baseOffset:producer:allocator:)``).
    ///
    /// The header is the uncompressed batch's, with the codec in the attributes; `batchLength`
    /// and the CRC cover the compressed bytes, as Kafka's do. `records` must not be empty.
    /// - Throws: ``RecordBatchError`` `unsupportedCompression` for a codec Sluice does not write
    ///   (snappy, lz4, zstd); `invalidBatch` if zlib fails.
    public init(
        records: some Collection<Record>,
        compression: RecordCompression,
        baseOffset: Int64 = 0,
        producer: ProducerIdentity = .none,
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) throws {
        let plain = RecordBatch(records: records, baseOffset: baseOffset, producer: producer, allocator: allocator)
        switch compression {
        case .none:
            self = plain
        case .gzip:
            self = try plain.compressed(with: .gzip, allocator: allocator)
        case .snappy, .lz4, .zstd:
            throw RecordCompression.unsupported(compression.rawValue)
        }
    }

    /// This uncompressed batch with its records section gzip-compressed: same header fields,
    /// the codec set in the attributes, `batchLength` and CRC recomputed.
    private func compressed(with compression: RecordCompression, allocator: ByteBufferAllocator) throws -> RecordBatch {
        precondition(compressionCodec == 0 && compression == .gzip)
        let recordsSection = buffer.getSlice(
            at: buffer.readerIndex + Self.headerSize,
            length: buffer.readableBytes - Self.headerSize
        )!
        var body = try Gzip.compress(recordsSection, allocator: allocator)
        let size = Self.headerSize + body.readableBytes
        guard size <= Int(Int32.max) else {
            throw RecordBatchError(.batchTooLarge, "the compressed batch of \(size) bytes is over 2 GiB")
        }
        var out = allocator.buffer(capacity: size)
        out.writeImmutableBuffer(buffer.getSlice(at: buffer.readerIndex, length: Self.headerSize)!)
        out.writeBuffer(&body)
        out.setInteger(Int32(size - Self.logOverhead), at: Field.batchLength)
        out.setInteger(attributes | Int16(compression.rawValue), at: Field.attributes)
        let crc = out.withUnsafeReadableBytes { bytes in
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[Field.attributes..<size]))
        }
        out.setInteger(crc, at: Field.crc)
        return RecordBatch(unchecked: out)
    }
}
