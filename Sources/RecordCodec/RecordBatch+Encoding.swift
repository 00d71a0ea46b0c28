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

        // Records go straight into the reserved space: one bounds check for the whole batch
        // instead of one per byte.
        let recordsBound = estimatedSize(of: records) - headerSize
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: recordsBound) { space in
            var writer = RawWriter(space)
            var offsetDelta: Int64 = 0
            for record in records {
                writer.writeRecord(record, offsetDelta: offsetDelta, timestampDelta: record.timestamp &- baseTimestamp)
                offsetDelta += 1
            }
            precondition(writer.position <= recordsBound, "record size estimate too small")
            return writer.position
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

    fileprivate static func lengthPrefixedSize(_ length: Int?) -> Int {
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

/// Writes varints and bytes into reserved memory; the caller has reserved enough.
private struct RawWriter {
    let space: UnsafeMutableRawBufferPointer
    var position = 0

    init(_ space: UnsafeMutableRawBufferPointer) { self.space = space }

    mutating func writeRecord(_ record: Record, offsetDelta: Int64, timestampDelta: Int64) {
        var bodySize = 1 + Varint.size(of: timestampDelta) + Varint.size(of: offsetDelta)
        bodySize += RecordBatch.lengthPrefixedSize(record.key?.readableBytes)
        bodySize += RecordBatch.lengthPrefixedSize(record.value?.readableBytes)
        bodySize += Varint.size(of: Int64(record.headers.count))
        for header in record.headers {
            bodySize += RecordBatch.lengthPrefixedSize(header.key.utf8.count)
            bodySize += RecordBatch.lengthPrefixedSize(header.value?.readableBytes)
        }
        writeVarint(Int64(bodySize))
        space[position] = 0  // record attributes, unused
        position += 1
        writeVarint(timestampDelta)
        writeVarint(offsetDelta)
        writeNullable(record.key)
        writeNullable(record.value)
        writeVarint(Int64(record.headers.count))
        for header in record.headers {
            var key = header.key
            key.withUTF8 { utf8 in
                writeVarint(Int64(utf8.count))
                copy(UnsafeRawBufferPointer(utf8))
            }
            writeNullable(header.value)
        }
    }

    @inline(__always)
    mutating func writeVarint(_ value: Int64) {
        Varint.write(value, into: space, at: &position)
    }

    mutating func writeNullable(_ bytes: ByteBuffer?) {
        guard let bytes else { return writeVarint(-1) }
        writeVarint(Int64(bytes.readableBytes))
        bytes.withUnsafeReadableBytes { copy($0) }
    }

    mutating func copy(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        (space.baseAddress! + position).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        position += bytes.count
    }
}
