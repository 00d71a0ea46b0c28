import NIOCore
import Testing

@testable import RecordCodec

/// Zig-zag varints and varlongs: exact bytes, round trips, sizes, overflow and truncation.
@Suite("Varint")
struct VarintTests {
    /// The bytes `ByteBuffer.writeVarint` produces for `value`.
    static func encoded(_ value: Int64) -> [UInt8] {
        var buffer = ByteBuffer()
        buffer.writeVarint(value)
        return buffer.readBytes(length: buffer.readableBytes)!
    }

    /// Runs `read` on a cursor over `bytes` and returns what it read and where the cursor stopped.
    static func read<T>(
        _ bytes: [UInt8],
        limit: Int? = nil,
        _ read: (inout ByteCursor) throws -> T
    ) throws -> (value: T, position: Int) {
        try bytes.withUnsafeBytes { raw in
            var cursor = ByteCursor(raw, limit: limit)
            let value = try read(&cursor)
            return (value, cursor.position)
        }
    }

    static let edgeValues: [Int64] = [
        0, -1, 1, 63, -64, 64, -65, 127, 128, 8_191, 8_192, -8_193,
        Int64(Int32.max), Int64(Int32.min), Int64(Int32.max) + 1, Int64(Int32.min) - 1,
        Int64.max, Int64.min, Int64.max - 1, Int64.min + 1,
    ]

    @Test("edge values round-trip, and size(of:) counts the bytes written", arguments: edgeValues)
    func roundTrip(_ value: Int64) throws {
        let bytes = Self.encoded(value)
        #expect(Varint.size(of: value) == bytes.count)
        let asLong = try Self.read(bytes) { try $0.readVarlong("value") }
        #expect(asLong.value == value)
        #expect(asLong.position == bytes.count)
        if let narrow = Int32(exactly: value) {
            #expect(bytes.count <= 5)
            let asInt = try Self.read(bytes) { try $0.readVarint("value") }
            #expect(asInt.value == narrow)
            #expect(asInt.position == bytes.count)
        } else {
            let error = #expect(throws: RecordBatchError.self) { try Self.read(bytes) { try $0.readVarint("value") } }
            #expect(error?.code == .varintOverflow)
        }
    }

    @Test("values encode to the bytes Kafka writes")
    func knownEncodings() {
        #expect(Self.encoded(0) == [0x00])
        #expect(Self.encoded(-1) == [0x01])
        #expect(Self.encoded(1) == [0x02])
        #expect(Self.encoded(63) == [0x7E])
        #expect(Self.encoded(-64) == [0x7F])
        #expect(Self.encoded(64) == [0x80, 0x01])
        #expect(Self.encoded(300) == [0xD8, 0x04])
        #expect(Self.encoded(Int64(Int32.max)) == [0xFE, 0xFF, 0xFF, 0xFF, 0x0F])
        #expect(Self.encoded(Int64(Int32.min)) == [0xFF, 0xFF, 0xFF, 0xFF, 0x0F])
        #expect(Self.encoded(Int64.max) == [0xFE] + [UInt8](repeating: 0xFF, count: 8) + [0x01])
        #expect(Self.encoded(Int64.min) == [UInt8](repeating: 0xFF, count: 9) + [0x01])
    }

    @Test("random values of every width round-trip", arguments: [21, 22])
    func randomRoundTrips(seed: UInt64) throws {
        var random = CodecTestRandom(seed: seed)
        for _ in 0..<5_000 {
            let width = Int.random(in: 0...64, using: &random)
            let magnitude =
                width == 64
                ? UInt64.random(in: 0...UInt64.max, using: &random)
                : UInt64.random(in: 0..<(1 << width), using: &random)
            let value = Int64(bitPattern: magnitude)
            let bytes = Self.encoded(value)
            #expect(Varint.size(of: value) == bytes.count, "seed \(seed): \(value)")
            #expect(bytes.dropLast().allSatisfy { $0 & 0x80 != 0 } && bytes.last! & 0x80 == 0)
            let decoded = try Self.read(bytes) { try $0.readVarlong("value") }
            #expect(decoded.value == value, "seed \(seed)")
        }
    }

    @Test("sizes step at every multiple of 7 bits")
    func sizeBoundaries() {
        for bytes in 1...9 {
            // The largest zig-zag value that fits in `bytes` bytes is 2^(7 * bytes) - 1.
            let largestZigZag = (UInt64(1) << (7 * bytes)) - 1
            let positive = Int64(largestZigZag >> 1)  // zig-zag 2n
            let negative = -positive - 1  // zig-zag 2n + 1
            #expect(Varint.size(of: positive) == bytes)
            #expect(Varint.size(of: negative) == bytes)
            #expect(Varint.size(of: positive + 1) == bytes + 1)
            #expect(Varint.size(of: negative - 1) == bytes + 1)
        }
        #expect(Varint.size(of: .max) == 10)
        #expect(Varint.size(of: .min) == 10)
    }

    @Test("a 6-byte varint overflows")
    func sixByteVarintOverflows() throws {
        let bytes: [UInt8] = [0x80, 0x80, 0x80, 0x80, 0x80, 0x00]
        let error = #expect(throws: RecordBatchError.self) { try Self.read(bytes) { try $0.readVarint("varint") } }
        #expect(error?.code == .varintOverflow)
        #expect(error?.position == 0)
        // The same bytes are a legal varlong (zero, padded).
        let padded = try Self.read(bytes) { try $0.readVarlong("varlong") }
        #expect(padded.value == 0)
        #expect(padded.position == 6)
    }

    @Test("a 5-byte varint above Int32's range overflows")
    func fiveByteVarintOutOfRange() {
        for bytes: [UInt8] in [[0x80, 0x80, 0x80, 0x80, 0x10], [0xFF, 0xFF, 0xFF, 0xFF, 0x7F]] {
            let error = #expect(throws: RecordBatchError.self) {
                try Self.read([0x00, 0x00] + bytes) { cursor in
                    cursor.position = 2
                    return try cursor.readVarint("varint")
                }
            }
            #expect(error?.code == .varintOverflow)
            #expect(error?.position == 2, "the position of the varint's first byte")
        }
    }

    @Test("an 11-byte varlong overflows")
    func elevenByteVarlongOverflows() {
        let bytes = [UInt8](repeating: 0x80, count: 10) + [0x00]
        let error = #expect(throws: RecordBatchError.self) {
            try Self.read([0x07] + bytes) { cursor in
                cursor.position = 1
                return try cursor.readVarlong("varlong")
            }
        }
        #expect(error?.code == .varintOverflow)
        #expect(error?.position == 1)
    }

    @Test("a varint cut short is a truncated record")
    func truncation() {
        for bytes: [UInt8] in [[], [0x80], [0xFF, 0xFF], [0x80, 0x80, 0x80, 0x80]] {
            let error = #expect(throws: RecordBatchError.self) { try Self.read(bytes) { try $0.readVarint("varint") } }
            #expect(error?.code == .truncatedRecord)
            #expect(error?.position == Int64(bytes.count), "the position where the bytes ran out")
        }
        let long = [UInt8](repeating: 0xFF, count: 9)
        let error = #expect(throws: RecordBatchError.self) { try Self.read(long) { try $0.readVarlong("varlong") } }
        #expect(error?.code == .truncatedRecord)
        #expect(error?.position == 9)
    }

    @Test("a cursor's limit truncates a varint even when more bytes follow")
    func limitTruncates() throws {
        let bytes = Self.encoded(300) + [0x00, 0x00]
        let error = #expect(throws: RecordBatchError.self) {
            try Self.read(bytes, limit: 1) { try $0.readVarint("varint") }
        }
        #expect(error?.code == .truncatedRecord)
        #expect(error?.position == 1)
        let whole = try Self.read(bytes, limit: 2) { try $0.readVarint("varint") }
        #expect(whole.value == 300)
        #expect(whole.position == 2)
    }
}
