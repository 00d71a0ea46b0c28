import NIOCore
import Testing

@testable import RecordCodec

/// gzip batches (compression codec 1): decoding, the hostile cases, and the decompressed-size limit.
@Suite("gzip record batches")
struct GzipBatchTests {
    // MARK: Helpers

    /// A batch with `plain`'s header (codec set to `codec`) around `section` as its records
    /// section, with `batchLength` and the CRC made right for those bytes.
    static func batch(like plain: RecordBatch, codec: Int16, section: [UInt8], recordCount: Int32? = nil) -> RecordBatch
    {
        var bytes = Array(RecordBatchTests.bytes(of: plain)[0..<RecordBatch.headerSize]) + section
        RecordBatchTests.put(Int32(bytes.count - RecordBatch.logOverhead), at: 8, in: &bytes)
        RecordBatchTests.put((plain.attributes & ~0x7) | codec, at: 21, in: &bytes)
        if let recordCount {
            RecordBatchTests.put(recordCount - 1, at: 23, in: &bytes)
            RecordBatchTests.put(recordCount, at: 57, in: &bytes)
        }
        return try! RecordBatch(validating: ByteBuffer(bytes: RecordBatchTests.resealed(bytes)))
    }

    /// The uncompressed records section of `plain`.
    static func section(of plain: RecordBatch) -> [UInt8] {
        Array(RecordBatchTests.bytes(of: plain)[RecordBatch.headerSize...])
    }

    static func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let compressed = try Gzip.compress(ByteBuffer(bytes: bytes))
        return Array(compressed.readableBytesView)
    }

    static func expectError(
        _ code: RecordBatchError.Code,
        containing text: String,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () throws -> Void
    ) {
        do {
            try body()
            Issue.record("expected \(code), nothing was thrown", sourceLocation: sourceLocation)
        } catch let error as RecordBatchError {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
            #expect(text.isEmpty || error.message.contains(text), "\(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("expected RecordBatchError \(code), got \(error)", sourceLocation: sourceLocation)
        }
    }

    // MARK: Decoding

    @Test("a gzip batch decodes to the records it was made from, offsets baseOffset + delta")
    func roundTrip() throws {
        let records = RecordBatchTests.sampleRecords()
        var batch = try RecordBatch(records: records, compression: .gzip, baseOffset: 0)
        #expect(batch.compression == .gzip)
        #expect(batch.compressionCodec == 1)
        try batch.checkCompression()
        try RecordBatch(records: records).checkCompression()
        batch.baseOffset = 5_000
        let validated = try RecordBatch(validating: batch.buffer)
        try validated.validateRecords()
        #expect(try validated.records() == RecordBatchTests.numbered(records, from: 5_000))
        #expect(validated.recordCount == Int32(records.count))
        #expect(validated.maxTimestamp == records.map(\.timestamp).max())
    }

    @Test("gzip bytes are smaller for repetitive records, and the header is the uncompressed one's")
    func headerKept() throws {
        let records = (0..<100).map {
            Record(key: nil, value: ByteBuffer(string: "same value \($0 % 3)"), timestamp: 7)
        }
        let plain = RecordBatch(records: records)
        let gzipped = try RecordBatch(records: records, compression: .gzip)
        #expect(gzipped.sizeInBytes < plain.sizeInBytes / 2)
        let plainBytes = RecordBatchTests.bytes(of: plain)
        let gzipBytes = RecordBatchTests.bytes(of: gzipped)
        #expect(gzipBytes[23..<61] == plainBytes[23..<61])
        #expect(try RecordBatch(records: records, compression: .none) == plain)
    }

    @Test("random records survive gzip and decode equal (property)", arguments: 0..<4)
    func randomRecordsRoundTrip(seed: UInt64) throws {
        var random = CodecTestRandom(seed: 900 + seed)
        for _ in 0..<25 {
            let records = RecordBatchTests.randomRecords(using: &random)
            let baseOffset = Int64.random(in: 0...(1 << 50), using: &random)
            let producer = RecordBatchTests.randomProducer(using: &random)
            let batch = try RecordBatch(
                records: records,
                compression: .gzip,
                baseOffset: baseOffset,
                producer: producer
            )
            let read = try RecordBatch(validating: batch.buffer)
            #expect(try read.records() == RecordBatchTests.numbered(records, from: baseOffset))
            #expect(read.producerId == producer.producerId)
            #expect(read.baseSequence == producer.baseSequence)
        }
    }

    // MARK: Hostile batches

    @Test("a cut-short gzip stream is corruptCompressedData, whatever the cut")
    func truncatedStream() throws {
        let plain = RecordBatch(records: RecordBatchTests.sampleRecords())
        let compressed = try Self.gzip(Self.section(of: plain))
        for cut in [0, 1, 10, compressed.count / 2, compressed.count - 8, compressed.count - 1] {
            let batch = Self.batch(like: plain, codec: 1, section: Array(compressed[..<cut]))
            Self.expectError(.corruptCompressedData, containing: "") { try batch.validateRecords() }
            Self.expectError(.corruptCompressedData, containing: "") { _ = try batch.records() }
        }
        let cut = Self.batch(like: plain, codec: 1, section: Array(compressed.dropLast(1)))
        Self.expectError(.corruptCompressedData, containing: "ends early") { try cut.validateRecords() }
    }

    @Test("bytes after the gzip stream are refused")
    func trailingGarbage() throws {
        let plain = RecordBatch(records: RecordBatchTests.sampleRecords())
        let compressed = try Self.gzip(Self.section(of: plain))
        for extra in [[0x00], [0x1F, 0x8B], Array(compressed)] as [[UInt8]] {
            let batch = Self.batch(like: plain, codec: 1, section: compressed + extra)
            Self.expectError(.corruptCompressedData, containing: "\(extra.count) bytes follow the end") {
                try batch.validateRecords()
            }
        }
    }

    @Test("damaged gzip data is refused: a flipped byte in the deflate data or the gzip trailer")
    func corruptStream() throws {
        let plain = RecordBatch(records: RecordBatchTests.sampleRecords())
        let compressed = try Self.gzip(Self.section(of: plain))
        for index in [0, 3, compressed.count - 6, compressed.count - 2] {
            var damaged = compressed
            damaged[index] ^= 0xFF
            let batch = Self.batch(like: plain, codec: 1, section: damaged)
            Self.expectError(.corruptCompressedData, containing: "") { try batch.validateRecords() }
        }
        let notGzip = Self.batch(like: plain, codec: 1, section: Self.section(of: plain))
        Self.expectError(.corruptCompressedData, containing: "corrupt") { try notGzip.validateRecords() }
    }

    @Test("a wrong CRC over the compressed bytes is checksumMismatch before anything inflates")
    func wrongChecksum() throws {
        let batch = try RecordBatch(records: RecordBatchTests.sampleRecords(), compression: .gzip)
        var bytes = RecordBatchTests.bytes(of: batch)
        bytes[bytes.count - 10] ^= 0x01
        #expect {
            _ = try RecordBatch(validating: ByteBuffer(bytes: bytes))
        } throws: { error in
            (error as? RecordBatchError)?.code == .checksumMismatch
        }
    }

    @Test("the decompressed records must be exactly the count the header announces")
    func recordCountMismatch() throws {
        let records = RecordBatchTests.sampleRecords()
        let plain = RecordBatch(records: records)
        let compressed = try Self.gzip(Self.section(of: plain))
        let more = Self.batch(like: plain, codec: 1, section: compressed, recordCount: Int32(records.count + 1))
        Self.expectError(.recordCountMismatch, containing: "decompressed records") { try more.validateRecords() }
        let fewer = Self.batch(like: plain, codec: 1, section: compressed, recordCount: Int32(records.count - 1))
        Self.expectError(.recordCountMismatch, containing: "follow the last one") { try fewer.validateRecords() }
        #expect(throws: RecordBatchError.self) { _ = try fewer.records() }
    }

    @Test("a damaged record inside valid gzip is reported with its decompressed position")
    func damagedRecordInside() throws {
        let plain = RecordBatch(records: RecordBatchTests.sampleRecords())
        var section = Self.section(of: plain)
        section[0] = 0x7F  // the first record's length: far past the end
        let batch = Self.batch(like: plain, codec: 1, section: try Self.gzip(section))
        do {
            try batch.validateRecords()
            Issue.record("a damaged record was accepted")
        } catch let error as RecordBatchError {
            #expect(error.code == .truncatedRecord)
            #expect(error.position == Int64(RecordBatch.headerSize))
            #expect(error.message.contains("at byte 0 of the decompressed records"), "\(error)")
        }
    }

    // MARK: The decompressed-size limit

    @Test("maxDecompressedBytes: exactly the limit decodes, one byte less refuses (decompressedTooLarge)")
    func limitEdge() throws {
        let records = (0..<50).map { Record(value: ByteBuffer(repeating: UInt8($0), count: 1_000), timestamp: 1) }
        let batch = try RecordBatch(records: records, compression: .gzip)
        let size = Self.section(of: RecordBatch(records: records)).count
        #expect(try batch.records(maxDecompressedBytes: size).count == 50)
        try batch.validateRecords(maxDecompressedBytes: size)
        Self.expectError(.decompressedTooLarge, containing: "more than \(size - 1) bytes") {
            _ = try batch.records(maxDecompressedBytes: size - 1)
        }
        Self.expectError(.decompressedTooLarge, containing: "maxDecompressedBatchBytes") {
            try batch.validateRecords(maxDecompressedBytes: size - 1)
        }
        Self.expectError(.decompressedTooLarge, containing: "") {
            _ = try batch.validatingRecords(timestampsWithin: 0...10, maxDecompressedBytes: 0)
        }
    }

    @Test("a zip bomb (64 MiB of zeros in about 64 KiB) is refused at the default 32 MiB limit")
    func zipBomb() throws {
        let plain = RecordBatch(records: [Record(value: ByteBuffer(), timestamp: 1)])
        let compressed = try Gzip.compress(ByteBuffer(repeating: 0, count: 64 << 20))
        #expect(compressed.readableBytes < 1 << 20)
        let bomb = Self.batch(like: plain, codec: 1, section: Array(compressed.readableBytesView))
        Self.expectError(.decompressedTooLarge, containing: "more than \(32 << 20) bytes") {
            try bomb.validateRecords()
        }
        Self.expectError(.decompressedTooLarge, containing: "more than \(1 << 20) bytes") {
            _ = try bomb.records(maxDecompressedBytes: 1 << 20)
        }
    }

    @Test("the decompressor never holds more than the limit plus one window")
    func boundedOutput() throws {
        let compressed = try Gzip.compress(ByteBuffer(repeating: 0, count: 4 << 20))
        let limit = 100_000
        var seen = 0
        do {
            let output = try Gzip.decompress(compressed, limit: limit)
            seen = output.readableBytes
            Issue.record("decompressed \(seen) bytes past a \(limit)-byte limit")
        } catch let error as RecordBatchError {
            #expect(error.code == .decompressedTooLarge)
        }
        let exact = try Gzip.decompress(try Gzip.compress(ByteBuffer(repeating: 1, count: limit)), limit: limit)
        #expect(exact.readableBytes == limit)
        #expect(exact.capacity <= limit + Gzip.windowBytes)
    }

    // MARK: Codecs Sluice does not read

    @Test(
        "snappy, lz4, zstd and undefined codecs are unsupportedCompression naming the codec",
        arguments: [(2, "snappy"), (3, "lz4"), (4, "zstd"), (5, "codec 5"), (7, "codec 7")]
    )
    func refusedCodecs(codec: Int, name: String) throws {
        let plain = RecordBatch(records: RecordBatchTests.sampleRecords())
        let batch = Self.batch(like: plain, codec: Int16(codec), section: [1, 2, 3, 4])
        for body in [{ try batch.validateRecords() }, { _ = try batch.records() }, { try batch.checkCompression() }] {
            do {
                try body()
                Issue.record("codec \(codec) was accepted")
            } catch let error as RecordBatchError {
                #expect(error.code == .unsupportedCompression)
                #expect(error.message.contains(name), "\(error)")
                #expect(error.message.contains("uncompressed and gzip batches only"), "\(error)")
                #expect(error.position == Int64(RecordBatch.Field.attributes))
            }
        }
        if let compression = RecordCompression(rawValue: codec) {
            #expect(!compression.isSupported)
            #expect(throws: RecordBatchError.self) {
                _ = try RecordBatch(records: RecordBatchTests.sampleRecords(), compression: compression)
            }
        }
    }
}
