import NIOCore
import Testing

@testable import RecordCodec

/// The RecordBatch v2 codec: round trips, the header layout byte by byte, and every validation error
/// with the position it reports.
@Suite("RecordBatch")
struct RecordBatchTests {
    // MARK: Round trips

    @Test("keys, null keys, null and empty values, headers and decreasing timestamps round-trip")
    func sampleRoundTrip() throws {
        let records = Self.sampleRecords()
        let batch = RecordBatch(records: records, baseOffset: 500)
        let decoded = try Self.decode(Self.bytes(of: batch))
        #expect(decoded == Self.numbered(records, from: 500))
        #expect(decoded[2].key == nil)
        #expect(decoded[3].value == nil)
        #expect(decoded[4].value == ByteBuffer())
        #expect(decoded[4].value != nil, "an empty value is not a null value")
        #expect(decoded[5].headers.map(\.key) == ["trace", "trace", "nothing", "", "ключ"])
        #expect(decoded[5].headers[2].value == nil)
        #expect(decoded[5].headers[3].value == ByteBuffer())
    }

    @Test("a single record round-trips", arguments: [Int64.min, -1, 0, 1_700_000_000_000, Int64.max])
    func singleRecord(timestamp: Int64) throws {
        let record = Record(key: Self.buffer("k"), value: Self.buffer("v"), timestamp: timestamp)
        let batch = RecordBatch(records: [record])
        #expect(batch.recordCount == 1)
        #expect(batch.lastOffsetDelta == 0)
        #expect(batch.baseTimestamp == timestamp)
        #expect(batch.maxTimestamp == timestamp)
        #expect(try Self.decode(Self.bytes(of: batch)) == [record])
    }

    @Test("a single record is laid out as Kafka lays it out")
    func singleRecordBytes() throws {
        let plain = RecordBatch(records: [Record(key: Self.buffer("k"), value: Self.buffer("v"), timestamp: 7)])
        // length 8, attributes 0, timestamp delta 0, offset delta 0, key "k", value "v", no headers
        #expect(Array(Self.bytes(of: plain)[61...]) == [0x10, 0x00, 0x00, 0x00, 0x02, 0x6B, 0x02, 0x76, 0x00])
        #expect(plain.sizeInBytes == 70)
        #expect(plain.batchLength == 58)

        let record = Record(value: Self.buffer("v"), headers: [RecordHeader(key: "h", value: nil)], timestamp: 7)
        let nulls = RecordBatch(records: [record])
        // length 10, attributes, deltas, null key, value "v", one header: key "h", null value
        let expected: [UInt8] = [0x14, 0x00, 0x00, 0x00, 0x01, 0x02, 0x76, 0x02, 0x02, 0x68, 0x01]
        #expect(Array(Self.bytes(of: nulls)[61...]) == expected)
    }

    @Test("timestamps far apart, in any order, round-trip")
    func extremeTimestamps() throws {
        let timestamps: [Int64] = [0, .max, .min, -1, 1_700_000_000_000, 1_699_999_999_999]
        let records = timestamps.map { Record(value: Self.buffer("t"), timestamp: $0) }
        let batch = RecordBatch(records: records)
        #expect(batch.baseTimestamp == 0)
        #expect(batch.maxTimestamp == .max)
        #expect(try Self.decode(Self.bytes(of: batch)) == Self.numbered(records, from: 0))
    }

    @Test("decreasing timestamps keep the first as base and the largest as max")
    func decreasingTimestamps() throws {
        let records = [5_000, 4_000, 6_000, 1_000].map { Record(value: Self.buffer("x"), timestamp: Int64($0)) }
        let batch = RecordBatch(records: records)
        #expect(batch.baseTimestamp == 5_000)
        #expect(batch.maxTimestamp == 6_000)
        #expect(try Self.decode(Self.bytes(of: batch)).map(\.timestamp) == [5_000, 4_000, 6_000, 1_000])
    }

    @Test("ten thousand records round-trip with contiguous offsets")
    func manyRecords() throws {
        let records = (0..<10_000).map { index in
            Record(
                key: index % 3 == 0 ? nil : Self.buffer("key-\(index)"),
                value: Self.buffer(String(repeating: "v", count: index % 200)),
                headers: index % 5 == 0 ? [RecordHeader(key: "n", value: Self.buffer("\(index)"))] : [],
                timestamp: 1_000_000 + Int64(index % 97)
            )
        }
        let batch = RecordBatch(records: records, baseOffset: 1 << 40)
        #expect(batch.recordCount == 10_000)
        #expect(batch.lastOffsetDelta == 9_999)
        #expect(batch.lastOffset == (1 << 40) + 9_999)
        #expect(batch.maxTimestamp == 1_000_096)
        let decoded = try Self.decode(Self.bytes(of: batch))
        #expect(decoded == Self.numbered(records, from: 1 << 40))
    }

    @Test("random batches round-trip and match a reference encoder", arguments: [101, 102, 103, 104])
    func randomRoundTrips(seed: UInt64) throws {
        var random = CodecTestRandom(seed: seed)
        for _ in 0..<40 {
            let records = Self.randomRecords(using: &random)
            let baseOffset = Int64.random(in: 0...(1 << 50), using: &random)
            let producer = Bool.random(using: &random) ? ProducerIdentity.none : Self.randomProducer(using: &random)
            let batch = RecordBatch(records: records, baseOffset: baseOffset, producer: producer)
            let bytes = Self.bytes(of: batch)
            #expect(
                bytes == Self.referenceEncoding(records, baseOffset: baseOffset, producer: producer),
                "seed \(seed): \(records.count) records"
            )
            #expect(try Self.decode(bytes) == Self.numbered(records, from: baseOffset), "seed \(seed)")
            #expect(batch.producerId == producer.producerId)
            #expect(batch.producerEpoch == producer.producerEpoch)
            #expect(batch.baseSequence == producer.baseSequence)
            #expect(batch.maxTimestamp == records.map(\.timestamp).max())
        }
    }

    @Test("write(records:into:) appends the same bytes after data already in the buffer")
    func writeAppendsAfterExistingBytes() throws {
        let records = Self.sampleRecords()
        let expected = Self.bytes(of: RecordBatch(records: records, baseOffset: 9))
        var buffer = ByteBuffer(bytes: [UInt8](repeating: 0xAB, count: 37))
        buffer.moveReaderIndex(forwardBy: 11)
        let written = RecordBatch.write(records: records, baseOffset: 9, into: &buffer)
        #expect(written == expected.count)
        #expect(buffer.readableBytes == 26 + expected.count)
        #expect(buffer.getBytes(at: buffer.readerIndex + 26, length: written) == expected)
        let second = RecordBatch.write(records: records.prefix(1), baseOffset: 99, into: &buffer)
        let slice = try #require(buffer.getSlice(at: buffer.readerIndex + 26 + written, length: second))
        let batch = try RecordBatch(validating: slice)
        #expect(try batch.records() == Self.numbered(Array(records.prefix(1)), from: 99))
    }

    // MARK: Header fields

    @Test("header fields sit at their documented offsets")
    func headerLayout() throws {
        let producer = ProducerIdentity(
            producerId: 0x0102_0304_0506_0708,
            producerEpoch: 0x0A0B,
            baseSequence: 0x0C0D_0E0F
        )
        let records = [3_000, 9_000, 1_000].map { Record(value: Self.buffer("v\($0)"), timestamp: Int64($0)) }
        let batch = RecordBatch(records: records, baseOffset: 0x1122_3344_5566_7788, producer: producer)
        let bytes = Self.bytes(of: batch)

        #expect(RecordBatch.headerSize == 61)
        #expect(Self.integer(Int64.self, at: 0, in: bytes) == 0x1122_3344_5566_7788)
        #expect(Array(bytes[0..<8]) == [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88], "big-endian")
        #expect(Self.integer(Int32.self, at: 8, in: bytes) == Int32(bytes.count - 12))
        #expect(Self.integer(Int32.self, at: 12, in: bytes) == -1, "partitionLeaderEpoch")
        #expect(bytes[16] == 2, "magic")
        #expect(Self.integer(UInt32.self, at: 17, in: bytes) == CRC32C.checksum(bytes[21...]))
        #expect(Self.integer(Int16.self, at: 21, in: bytes) == 0, "attributes")
        #expect(Self.integer(Int32.self, at: 23, in: bytes) == 2, "lastOffsetDelta")
        #expect(Self.integer(Int64.self, at: 27, in: bytes) == 3_000, "baseTimestamp is the first record's")
        #expect(Self.integer(Int64.self, at: 35, in: bytes) == 9_000, "maxTimestamp")
        #expect(Self.integer(Int64.self, at: 43, in: bytes) == 0x0102_0304_0506_0708)
        #expect(Self.integer(Int16.self, at: 51, in: bytes) == 0x0A0B)
        #expect(Self.integer(Int32.self, at: 53, in: bytes) == 0x0C0D_0E0F)
        #expect(Self.integer(Int32.self, at: 57, in: bytes) == 3, "recordCount")

        #expect(batch.baseOffset == 0x1122_3344_5566_7788)
        #expect(batch.batchLength == Int32(bytes.count - 12))
        #expect(batch.sizeInBytes == bytes.count)
        #expect(batch.partitionLeaderEpoch == -1)
        #expect(batch.crc == CRC32C.checksum(bytes[21...]))
        #expect(batch.attributes == 0)
        #expect(batch.compressionCodec == 0)
        #expect(batch.lastOffsetDelta == 2)
        #expect(batch.lastOffset == 0x1122_3344_5566_778A)
        #expect(batch.baseTimestamp == 3_000)
        #expect(batch.maxTimestamp == 9_000)
        #expect(batch.producerId == producer.producerId)
        #expect(batch.producerEpoch == producer.producerEpoch)
        #expect(batch.baseSequence == producer.baseSequence)
        #expect(batch.recordCount == 3)
    }

    @Test("producer fields are -1 without an idempotent producer")
    func producerFieldsDefault() {
        let batch = RecordBatch(records: [Record(value: Self.buffer("v"), timestamp: 1)])
        let bytes = Self.bytes(of: batch)
        #expect(Array(bytes[43..<57]) == [UInt8](repeating: 0xFF, count: 14))
        #expect(batch.producerId == -1)
        #expect(batch.producerEpoch == -1)
        #expect(batch.baseSequence == -1)
        #expect(batch.baseOffset == 0)
    }

    @Test("setting baseOffset rewrites bytes 0..<8 only and keeps the CRC valid")
    func baseOffsetSetter() throws {
        var random = CodecTestRandom(seed: 7)
        let records = Self.sampleRecords()
        var batch = RecordBatch(records: records, baseOffset: 3)
        let original = Self.bytes(of: batch)
        let randomOffsets = (0..<20).map { _ in Int64.random(in: 0...(1 << 60), using: &random) }
        for newOffset in [0, 1, 1 << 33, Int64.max - 100, -1] + randomOffsets {
            batch.baseOffset = newOffset
            let bytes = Self.bytes(of: batch)
            #expect(Self.integer(Int64.self, at: 0, in: bytes) == newOffset)
            #expect(bytes[8...] == original[8...])
            #expect(batch.crc == original.withUnsafeBytes { UInt32(bigEndianBytes: $0, at: 17) })
            let revalidated = try RecordBatch(validating: batch.buffer)
            #expect(revalidated.baseOffset == newOffset)
            #expect(revalidated.lastOffset == newOffset + Int64(records.count - 1))
            #expect(try revalidated.records().map(\.offset) == (0..<Int64(records.count)).map { newOffset + $0 })
        }
    }

    @Test("bytes outside the CRC other than magic and length may change freely")
    func fieldsOutsideTheCRC() throws {
        var bytes = Self.bytes(of: RecordBatch(records: Self.sampleRecords()))
        Self.put(Int32(17), at: 12, in: &bytes)
        Self.put(Int64(-5), at: 0, in: &bytes)
        let batch = try RecordBatch(validating: ByteBuffer(bytes: bytes))
        #expect(batch.partitionLeaderEpoch == 17)
        #expect(batch.baseOffset == -5)
        try batch.validateRecords()
    }

    @Test("a batch with an extreme base offset decodes without trapping; offsets wrap as in Kafka")
    func extremeBaseOffset() throws {
        var batch = RecordBatch(records: Self.sampleRecords())
        for baseOffset in [Int64.max, Int64.max - 1, Int64.min] {
            batch.baseOffset = baseOffset
            let count = Int64(Self.sampleRecords().count)
            #expect(batch.lastOffset == baseOffset &+ (count - 1))
            let offsets = try RecordBatch(validating: batch.buffer).records().map(\.offset)
            #expect(offsets == (0..<count).map { baseOffset &+ $0 })
        }
    }

    @Test("an empty batch (recordCount 0) is well formed and has no records")
    func emptyBatch() throws {
        let bytes = Self.handBuiltBatch(records: [], recordCount: 0, lastOffsetDelta: -1)
        #expect(bytes.count == 61)
        let batch = try RecordBatch(validating: ByteBuffer(bytes: bytes))
        #expect(batch.batchLength == RecordBatch.minimumBatchLength)
        try batch.validateRecords()
        #expect(try batch.records().isEmpty)
    }

    @Test("a hand-built batch decodes as the encoder's output does")
    func handBuiltBatchDecodes() throws {
        let body: [UInt8] = [0x00, 0x04, 0x00, 0x02, 0x6B, 0x01, 0x04, 0x02, 0x61, 0x01, 0x02, 0x61, 0x02, 0x7A]
        let bytes = Self.handBuiltBatch(records: [Self.rawRecord(body)], baseTimestamp: 40, maxTimestamp: 42)
        let record = Record(
            key: Self.buffer("k"),
            value: nil,
            headers: [RecordHeader(key: "a", value: nil), RecordHeader(key: "a", value: Self.buffer("z"))],
            timestamp: 42
        )
        #expect(try Self.decode(bytes) == [record])
    }

    // MARK: Header validation

    @Test("a magic byte other than 2 is rejected at position 16", arguments: [0, 1, 3, 0x7F, -1] as [Int8])
    func badMagic(_ magic: Int8) {
        var bytes = Self.bytes(of: RecordBatch(records: Self.sampleRecords()))
        bytes[16] = UInt8(bitPattern: magic)
        Self.expectError(.badMagic, at: 16) { try RecordBatch(validating: ByteBuffer(bytes: bytes)) }
    }

    @Test("changing any byte from 21 to the end is a CRC mismatch at position 17")
    func checksumMismatchAnywhere() {
        var random = CodecTestRandom(seed: 17)
        let original = Self.bytes(of: RecordBatch(records: Self.sampleRecords().prefix(4)))
        for index in 21..<original.count {
            var bytes = original
            bytes[index] ^= UInt8.random(in: 1...255, using: &random)
            Self.expectError(.checksumMismatch, at: 17, "byte \(index) changed") {
                try RecordBatch(validating: ByteBuffer(bytes: bytes))
            }
        }
        for index in 17..<21 {
            var bytes = original
            bytes[index] ^= 0x01
            Self.expectError(.checksumMismatch, at: 17, "CRC byte \(index) changed") {
                try RecordBatch(validating: ByteBuffer(bytes: bytes))
            }
        }
    }

    @Test("a batchLength that does not fit the bytes is rejected at position 8")
    func badLength() {
        let original = Self.bytes(of: RecordBatch(records: Self.sampleRecords()))
        let length = Int32(original.count - 12)
        for wrong in [-1, 0, 48, Int32.min, length - 1, length + 1, Int32.max] {
            var bytes = original
            Self.put(wrong, at: 8, in: &bytes)
            Self.expectError(.badLength, at: 8, "batchLength \(wrong)") {
                try RecordBatch(validating: ByteBuffer(bytes: bytes))
            }
        }
        Self.expectError(.badLength, at: 8, "one byte short") {
            try RecordBatch(validating: ByteBuffer(bytes: original.dropLast()))
        }
        Self.expectError(.badLength, at: 8, "one byte extra") {
            try RecordBatch(validating: ByteBuffer(bytes: original + [0]))
        }
        Self.expectError(.badLength, at: 8, "two batches in one buffer") {
            try RecordBatch(validating: ByteBuffer(bytes: original + original))
        }
        Self.expectError(.badLength, at: 8, "header cut short") {
            try RecordBatch(validating: ByteBuffer(bytes: original.prefix(40)))
        }
        Self.expectError(.badLength, at: 0, "too few bytes for the length field") {
            try RecordBatch(validating: ByteBuffer(bytes: original.prefix(11)))
        }
    }

    @Test("a batch over maxBatchBytes is rejected at position 8")
    func overMaxBatchBytes() throws {
        let bytes = Self.bytes(of: RecordBatch(records: Self.sampleRecords()))
        Self.expectError(.badLength, at: 8) {
            try RecordBatch(validating: ByteBuffer(bytes: bytes), maxBatchBytes: bytes.count - 1)
        }
        Self.expectError(.badLength, at: 8) { try RecordBatch(validating: ByteBuffer(bytes: bytes), maxBatchBytes: 61) }
        _ = try RecordBatch(validating: ByteBuffer(bytes: bytes), maxBatchBytes: bytes.count)
    }

    // MARK: Record validation

    @Test("a record count that disagrees with the records is a mismatch")
    func recordCountMismatch() throws {
        let records = Self.sampleRecords()
        let original = Self.bytes(of: RecordBatch(records: records))
        let count = Int32(records.count)

        var more = original
        Self.put(count + 1, at: 57, in: &more)
        Self.put(count, at: 23, in: &more)
        try Self.expectRecordError(.recordCountMismatch, at: Int64(original.count), in: Self.resealed(more))

        var fewer = original
        Self.put(count - 1, at: 57, in: &fewer)
        Self.put(count - 2, at: 23, in: &fewer)
        let lastRecordSize =
            Self.referenceEncoding(records, baseOffset: 0, producer: .none).count
            - Self.referenceEncoding(records.dropLast(), baseOffset: 0, producer: .none).count
        let lastRecordStart = original.count - lastRecordSize
        try Self.expectRecordError(.recordCountMismatch, at: Int64(lastRecordStart), in: Self.resealed(fewer))

        var onlyCount = original
        Self.put(count + 1, at: 57, in: &onlyCount)
        try Self.expectRecordError(.recordCountMismatch, at: 23, in: Self.resealed(onlyCount))

        for wrongDelta in [-1, 0, count, count - 2, Int32.max] {
            var delta = original
            Self.put(wrongDelta, at: 23, in: &delta)
            try Self.expectRecordError(.recordCountMismatch, at: 23, in: Self.resealed(delta))
        }

        var negative = original
        Self.put(Int32(-1), at: 57, in: &negative)
        try Self.expectRecordError(.recordCountMismatch, at: 57, in: Self.resealed(negative))

        var huge = original
        Self.put(Int32.max, at: 57, in: &huge)
        Self.put(Int32.max - 1, at: 23, in: &huge)
        try Self.expectRecordError(.recordCountMismatch, at: Int64(original.count), in: Self.resealed(huge))
    }

    @Test("a record whose offset delta is not its index is a mismatch at the record's start")
    func offsetDeltaMismatch() throws {
        let first = Self.rawRecord([0x00, 0x00, 0x00, 0x01, 0x01, 0x00])
        let second = Self.rawRecord([0x00, 0x00, 0x04, 0x01, 0x01, 0x00])  // offset delta 2, expected 1
        let bytes = Self.handBuiltBatch(records: [first, second])
        try Self.expectRecordError(.recordCountMismatch, at: Int64(61 + first.count), in: bytes)
    }

    @Test("record lengths that run past their bounds are truncated records")
    func truncatedRecords() throws {
        // A record length prefix larger than what remains in the batch.
        let record = Self.rawRecord([0x00, 0x00, 0x00, 0x02, 0x6B, 0x02, 0x76, 0x00])
        var tooLong = record
        tooLong[0] = 0x12  // 9 bytes claimed, 8 there
        try Self.expectRecordError(.truncatedRecord, at: 61, in: Self.handBuiltBatch(records: [tooLong]))
        var negative = record
        negative[0] = 0x01  // -1
        try Self.expectRecordError(.truncatedRecord, at: 61, in: Self.handBuiltBatch(records: [negative]))

        // The second record's length runs past the end of the batch.
        let second = Self.rawRecord([0x00, 0x00, 0x02, 0x01, 0x01, 0x00])
        var secondTooLong = second
        secondTooLong[0] = 0x7E  // 63 bytes claimed
        try Self.expectRecordError(
            .truncatedRecord,
            at: Int64(61 + record.count),
            in: Self.handBuiltBatch(records: [record, secondTooLong])
        )

        // A record length shorter than its contents: the header count is cut off.
        var tooShort = record
        tooShort[0] = 0x0E  // 7 bytes claimed, 8 there: the header count lies outside the record
        try Self.expectRecordError(.truncatedRecord, at: 61 + 8, in: Self.handBuiltBatch(records: [tooShort]))

        // A key length larger than the record.
        let longKey = Self.rawRecord([0x00, 0x00, 0x00, 0x14, 0x6B, 0x02, 0x76, 0x00])
        try Self.expectRecordError(.truncatedRecord, at: 61 + 4, in: Self.handBuiltBatch(records: [longKey]))
        // A value length below -1.
        let badValue = Self.rawRecord([0x00, 0x00, 0x00, 0x01, 0x03, 0x00])
        try Self.expectRecordError(.truncatedRecord, at: 61 + 5, in: Self.handBuiltBatch(records: [badValue]))
        // More headers than the record has bytes for, and a negative header count.
        let manyHeaders = Self.rawRecord([0x00, 0x00, 0x00, 0x01, 0x01, 0x0A, 0x00, 0x00])
        try Self.expectRecordError(.truncatedRecord, at: 61 + 6, in: Self.handBuiltBatch(records: [manyHeaders]))
        let negativeHeaders = Self.rawRecord([0x00, 0x00, 0x00, 0x01, 0x01, 0x03])
        try Self.expectRecordError(.truncatedRecord, at: 61 + 6, in: Self.handBuiltBatch(records: [negativeHeaders]))
        // A header with a null key.
        let nullHeaderKey = Self.rawRecord([0x00, 0x00, 0x00, 0x01, 0x01, 0x02, 0x01, 0x01])
        try Self.expectRecordError(.truncatedRecord, at: 61 + 7, in: Self.handBuiltBatch(records: [nullHeaderKey]))
        // A header value that runs past the record.
        let longHeaderValue = Self.rawRecord([0x00, 0x00, 0x00, 0x01, 0x01, 0x02, 0x02, 0x68, 0x04, 0x61])
        try Self.expectRecordError(.truncatedRecord, at: 61 + 9, in: Self.handBuiltBatch(records: [longHeaderValue]))
        // Bytes left inside the record after its headers.
        let trailing = Self.rawRecord([0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00])
        try Self.expectRecordError(.truncatedRecord, at: 61 + 7, in: Self.handBuiltBatch(records: [trailing]))
        // A record cut off after its attributes.
        let cutOff = Self.rawRecord([0x00])
        try Self.expectRecordError(.truncatedRecord, at: 61 + 2, in: Self.handBuiltBatch(records: [cutOff]))
    }

    @Test("editing an encoded record's length prefix, then resealing the CRC, is caught")
    func editedEncoderOutput() throws {
        let records = [Record(key: Self.buffer("key"), value: Self.buffer("value"), timestamp: 1)]
        var bytes = Self.bytes(of: RecordBatch(records: records))
        #expect(bytes[61] < 0x80, "a one-byte length prefix")
        bytes[61] += 2  // one byte more than the batch holds
        Self.expectError(.checksumMismatch, at: 17) { try RecordBatch(validating: ByteBuffer(bytes: bytes)) }
        try Self.expectRecordError(.truncatedRecord, at: 61, in: Self.resealed(bytes))
    }

    // Codec 1 (gzip) is read: GzipBatchTests. An uncompressed section under codec 1 is not gzip.
    @Test(
        "a batch compressed with snappy, lz4, zstd or an undefined codec is unsupported at position 21",
        arguments: 2...7
    )
    func unsupportedCompression(codec: Int) throws {
        var bytes = Self.bytes(of: RecordBatch(records: Self.sampleRecords()))
        Self.put(Int16(codec) | 0x10, at: 21, in: &bytes)
        let batch = try RecordBatch(validating: ByteBuffer(bytes: Self.resealed(bytes)))
        #expect(batch.compressionCodec == codec)
        try Self.expectRecordError(.unsupportedCompression, at: 21, in: Self.resealed(bytes))
    }

    @Test("records that are not gzip under codec 1 are corruptCompressedData at the records section")
    func plainRecordsUnderGzipCodec() throws {
        var bytes = Self.bytes(of: RecordBatch(records: Self.sampleRecords()))
        Self.put(Int16(1) | 0x10, at: 21, in: &bytes)
        try Self.expectRecordError(.corruptCompressedData, at: 61, in: Self.resealed(bytes))
    }

    @Test(
        "attribute bits above the codec do not make a batch compressed",
        arguments: [0x08, 0x10, 0x20, 0x18] as [Int16]
    )
    func otherAttributes(attributes: Int16) throws {
        var bytes = Self.bytes(of: RecordBatch(records: Self.sampleRecords()))
        Self.put(attributes, at: 21, in: &bytes)
        let batch = try RecordBatch(validating: ByteBuffer(bytes: Self.resealed(bytes)))
        #expect(batch.compressionCodec == 0)
        #expect(try batch.records().count == Self.sampleRecords().count)
    }

    @Test("over-long varints inside a record overflow at the varint's first byte")
    func varintOverflowInRecord() throws {
        let eleven = [UInt8](repeating: 0x80, count: 10) + [0x00]
        let six: [UInt8] = [0x80, 0x80, 0x80, 0x80, 0x80, 0x00]
        let outOfRange: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0x7F]
        // timestamp delta: an 11-byte varlong
        let timestamp = Self.rawRecord([0x00] + eleven + [0x00, 0x01, 0x01, 0x00])
        try Self.expectRecordError(.varintOverflow, at: 61 + 2, in: Self.handBuiltBatch(records: [timestamp]))
        // offset delta: a 6-byte varint
        let offset = Self.rawRecord([0x00, 0x00] + six + [0x01, 0x01, 0x00])
        try Self.expectRecordError(.varintOverflow, at: 61 + 3, in: Self.handBuiltBatch(records: [offset]))
        // key length: a 5-byte varint beyond Int32
        let key = Self.rawRecord([0x00, 0x00, 0x00] + outOfRange + [0x01, 0x00])
        try Self.expectRecordError(.varintOverflow, at: 61 + 4, in: Self.handBuiltBatch(records: [key]))
        // header count: a 6-byte varint
        let headers = Self.rawRecord([0x00, 0x00, 0x00, 0x01, 0x01] + six)
        try Self.expectRecordError(.varintOverflow, at: 61 + 6, in: Self.handBuiltBatch(records: [headers]))
        // the record length itself: a 6-byte varint
        let length = six + [0x00, 0x00, 0x00, 0x01, 0x01, 0x00]
        try Self.expectRecordError(.varintOverflow, at: 61, in: Self.handBuiltBatch(records: [length]))
    }

    // MARK: Fuzzing

    @Test("random mutations of a valid batch decode or throw a RecordBatchError", arguments: [201, 202, 203])
    func mutationsNeverCrash(seed: UInt64) {
        var random = CodecTestRandom(seed: seed)
        let original = Self.bytes(
            of: RecordBatch(records: Self.sampleRecords(), producer: Self.randomProducer(using: &random))
        )
        var outcomes: [String: Int] = [:]
        for iteration in 0..<3_000 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                Self.mutate(&bytes, using: &random)
            }
            if Int.random(in: 0..<4, using: &random) != 0 && bytes.count >= 21 {
                bytes = Self.resealed(bytes)  // mostly reseal, so that the record checks are reached
            }
            let outcome = Self.decodeAnyhow(bytes, "seed \(seed), iteration \(iteration)")
            outcomes[outcome, default: 0] += 1
        }
        // The mutations must reach the record checks, not stop at the CRC.
        #expect(outcomes["decoded", default: 0] > 0, "\(outcomes)")
        #expect(outcomes["truncatedRecord", default: 0] > 0, "\(outcomes)")
        #expect(outcomes["checksumMismatch", default: 0] > 0, "\(outcomes)")
    }
}

extension RecordBatchTests {
    @Test("a header maxTimestamp that is not the largest record timestamp is invalidBatch at 35")
    func lyingMaxTimestamp() throws {
        let body: [UInt8] = [0x00, 0x04, 0x00, 0x02, 0x6B, 0x01, 0x04, 0x02, 0x61, 0x01, 0x02, 0x61, 0x02, 0x7A]
        for wrong: Int64 in [40, 41, 43, .max, .min] {
            let bytes = Self.handBuiltBatch(records: [Self.rawRecord(body)], baseTimestamp: 40, maxTimestamp: wrong)
            Self.expectError(.invalidBatch, at: 35, "maxTimestamp \(wrong)") {
                try RecordBatch(validating: ByteBuffer(bytes: bytes)).validateRecords()
            }
        }
        // Log-append time (attribute bit 3): the broker owns maxTimestamp, so it is not checked.
        var appendTime = Self.handBuiltBatch(records: [Self.rawRecord(body)], baseTimestamp: 40, maxTimestamp: 99)
        appendTime[22] |= 0x08
        Self.put(CRC32C.checksum(appendTime[21...]), at: 17, in: &appendTime)
        try RecordBatch(validating: ByteBuffer(bytes: appendTime)).validateRecords()
    }
}

extension RecordBatchTests {
    @Test("next(from:) reads back-to-back batches, stops before a cut-off tail and rejects bad ones")
    func nextFromBuffer() throws {
        let first = RecordBatch(records: Self.sampleRecords().prefix(2))
        let second = RecordBatch(records: Self.sampleRecords().prefix(3))
        var buffer = first.buffer
        buffer.writeImmutableBuffer(second.buffer)
        buffer.writeImmutableBuffer(first.buffer.getSlice(at: first.buffer.readerIndex, length: 20)!)
        #expect(try RecordBatch.next(from: &buffer) == first)
        #expect(try RecordBatch.next(from: &buffer) == second)
        #expect(try RecordBatch.next(from: &buffer) == nil)
        #expect(buffer.readableBytes == 20, "a cut-off tail stays unread")

        var corrupt = Self.bytes(of: first)
        corrupt[corrupt.count - 1] ^= 0xFF
        var corruptBuffer = ByteBuffer(bytes: corrupt)
        Self.expectError(.checksumMismatch, at: 17) { try RecordBatch.next(from: &corruptBuffer) }
        var large = first.buffer
        #expect(throws: RecordBatchError.self) { try RecordBatch.next(from: &large, maxBatchBytes: 61) }
    }
}
