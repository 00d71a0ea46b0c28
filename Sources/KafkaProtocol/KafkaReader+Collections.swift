import NIOCore

/// ARRAY, COMPACT_ARRAY and tagged fields.
///
/// | Kafka type | Count prefix | Null |
/// |---|---|---|
/// | ARRAY / nullable ARRAY | INT32 | -1 (nullable only) |
/// | COMPACT_ARRAY / nullable COMPACT_ARRAY | UNSIGNED_VARINT count+1 | 0 (nullable only) |
/// | tagged fields | UNSIGNED_VARINT count, then (tag, size, bytes) each | never |
///
/// A count is checked before anything is allocated: `count * minimumElementBytes` must fit in
/// the bytes left. Pass the smallest encoded size of one element (4 for an INT32 array, the sum
/// of the fixed fields for a structure; 1, the default, is always safe since no element is
/// empty). Each element is read by the closure, which receives this reader.
extension KafkaReader {
    /// Reads an ARRAY: INT32 count, then `count` elements; null (-1) is not allowed.
    /// - Throws: ``KafkaDecodingError`` if the count is negative or more than the bytes left
    ///   allow, or whatever `element` throws.
    public mutating func readArray<Element>(
        _ field: String,
        minimumElementBytes: Int = 1,
        _ element: (inout KafkaReader) throws -> Element
    ) throws -> [Element] {
        let count = Int(try readInt32(field))
        guard count >= 0 else {
            throw KafkaDecodingError(.invalidLength, field: field, "null (count \(count)) in a non-nullable array")
        }
        return try readElements(field, count: count, minimumElementBytes: minimumElementBytes, element)
    }

    /// Reads a nullable ARRAY: INT32 count (-1 for null), then `count` elements.
    /// - Throws: ``KafkaDecodingError`` if the count is below -1 or more than the bytes left allow.
    public mutating func readNullableArray<Element>(
        _ field: String,
        minimumElementBytes: Int = 1,
        _ element: (inout KafkaReader) throws -> Element
    ) throws -> [Element]? {
        let count = Int(try readInt32(field))
        if count == -1 { return nil }
        return try readElements(field, count: count, minimumElementBytes: minimumElementBytes, element)
    }

    /// Reads a COMPACT_ARRAY: UNSIGNED_VARINT count+1, then the elements; null (0) is not allowed.
    /// - Throws: ``KafkaDecodingError`` if it is null or its count is more than the bytes left allow.
    public mutating func readCompactArray<Element>(
        _ field: String,
        minimumElementBytes: Int = 1,
        _ element: (inout KafkaReader) throws -> Element
    ) throws -> [Element] {
        guard let count = try readCompactLength(field) else {
            throw KafkaDecodingError(.invalidLength, field: field, "null in a non-nullable compact array")
        }
        return try readElements(field, count: count, minimumElementBytes: minimumElementBytes, element)
    }

    /// Reads a nullable COMPACT_ARRAY: UNSIGNED_VARINT count+1 (0 for null), then the elements.
    /// - Throws: ``KafkaDecodingError`` if its count is more than the bytes left allow.
    public mutating func readCompactNullableArray<Element>(
        _ field: String,
        minimumElementBytes: Int = 1,
        _ element: (inout KafkaReader) throws -> Element
    ) throws -> [Element]? {
        guard let count = try readCompactLength(field) else { return nil }
        return try readElements(field, count: count, minimumElementBytes: minimumElementBytes, element)
    }

    /// Reads a COMPACT_ARRAY if `flexible`, else an ARRAY.
    public mutating func readArray<Element>(
        _ field: String,
        flexible: Bool,
        minimumElementBytes: Int = 1,
        _ element: (inout KafkaReader) throws -> Element
    ) throws -> [Element] {
        flexible
            ? try readCompactArray(field, minimumElementBytes: minimumElementBytes, element)
            : try readArray(field, minimumElementBytes: minimumElementBytes, element)
    }

    /// Reads a nullable COMPACT_ARRAY if `flexible`, else a nullable ARRAY.
    public mutating func readNullableArray<Element>(
        _ field: String,
        flexible: Bool,
        minimumElementBytes: Int = 1,
        _ element: (inout KafkaReader) throws -> Element
    ) throws -> [Element]? {
        flexible
            ? try readCompactNullableArray(field, minimumElementBytes: minimumElementBytes, element)
            : try readNullableArray(field, minimumElementBytes: minimumElementBytes, element)
    }

    /// Reads an array of INT32 (`[]int32` in the specs), compact if `flexible`.
    public mutating func readInt32Array(_ field: String, flexible: Bool) throws -> [Int32] {
        try readArray(field, flexible: flexible, minimumElementBytes: 4) { try $0.readInt32(field) }
    }

    /// Reads an array of INT64 (`[]int64` in the specs), compact if `flexible`.
    public mutating func readInt64Array(_ field: String, flexible: Bool) throws -> [Int64] {
        try readArray(field, flexible: flexible, minimumElementBytes: 8) { try $0.readInt64(field) }
    }

    /// Reads an array of STRING (`[]string` in the specs), compact if `flexible`.
    public mutating func readStringArray(_ field: String, flexible: Bool) throws -> [String] {
        try readArray(field, flexible: flexible, minimumElementBytes: flexible ? 1 : 2) {
            try $0.readString(field, flexible: flexible)
        }
    }

    /// Reads a tagged-field section and returns every field in it (their bytes are slices).
    ///
    /// Callers pick out the tags they know and ignore the rest, which is how unknown tagged
    /// fields are skipped.
    /// - Throws: ``KafkaDecodingError`` if a count or size is more than the bytes left.
    public mutating func readTaggedFields(_ field: String) throws -> [KafkaTaggedField] {
        let count = Int(try readUnsignedVarint(field))
        try checkCount(field, count: count, minimumElementBytes: 2)
        var fields: [KafkaTaggedField] = []
        fields.reserveCapacity(count)
        for _ in 0..<count {
            let tag = try readUnsignedVarint(field)
            let size = Int(try readUnsignedVarint(field))
            fields.append(KafkaTaggedField(tag: tag, data: try readSlice(field, length: size)))
        }
        return fields
    }

    /// Reads a tagged-field section and discards it (the fields of a structure whose tags this
    /// module does not use).
    /// - Throws: ``KafkaDecodingError`` if a count or size is more than the bytes left.
    public mutating func skipTaggedFields(_ field: String) throws {
        let count = Int(try readUnsignedVarint(field))
        try checkCount(field, count: count, minimumElementBytes: 2)
        for _ in 0..<count {
            _ = try readUnsignedVarint(field)
            let size = Int(try readUnsignedVarint(field))
            try checkLength(field, size)
            buffer.moveReaderIndex(forwardBy: size)
        }
    }

    /// Throws unless `count` elements of at least `minimumElementBytes` each fit in the bytes left.
    /// - Throws: ``KafkaDecodingError`` (`invalidLength`).
    public func checkCount(_ field: String, count: Int, minimumElementBytes: Int) throws {
        precondition(minimumElementBytes >= 1, "an element takes at least one byte")
        guard count >= 0 else {
            throw KafkaDecodingError(.invalidLength, field: field, "negative count \(count)")
        }
        guard count <= remainingBytes / minimumElementBytes else {
            throw KafkaDecodingError(
                .invalidLength,
                field: field,
                "count \(count) needs at least \(minimumElementBytes) bytes each, \(remainingBytes) bytes left"
            )
        }
    }

    private mutating func readElements<Element>(
        _ field: String,
        count: Int,
        minimumElementBytes: Int,
        _ element: (inout KafkaReader) throws -> Element
    ) throws -> [Element] {
        try checkCount(field, count: count, minimumElementBytes: minimumElementBytes)
        var elements: [Element] = []
        elements.reserveCapacity(count)
        for _ in 0..<count {
            elements.append(try element(&self))
        }
        return elements
    }
}
