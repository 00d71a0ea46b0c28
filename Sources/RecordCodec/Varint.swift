import NIOCore

/// Zig-zag varints as Kafka writes them (protobuf style): 7 bits per byte, low bits first, the high
/// bit set on every byte but the last. A `varint` holds an `Int32` in at most 5 bytes, a `varlong`
/// an `Int64` in at most 10.
enum Varint {
    /// Bytes needed to write `value` as a zig-zag varint or varlong (the two agree on `Int32` values).
    @inlinable
    static func size(of value: Int64) -> Int {
        let zigzag = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        // 64 bits / 7 per byte; `| 1` makes zero take one byte.
        return (64 - (zigzag | 1).leadingZeroBitCount + 6) / 7
    }
}

extension Varint {
    /// Writes `value` as a zig-zag varint (or varlong: the encoding is the same) at `position`,
    /// which it advances. The caller has made room for ``size(of:)`` bytes.
    @inline(__always)
    static func write(_ value: Int64, into space: UnsafeMutableRawBufferPointer, at position: inout Int) {
        var zigzag = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        while zigzag >= 0x80 {
            space[position] = UInt8(truncatingIfNeeded: zigzag) | 0x80
            position += 1
            zigzag >>= 7
        }
        space[position] = UInt8(truncatingIfNeeded: zigzag)
        position += 1
    }
}

extension ByteBuffer {
    /// Appends `value` as a zig-zag varint (or varlong).
    mutating func writeVarint(_ value: Int64) {
        writeWithUnsafeMutableBytes(minimumWritableBytes: Varint.size(of: value)) { space in
            var position = 0
            Varint.write(value, into: space, at: &position)
            return position
        }
    }
}

/// Reads big-endian integers and varints from raw bytes with bounds checks; every failure is a
/// ``RecordBatchError`` carrying the byte position (relative to the start of `bytes`).
struct ByteCursor {
    let bytes: UnsafeRawBufferPointer
    var position: Int
    /// Reads past this index are truncation errors.
    var limit: Int

    init(_ bytes: UnsafeRawBufferPointer, position: Int = 0, limit: Int? = nil) {
        self.bytes = bytes
        self.position = position
        self.limit = limit ?? bytes.count
    }

    var remaining: Int { limit - position }

    mutating func readInt8(_ what: @autoclosure () -> String) throws -> Int8 {
        guard position < limit else { throw truncated(what()) }
        defer { position += 1 }
        return Int8(bitPattern: bytes[position])
    }

    /// Reads a zig-zag varint of at most 5 bytes.
    mutating func readVarint(_ what: @autoclosure () -> String) throws -> Int32 {
        let start = position
        let raw = try readRawVarint(maxBytes: 5, what())
        let value = Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
        guard let narrow = Int32(exactly: value) else {
            throw RecordBatchError(
                .varintOverflow,
                "\(what()) does not fit in a 32-bit varint",
                position: Int64(start)
            )
        }
        return narrow
    }

    /// Reads a zig-zag varlong of at most 10 bytes.
    mutating func readVarlong(_ what: @autoclosure () -> String) throws -> Int64 {
        let raw = try readRawVarint(maxBytes: 10, what())
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    /// Skips `count` bytes, failing if they are not there.
    mutating func skip(_ count: Int, _ what: @autoclosure () -> String) throws {
        guard count >= 0, count <= remaining else { throw truncated(what()) }
        position += count
    }

    private mutating func readRawVarint(maxBytes: Int, _ what: @autoclosure () -> String) throws -> UInt64 {
        let start = position
        var result: UInt64 = 0
        var shift: UInt64 = 0
        for _ in 0..<maxBytes {
            guard position < limit else { throw truncated(what()) }
            let byte = bytes[position]
            position += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
        throw RecordBatchError(
            .varintOverflow,
            "\(what()) is a varint longer than \(maxBytes) bytes",
            position: Int64(start)
        )
    }

    private func truncated(_ what: String) -> RecordBatchError {
        RecordBatchError(.truncatedRecord, "\(what) runs past the end of its record", position: Int64(position))
    }
}
