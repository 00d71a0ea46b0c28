import NIOCore

/// Reads Kafka's primitive types from a `ByteBuffer`, checking every length and count.
///
/// The reader consumes its own copy of the buffer (a `ByteBuffer` is a copy-on-write view, so
/// this copies no bytes). Every `read…` method takes the name of the field being read and
/// throws ``KafkaDecodingError`` naming it when the bytes are short or invalid; none of them
/// traps on any input. Lengths and counts are checked against ``remainingBytes`` before anything
/// is allocated, so a count of 2^31-1 with 4 bytes left is an error, not an allocation, and a
/// decoded message never holds more elements than its frame has bytes.
///
/// Types (Kafka's names, all big-endian):
///
/// | Kafka type | Method | Bytes |
/// |---|---|---|
/// | INT8 / INT16 / INT32 / INT64 | ``readInt8(_:)`` … ``readInt64(_:)`` | 1 / 2 / 4 / 8 |
/// | UINT16 / UINT32 | ``readUInt16(_:)`` / ``readUInt32(_:)`` | 2 / 4 |
/// | BOOLEAN | ``readBoolean(_:)`` | 1 (0 false, anything else true) |
/// | UNSIGNED_VARINT | ``readUnsignedVarint(_:)`` | 1-5, 7 bits per byte, low bits first |
/// | VARINT / VARLONG | ``readVarint(_:)`` / ``readVarlong(_:)`` | 1-5 / 1-10, zigzag |
/// | UUID | ``readUUID(_:)`` | 16 |
/// | STRING, NULLABLE_STRING, COMPACT_… | `KafkaReader+Strings.swift` | |
/// | BYTES, NULLABLE_BYTES, COMPACT_… | `KafkaReader+Strings.swift` | |
/// | ARRAY, COMPACT_ARRAY, tagged fields | `KafkaReader+Collections.swift` | |
public struct KafkaReader {
    /// The bytes not yet read.
    public internal(set) var buffer: ByteBuffer

    /// Creates a reader over the readable bytes of `buffer`.
    public init(_ buffer: ByteBuffer) {
        self.buffer = buffer
    }

    /// How many bytes are left to read.
    public var remainingBytes: Int { buffer.readableBytes }

    /// Whether every byte has been read.
    public var isAtEnd: Bool { buffer.readableBytes == 0 }

    /// Reads an INT8.
    /// - Throws: ``KafkaDecodingError`` if no byte is left.
    public mutating func readInt8(_ field: String) throws -> Int8 {
        try readFixedWidth(field, as: Int8.self)
    }

    /// Reads a big-endian INT16.
    /// - Throws: ``KafkaDecodingError`` if fewer than 2 bytes are left.
    public mutating func readInt16(_ field: String) throws -> Int16 {
        try readFixedWidth(field, as: Int16.self)
    }

    /// Reads a big-endian INT32.
    /// - Throws: ``KafkaDecodingError`` if fewer than 4 bytes are left.
    public mutating func readInt32(_ field: String) throws -> Int32 {
        try readFixedWidth(field, as: Int32.self)
    }

    /// Reads a big-endian INT64.
    /// - Throws: ``KafkaDecodingError`` if fewer than 8 bytes are left.
    public mutating func readInt64(_ field: String) throws -> Int64 {
        try readFixedWidth(field, as: Int64.self)
    }

    /// Reads a big-endian UINT16.
    /// - Throws: ``KafkaDecodingError`` if fewer than 2 bytes are left.
    public mutating func readUInt16(_ field: String) throws -> UInt16 {
        try readFixedWidth(field, as: UInt16.self)
    }

    /// Reads a big-endian UINT32.
    /// - Throws: ``KafkaDecodingError`` if fewer than 4 bytes are left.
    public mutating func readUInt32(_ field: String) throws -> UInt32 {
        try readFixedWidth(field, as: UInt32.self)
    }

    /// Reads a BOOLEAN: one byte, 0 is false and any other value true (as Kafka reads it).
    /// - Throws: ``KafkaDecodingError`` if no byte is left.
    public mutating func readBoolean(_ field: String) throws -> Bool {
        try readFixedWidth(field, as: UInt8.self) != 0
    }

    /// Reads a UUID: 16 bytes.
    /// - Throws: ``KafkaDecodingError`` if fewer than 16 bytes are left.
    public mutating func readUUID(_ field: String) throws -> KafkaUUID {
        guard buffer.readableBytes >= 16 else {
            throw KafkaDecodingError(
                .truncated,
                field: field,
                "needs 16 bytes for a UUID, \(buffer.readableBytes) left"
            )
        }
        let most = try readFixedWidth(field, as: UInt64.self)
        let least = try readFixedWidth(field, as: UInt64.self)
        return KafkaUUID(mostSignificantBits: most, leastSignificantBits: least)
    }

    /// Reads an UNSIGNED_VARINT: 7 bits per byte, least significant group first, high bit set on
    /// every byte but the last; at most 5 bytes and 32 bits.
    /// - Throws: ``KafkaDecodingError`` if the bytes end inside it or it exceeds 32 bits.
    public mutating func readUnsignedVarint(_ field: String) throws -> UInt32 {
        UInt32(truncatingIfNeeded: try readVarintBits(field, maximumBytes: 5, lastByteMaximum: 0x0F))
    }

    /// Reads an unsigned 64-bit varint (the unsigned form of VARLONG): at most 10 bytes.
    /// - Throws: ``KafkaDecodingError`` if the bytes end inside it or it exceeds 64 bits.
    public mutating func readUnsignedVarlong(_ field: String) throws -> UInt64 {
        try readVarintBits(field, maximumBytes: 10, lastByteMaximum: 0x01)
    }

    /// Reads a VARINT: a zigzag-encoded signed 32-bit integer in unsigned varint form.
    /// - Throws: ``KafkaDecodingError`` if the bytes end inside it or it exceeds 32 bits.
    public mutating func readVarint(_ field: String) throws -> Int32 {
        let raw = try readUnsignedVarint(field)
        return Int32(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    /// Reads a VARLONG: a zigzag-encoded signed 64-bit integer in unsigned varint form.
    /// - Throws: ``KafkaDecodingError`` if the bytes end inside it or it exceeds 64 bits.
    public mutating func readVarlong(_ field: String) throws -> Int64 {
        let raw = try readUnsignedVarlong(field)
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    /// Reads `length` bytes as a slice of the message (no copy).
    /// - Throws: ``KafkaDecodingError`` if `length` is negative or more than the bytes left.
    public mutating func readSlice(_ field: String, length: Int) throws -> ByteBuffer {
        try checkLength(field, length)
        // The check above guarantees the slice exists.
        return buffer.readSlice(length: length)!
    }

    /// Throws unless `length` is between 0 and ``remainingBytes``.
    /// - Throws: ``KafkaDecodingError`` (`invalidLength`).
    public func checkLength(_ field: String, _ length: Int) throws {
        guard length >= 0 else {
            throw KafkaDecodingError(.invalidLength, field: field, "negative length \(length)")
        }
        guard length <= buffer.readableBytes else {
            throw KafkaDecodingError(
                .invalidLength,
                field: field,
                "length \(length) is more than the \(buffer.readableBytes) bytes left"
            )
        }
    }

    private mutating func readFixedWidth<T: FixedWidthInteger>(_ field: String, as type: T.Type) throws -> T {
        guard let value = buffer.readInteger(endianness: .big, as: T.self) else {
            throw KafkaDecodingError(
                .truncated,
                field: field,
                "needs \(MemoryLayout<T>.size) bytes, \(buffer.readableBytes) left"
            )
        }
        return value
    }

    /// Reads up to `maximumBytes` varint bytes; the last allowed byte must not exceed
    /// `lastByteMaximum` (which also rules out a continuation bit on it).
    private mutating func readVarintBits(_ field: String, maximumBytes: Int, lastByteMaximum: UInt8) throws -> UInt64 {
        var result: UInt64 = 0
        for index in 0..<maximumBytes {
            guard let byte = buffer.readInteger(as: UInt8.self) else {
                throw KafkaDecodingError(.truncated, field: field, "the bytes end inside a varint")
            }
            if index == maximumBytes - 1 && byte > lastByteMaximum {
                throw KafkaDecodingError(
                    .malformedVarint,
                    field: field,
                    "varint longer than \(maximumBytes) bytes or wider than its type"
                )
            }
            result |= UInt64(byte & 0x7F) << UInt64(7 * index)
            if byte & 0x80 == 0 { return result }
        }
        // The last byte's check rules out a continuation bit there.
        preconditionFailure("unreachable: varint loop ended without a last byte")
    }
}
