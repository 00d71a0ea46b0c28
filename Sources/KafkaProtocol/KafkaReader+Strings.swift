import NIOCore

/// STRING and BYTES in their classic and compact forms.
///
/// | Kafka type | Length prefix | Null |
/// |---|---|---|
/// | STRING / NULLABLE_STRING | INT16 | -1 (nullable only) |
/// | COMPACT_STRING / COMPACT_NULLABLE_STRING | UNSIGNED_VARINT length+1 | 0 (nullable only) |
/// | BYTES / NULLABLE_BYTES | INT32 | -1 (nullable only) |
/// | COMPACT_BYTES / COMPACT_NULLABLE_BYTES | UNSIGNED_VARINT length+1 | 0 (nullable only) |
///
/// Strings are UTF-8 and rejected if they are not. Bytes are returned as slices of the message,
/// never copied. The `flexible:` forms pick the compact encoding when `flexible` is true, which
/// is how every string and bytes field of a flexible message version is encoded.
extension KafkaReader {
    /// Reads a STRING: INT16 length, then that many UTF-8 bytes; null is not allowed.
    /// - Throws: ``KafkaDecodingError`` if the length is negative or too long, or not UTF-8.
    public mutating func readString(_ field: String) throws -> String {
        let length = Int(try readInt16(field))
        guard length >= 0 else {
            throw KafkaDecodingError(.invalidLength, field: field, "null (length \(length)) in a non-nullable string")
        }
        return try readUTF8(field, length: length)
    }

    /// Reads a NULLABLE_STRING: INT16 length (-1 for null), then that many UTF-8 bytes.
    /// - Throws: ``KafkaDecodingError`` if the length is below -1 or too long, or not UTF-8.
    public mutating func readNullableString(_ field: String) throws -> String? {
        let length = Int(try readInt16(field))
        if length == -1 { return nil }
        return try readUTF8(field, length: length)
    }

    /// Reads a COMPACT_STRING: UNSIGNED_VARINT length+1, then the UTF-8 bytes; null (0) is not
    /// allowed.
    /// - Throws: ``KafkaDecodingError`` if it is null, too long, or not UTF-8.
    public mutating func readCompactString(_ field: String) throws -> String {
        guard let length = try readCompactLength(field) else {
            throw KafkaDecodingError(.invalidLength, field: field, "null in a non-nullable compact string")
        }
        return try readUTF8(field, length: length)
    }

    /// Reads a COMPACT_NULLABLE_STRING: UNSIGNED_VARINT length+1 (0 for null), then the bytes.
    /// - Throws: ``KafkaDecodingError`` if it is too long or not UTF-8.
    public mutating func readCompactNullableString(_ field: String) throws -> String? {
        guard let length = try readCompactLength(field) else { return nil }
        return try readUTF8(field, length: length)
    }

    /// Reads a COMPACT_STRING if `flexible`, else a STRING.
    public mutating func readString(_ field: String, flexible: Bool) throws -> String {
        flexible ? try readCompactString(field) : try readString(field)
    }

    /// Reads a COMPACT_NULLABLE_STRING if `flexible`, else a NULLABLE_STRING.
    public mutating func readNullableString(_ field: String, flexible: Bool) throws -> String? {
        flexible ? try readCompactNullableString(field) : try readNullableString(field)
    }

    /// Reads BYTES: INT32 length, then that many bytes (a slice); null is not allowed.
    /// - Throws: ``KafkaDecodingError`` if the length is negative or more than the bytes left.
    public mutating func readBytes(_ field: String) throws -> ByteBuffer {
        let length = Int(try readInt32(field))
        guard length >= 0 else {
            throw KafkaDecodingError(.invalidLength, field: field, "null (length \(length)) in non-nullable bytes")
        }
        return try readSlice(field, length: length)
    }

    /// Reads NULLABLE_BYTES: INT32 length (-1 for null), then that many bytes (a slice).
    /// - Throws: ``KafkaDecodingError`` if the length is below -1 or more than the bytes left.
    public mutating func readNullableBytes(_ field: String) throws -> ByteBuffer? {
        let length = Int(try readInt32(field))
        if length == -1 { return nil }
        return try readSlice(field, length: length)
    }

    /// Reads COMPACT_BYTES: UNSIGNED_VARINT length+1, then the bytes (a slice); null is not
    /// allowed.
    /// - Throws: ``KafkaDecodingError`` if it is null or longer than the bytes left.
    public mutating func readCompactBytes(_ field: String) throws -> ByteBuffer {
        guard let length = try readCompactLength(field) else {
            throw KafkaDecodingError(.invalidLength, field: field, "null in non-nullable compact bytes")
        }
        return try readSlice(field, length: length)
    }

    /// Reads COMPACT_NULLABLE_BYTES: UNSIGNED_VARINT length+1 (0 for null), then the bytes.
    /// - Throws: ``KafkaDecodingError`` if it is longer than the bytes left.
    public mutating func readCompactNullableBytes(_ field: String) throws -> ByteBuffer? {
        guard let length = try readCompactLength(field) else { return nil }
        return try readSlice(field, length: length)
    }

    /// Reads COMPACT_BYTES if `flexible`, else BYTES.
    public mutating func readBytes(_ field: String, flexible: Bool) throws -> ByteBuffer {
        flexible ? try readCompactBytes(field) : try readBytes(field)
    }

    /// Reads COMPACT_NULLABLE_BYTES if `flexible`, else NULLABLE_BYTES.
    public mutating func readNullableBytes(_ field: String, flexible: Bool) throws -> ByteBuffer? {
        flexible ? try readCompactNullableBytes(field) : try readNullableBytes(field)
    }

    /// Reads a compact length prefix (UNSIGNED_VARINT N): `nil` for N = 0 (null), else N - 1.
    /// The length is not yet checked against the bytes left.
    /// - Throws: ``KafkaDecodingError`` if the varint is malformed.
    public mutating func readCompactLength(_ field: String) throws -> Int? {
        let raw = try readUnsignedVarint(field)
        return raw == 0 ? nil : Int(raw) - 1
    }

    private mutating func readUTF8(_ field: String, length: Int) throws -> String {
        let bytes = try readSlice(field, length: length)
        guard let string = String(validating: bytes.readableBytesView, as: UTF8.self) else {
            throw KafkaDecodingError(.invalidUTF8, field: field, "the \(length) string bytes are not valid UTF-8")
        }
        return string
    }
}
