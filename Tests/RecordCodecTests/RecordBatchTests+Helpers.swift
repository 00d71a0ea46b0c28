import NIOCore
import Testing

@testable import RecordCodec

// MARK: - Helpers

extension RecordBatchTests {
    static func buffer(_ string: String) -> ByteBuffer { ByteBuffer(string: string) }

    static func bytes(of batch: RecordBatch) -> [UInt8] {
        batch.buffer.getBytes(at: batch.buffer.readerIndex, length: batch.buffer.readableBytes)!
    }

    /// Validates the header and the records, then decodes the records.
    static func decode(_ bytes: [UInt8]) throws -> [Record] {
        let batch = try RecordBatch(validating: ByteBuffer(bytes: bytes))
        try batch.validateRecords()
        return try batch.records()
    }

    /// `records` with the offsets a batch at `baseOffset` gives them.
    static func numbered(_ records: [Record], from baseOffset: Int64) -> [Record] {
        records.enumerated().map { index, record in
            var copy = record
            copy.offset = baseOffset + Int64(index)
            return copy
        }
    }

    /// Reads a big-endian integer.
    static func integer<T: FixedWidthInteger>(_: T.Type, at offset: Int, in bytes: [UInt8]) -> T {
        bytes[offset..<(offset + MemoryLayout<T>.size)].reduce(T.zero) { ($0 << 8) | T(truncatingIfNeeded: $1) }
    }

    /// Writes a big-endian integer over existing bytes.
    static func put<T: FixedWidthInteger>(_ value: T, at offset: Int, in bytes: inout [UInt8]) {
        for index in 0..<MemoryLayout<T>.size {
            let shift = (MemoryLayout<T>.size - 1 - index) * 8
            bytes[offset + index] = UInt8(truncatingIfNeeded: value >> shift)
        }
    }

    /// `bytes` with the CRC recomputed over 21..<end and stored big-endian at 17.
    static func resealed(_ bytes: [UInt8]) -> [UInt8] {
        var copy = bytes
        put(CRC32C.checksum(bytes[21...]), at: 17, in: &copy)
        return copy
    }

    /// A zig-zag varint, written here rather than by the code under test.
    static func varint(_ value: Int64) -> [UInt8] {
        var zigzag = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        var bytes: [UInt8] = []
        while zigzag >= 0x80 {
            bytes.append(UInt8(zigzag & 0x7F) | 0x80)
            zigzag >>= 7
        }
        bytes.append(UInt8(zigzag))
        return bytes
    }

    /// A record's bytes from its body (everything after the length prefix).
    static func rawRecord(_ body: [UInt8]) -> [UInt8] {
        varint(Int64(body.count)) + body
    }

    /// A batch built field by field around raw record bytes, with a correct length and CRC.
    static func handBuiltBatch(
        records: [[UInt8]],
        recordCount: Int32? = nil,
        lastOffsetDelta: Int32? = nil,
        baseTimestamp: Int64 = 0,
        maxTimestamp: Int64? = nil
    ) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 61)
        put(Int32(-1), at: 12, in: &bytes)
        bytes[16] = 2
        put(lastOffsetDelta ?? Int32(records.count - 1), at: 23, in: &bytes)
        put(baseTimestamp, at: 27, in: &bytes)
        put(maxTimestamp ?? baseTimestamp, at: 35, in: &bytes)
        put(Int64(-1), at: 43, in: &bytes)
        put(Int16(-1), at: 51, in: &bytes)
        put(Int32(-1), at: 53, in: &bytes)
        put(recordCount ?? Int32(records.count), at: 57, in: &bytes)
        bytes += records.joined()
        put(Int32(bytes.count - 12), at: 8, in: &bytes)
        return resealed(bytes)
    }

    /// An independent encoder that follows the layout in `RecordBatch`'s documentation.
    static func referenceEncoding(
        _ records: some Collection<Record>,
        baseOffset: Int64,
        producer: ProducerIdentity
    ) -> [UInt8] {
        func nullable(_ buffer: ByteBuffer?) -> [UInt8] {
            guard let buffer else { return varint(-1) }
            return varint(Int64(buffer.readableBytes)) + Array(buffer.readableBytesView)
        }
        var body: [UInt8] = []
        let baseTimestamp = records.first!.timestamp
        for (index, record) in records.enumerated() {
            var recordBody: [UInt8] = [0]
            recordBody += varint(record.timestamp &- baseTimestamp)
            recordBody += varint(Int64(index))
            recordBody += nullable(record.key) + nullable(record.value)
            recordBody += varint(Int64(record.headers.count))
            for header in record.headers {
                recordBody += varint(Int64(header.key.utf8.count)) + Array(header.key.utf8) + nullable(header.value)
            }
            body += rawRecord(recordBody)
        }
        var bytes = handBuiltBatch(records: [body], recordCount: Int32(records.count), baseTimestamp: baseTimestamp)
        put(Int32(records.count - 1), at: 23, in: &bytes)
        put(baseOffset, at: 0, in: &bytes)
        put(records.map(\.timestamp).max()!, at: 35, in: &bytes)
        put(producer.producerId, at: 43, in: &bytes)
        put(producer.producerEpoch, at: 51, in: &bytes)
        put(producer.baseSequence, at: 53, in: &bytes)
        return resealed(bytes)
    }

    /// Records covering every shape the format allows.
    static func sampleRecords() -> [Record] {
        let base: Int64 = 1_700_000_000_000
        return [
            Record(key: buffer("k0"), value: buffer("first"), timestamp: base),
            Record(key: buffer("k1"), value: buffer("later"), timestamp: base + 250),
            Record(key: nil, value: buffer("no key"), timestamp: base + 100),
            Record(key: buffer("tombstone"), value: nil, timestamp: base - 3_000),
            Record(key: ByteBuffer(), value: ByteBuffer(), timestamp: base),
            Record(
                key: buffer("with headers"),
                value: buffer("v"),
                headers: [
                    RecordHeader(key: "trace", value: buffer("abc")),
                    RecordHeader(key: "trace", value: buffer("def")),
                    RecordHeader(key: "nothing", value: nil),
                    RecordHeader(key: "", value: ByteBuffer()),
                    RecordHeader(key: "ключ", value: ByteBuffer(bytes: [0, 0xFF, 0x80])),
                ],
                timestamp: base + 1
            ),
            Record(
                key: ByteBuffer(bytes: (0..<300).map { UInt8($0 % 251) }),
                value: ByteBuffer(bytes: (0..<20_000).map { UInt8($0 % 256) }),
                timestamp: base + 86_400_000
            ),
        ]
    }

    static func randomProducer(using random: inout CodecTestRandom) -> ProducerIdentity {
        ProducerIdentity(
            producerId: Int64.random(in: 0...Int64.max, using: &random),
            producerEpoch: Int16.random(in: 0...Int16.max, using: &random),
            baseSequence: Int32.random(in: 0...Int32.max, using: &random)
        )
    }

    static func randomBuffer(using random: inout CodecTestRandom) -> ByteBuffer? {
        let sizes = [0..<1, 0..<8, 0..<200, 0..<20_000]
        switch Int.random(in: 0..<10, using: &random) {
        case 0: return nil
        case 1: return ByteBuffer()
        default:
            let size = Int.random(in: sizes.randomElement(using: &random)!, using: &random)
            return ByteBuffer(bytes: random.bytes(size))
        }
    }

    static func randomRecords(using random: inout CodecTestRandom) -> [Record] {
        let count =
            Bool.random(using: &random) ? Int.random(in: 1...3, using: &random) : Int.random(in: 1...60, using: &random)
        let base = Int64.random(in: -1...(1 << 42), using: &random)
        let headerKeys = ["", "a", "trace-id", "ключ", "🙂 emoji", String(repeating: "long", count: 40)]
        return (0..<count).map { _ in
            let headers = (0..<Int.random(in: 0...4, using: &random)).map { _ in
                RecordHeader(
                    key: headerKeys.randomElement(using: &random)!,
                    value: randomBuffer(using: &random)
                )
            }
            let spread: Int64 = Bool.random(using: &random) ? 1_000 : 1 << 40
            return Record(
                key: randomBuffer(using: &random),
                value: randomBuffer(using: &random),
                headers: headers,
                timestamp: base + Int64.random(in: -spread...spread, using: &random)
            )
        }
    }

    /// Applies one random change: a byte set, a bit flipped, bytes cut or added, a field set to an extreme.
    static func mutate(_ bytes: inout [UInt8], using random: inout CodecTestRandom) {
        guard !bytes.isEmpty else {
            bytes.append(UInt8.random(in: 0...255, using: &random))
            return
        }
        let index = Int.random(in: 0..<bytes.count, using: &random)
        switch Int.random(in: 0..<8, using: &random) {
        case 0: bytes[index] = UInt8.random(in: 0...255, using: &random)
        case 1: bytes[index] ^= 1 << UInt8.random(in: 0..<8, using: &random)
        case 2: bytes.removeLast(Int.random(in: 1...min(bytes.count, 8), using: &random))
        case 3: bytes.append(contentsOf: (0..<Int.random(in: 1...8, using: &random)).map { _ in 0x80 })
        case 4: bytes.insert(UInt8.random(in: 0...255, using: &random), at: index)
        case 5: bytes.remove(at: index)
        case 6:
            // A byte among the records set to a value that matters to varints and lengths.
            guard bytes.count > 61 else { return }
            let recordIndex = Int.random(in: 61..<bytes.count, using: &random)
            bytes[recordIndex] = [0x00, 0x01, 0x7F, 0x80, 0xFF].randomElement(using: &random)!
        default:
            // A header integer set to zero, -1, its maximum or its minimum.
            let fields: [(offset: Int, size: Int)] = [(0, 8), (8, 4), (23, 4), (27, 8), (35, 8), (57, 4)]
            let field = fields.randomElement(using: &random)!
            guard bytes.count >= field.offset + field.size else { return }
            let patterns: [(first: UInt8, rest: UInt8)] = [(0x00, 0x00), (0xFF, 0xFF), (0x7F, 0xFF), (0x80, 0x00)]
            let pattern = patterns.randomElement(using: &random)!
            bytes[field.offset] = pattern.first
            for position in (field.offset + 1)..<(field.offset + field.size) { bytes[position] = pattern.rest }
        }
    }

    /// Decodes `bytes` every way the API allows and returns "decoded" or the error code; records an
    /// issue for anything but a `RecordBatchError` at a position inside the bytes.
    static func decodeAnyhow(_ bytes: [UInt8], _ context: String) -> String {
        let batch: RecordBatch
        do {
            batch = try RecordBatch(validating: ByteBuffer(bytes: bytes))
        } catch {
            return checked(error, size: bytes.count, context)
        }
        // Every header property must be readable on a batch that passed the header checks.
        _ = (batch.baseOffset, batch.batchLength, batch.partitionLeaderEpoch, batch.crc, batch.attributes)
        _ = (batch.lastOffsetDelta, batch.lastOffset, batch.baseTimestamp, batch.maxTimestamp)
        _ = (batch.producerId, batch.producerEpoch, batch.baseSequence, batch.recordCount, batch.compressionCodec)
        let validation = Result { try batch.validateRecords() }
        let decoding = Result { try batch.records() }
        switch (validation, decoding) {
        case (.success, .success(let records)):
            #expect(records.count == Int(batch.recordCount), "\(context)")
            #expect(records.enumerated().allSatisfy { $1.offset == batch.baseOffset &+ Int64($0) }, "\(context)")
            return "decoded"
        case (.failure(let first), .failure(let second)):
            let code = checked(first, size: bytes.count, context)
            let other = second as? RecordBatchError
            #expect(other?.code.description == code, "validateRecords and records disagree: \(context)")
            #expect(other?.position == (first as? RecordBatchError)?.position, "\(context)")
            return code
        default:
            Issue.record("validateRecords and records disagree (\(validation), \(decoding)): \(context)")
            return "disagreement"
        }
    }

    private static func checked(_ error: any Error, size: Int, _ context: String) -> String {
        guard let error = error as? RecordBatchError else {
            Issue.record("not a RecordBatchError: \(error): \(context)")
            return "other"
        }
        let position = error.position ?? -1
        #expect((0...Int64(size)).contains(position), "\(error): \(context)")
        return error.code.description
    }

    /// Expects `body` to throw a ``RecordBatchError`` with `code` at `position`.
    @discardableResult
    static func expectError<R>(
        _ code: RecordBatchError.Code,
        at position: Int64,
        _ comment: Comment? = nil,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () throws -> R
    ) -> RecordBatchError? {
        let error = #expect(throws: RecordBatchError.self, comment, sourceLocation: sourceLocation) { try body() }
        #expect(error?.code == code, comment, sourceLocation: sourceLocation)
        #expect(error?.position == position, comment, sourceLocation: sourceLocation)
        return error
    }

    /// Expects `bytes` to pass the header checks and fail the record checks (both `validateRecords()`
    /// and `records()`) with `code` at `position`.
    static func expectRecordError(
        _ code: RecordBatchError.Code,
        at position: Int64,
        in bytes: [UInt8],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let batch = try RecordBatch(validating: ByteBuffer(bytes: bytes))
        expectError(code, at: position, "validateRecords()", sourceLocation: sourceLocation) {
            try batch.validateRecords()
        }
        expectError(code, at: position, "records()", sourceLocation: sourceLocation) { try batch.records() }
    }
}

/// The codec tests' generator is the storage tests' SplitMix64 (PartitionLogTests.swift).
typealias CodecTestRandom = SeededRandom
