import NIOCore

/// The idempotent producer fields of a batch (`-1` everywhere when the producer is not idempotent).
public struct ProducerIdentity: Sendable, Hashable {
    /// The producer id.
    public var producerId: Int64
    /// The producer epoch.
    public var producerEpoch: Int16
    /// The sequence number of the batch's first record.
    public var baseSequence: Int32

    /// Creates producer fields.
    public init(producerId: Int64, producerEpoch: Int16, baseSequence: Int32) {
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.baseSequence = baseSequence
    }

    /// No idempotent producer.
    public static let none = ProducerIdentity(producerId: -1, producerEpoch: -1, baseSequence: -1)
}

extension RecordBatch {
    /// Encodes `records` as one uncompressed batch.
    ///
    /// Offsets follow the order of `records` (offset delta 0, 1, 2, …); the base timestamp is the
    /// first record's. `records` must not be empty.
    public init(
        records: some Collection<Record>,
        baseOffset: Int64 = 0,
        producer: ProducerIdentity = .none,
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) {
        var buffer = allocator.buffer(capacity: Self.estimatedSize(of: records))
        Self.write(records: records, baseOffset: baseOffset, producer: producer, into: &buffer)
        self.init(unchecked: buffer)
    }

    /// Appends one encoded batch of `records` to `buffer`.
    ///
    /// - Returns: the number of bytes written.
    @discardableResult
    public static func write(
        records: some Collection<Record>,
        baseOffset: Int64 = 0,
        producer: ProducerIdentity = .none,
        into buffer: inout ByteBuffer
    ) -> Int {
        precondition(!records.isEmpty, "a record batch needs at least one record")
        precondition(records.count <= Int(Int32.max), "too many records for one batch")
        let start = buffer.writerIndex
        let baseTimestamp = records.first!.timestamp
        var maxTimestamp = baseTimestamp
        for record in records where record.timestamp > maxTimestamp { maxTimestamp = record.timestamp }

        buffer.reserveCapacity(minimumWritableBytes: estimatedSize(of: records))
        buffer.writeInteger(baseOffset)
        buffer.writeInteger(Int32(0))  // batchLength, patched below
        buffer.writeInteger(Int32(-1))  // partitionLeaderEpoch
        buffer.writeInteger(Self.magic)
        buffer.writeInteger(UInt32(0))  // crc, patched below
        buffer.writeInteger(Int16(0))  // attributes: no compression, create time, not transactional
        buffer.writeInteger(Int32(records.count - 1))
        buffer.writeInteger(baseTimestamp)
        buffer.writeInteger(maxTimestamp)
        buffer.writeInteger(producer.producerId)
        buffer.writeInteger(producer.producerEpoch)
        buffer.writeInteger(producer.baseSequence)
        buffer.writeInteger(Int32(records.count))

        var offsetDelta: Int64 = 0
        for record in records {
            writeRecord(
                record,
                offsetDelta: offsetDelta,
                timestampDelta: record.timestamp &- baseTimestamp,
                into: &buffer
            )
            offsetDelta += 1
        }

        let size = buffer.writerIndex - start
        precondition(size <= Int(Int32.max), "record batch over 2 GiB")
        buffer.setInteger(Int32(size - logOverhead), at: start + Field.batchLength)
        let crc = buffer.withUnsafeReadableBytes { bytes in
            let from = start - buffer.readerIndex + Field.attributes
            return CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[from..<(from + size - Field.attributes)]))
        }
        buffer.setInteger(crc, at: start + Field.crc)
        return size
    }

    private static func writeRecord(
        _ record: Record,
        offsetDelta: Int64,
        timestampDelta: Int64,
        into buffer: inout ByteBuffer
    ) {
        var bodySize = 1 + Varint.size(of: timestampDelta) + Varint.size(of: offsetDelta)
        bodySize += lengthPrefixedSize(record.key?.readableBytes)
        bodySize += lengthPrefixedSize(record.value?.readableBytes)
        bodySize += Varint.size(of: Int64(record.headers.count))
        for header in record.headers {
            bodySize += lengthPrefixedSize(header.key.utf8.count)
            bodySize += lengthPrefixedSize(header.value?.readableBytes)
        }

        buffer.writeVarint(Int64(bodySize))
        buffer.writeInteger(Int8(0))  // record attributes, unused
        buffer.writeVarint(timestampDelta)
        buffer.writeVarint(offsetDelta)
        writeNullableBytes(record.key, into: &buffer)
        writeNullableBytes(record.value, into: &buffer)
        buffer.writeVarint(Int64(record.headers.count))
        for header in record.headers {
            buffer.writeVarint(Int64(header.key.utf8.count))
            buffer.writeString(header.key)
            writeNullableBytes(header.value, into: &buffer)
        }
    }

    private static func writeNullableBytes(_ bytes: ByteBuffer?, into buffer: inout ByteBuffer) {
        if let bytes {
            buffer.writeVarint(Int64(bytes.readableBytes))
            buffer.writeImmutableBuffer(bytes)
        } else {
            buffer.writeVarint(-1)
        }
    }

    private static func lengthPrefixedSize(_ length: Int?) -> Int {
        guard let length else { return 1 }  // varint(-1)
        return Varint.size(of: Int64(length)) + length
    }

    /// An upper bound on the encoded size, used to reserve capacity in one step.
    static func estimatedSize(of records: some Collection<Record>) -> Int {
        var size = headerSize
        for record in records {
            // length + attributes + timestamp delta + offset delta + key/value prefixes + header count
            size += 5 + 1 + 10 + 5 + 5 + 5 + 5
            size += (record.key?.readableBytes ?? 0) + (record.value?.readableBytes ?? 0)
            for header in record.headers {
                size += 10 + header.key.utf8.count + (header.value?.readableBytes ?? 0)
            }
        }
        return size
    }
}
