import NIOCore

/// Writers for Kafka's primitive types, the counterpart of ``KafkaReader``.
///
/// Fixed-width integers (INT8 … INT64, UINT16, UINT32) need nothing Kafka-specific: write them
/// with NIO's `writeInteger(_:)`, whose default byte order is big-endian, Kafka's.
///
/// Values a Kafka type cannot hold (a STRING over 32,767 UTF-8 bytes, an array of more than
/// 2^31-1 elements) are a bug in the caller and trap; check lengths before building a message.
extension ByteBuffer {
    /// Writes a BOOLEAN: 1 for true, 0 for false.
    public mutating func writeKafkaBoolean(_ value: Bool) {
        writeInteger(value ? 1 : 0, as: UInt8.self)
    }

    /// Writes a UUID: its 16 bytes, most significant half first.
    public mutating func writeKafkaUUID(_ value: KafkaUUID) {
        writeInteger(value.mostSignificantBits)
        writeInteger(value.leastSignificantBits)
    }

    /// Writes an UNSIGNED_VARINT (1-5 bytes).
    public mutating func writeKafkaUnsignedVarint(_ value: UInt32) {
        writeKafkaUnsignedVarlong(UInt64(value))
    }

    /// Writes an unsigned 64-bit varint (1-10 bytes).
    public mutating func writeKafkaUnsignedVarlong(_ value: UInt64) {
        var remaining = value
        while remaining >= 0x80 {
            writeInteger(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        writeInteger(UInt8(remaining))
    }

    /// Writes a VARINT: zigzag-encoded, then as an unsigned varint.
    public mutating func writeKafkaVarint(_ value: Int32) {
        writeKafkaUnsignedVarint(UInt32(bitPattern: (value << 1) ^ (value >> 31)))
    }

    /// Writes a VARLONG: zigzag-encoded, then as an unsigned varint.
    public mutating func writeKafkaVarlong(_ value: Int64) {
        writeKafkaUnsignedVarlong(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    /// Writes a STRING (INT16 length), or a COMPACT_STRING if `flexible`.
    /// - Precondition: `value` is at most 32,767 UTF-8 bytes.
    public mutating func writeKafkaString(_ value: String, flexible: Bool = false) {
        let length = value.utf8.count
        precondition(length <= Int(Int16.max), "a Kafka STRING holds at most 32,767 bytes, got \(length)")
        if flexible {
            writeKafkaUnsignedVarint(UInt32(length + 1))
        } else {
            writeInteger(Int16(length))
        }
        writeString(value)
    }

    /// Writes a NULLABLE_STRING (length -1 for nil), or a COMPACT_NULLABLE_STRING (0 for nil) if
    /// `flexible`.
    /// - Precondition: `value` is at most 32,767 UTF-8 bytes.
    public mutating func writeKafkaNullableString(_ value: String?, flexible: Bool = false) {
        guard let value else {
            writeKafkaNullLength(flexible: flexible, classic: { $0.writeInteger(Int16(-1)) })
            return
        }
        writeKafkaString(value, flexible: flexible)
    }

    /// Writes a free-form message (an `ErrorMessage` field) as a NULLABLE_STRING, or a
    /// COMPACT_NULLABLE_STRING if `flexible`, cut to 32,767 bytes if longer
    /// (``Swift/String/truncatedForKafka``): messages may quote client input and must not trap.
    public mutating func writeKafkaNullableMessage(_ message: String?, flexible: Bool = false) {
        writeKafkaNullableString(message?.truncatedForKafka, flexible: flexible)
    }

    /// Writes BYTES (INT32 length), or COMPACT_BYTES if `flexible`; copies `value`'s readable
    /// bytes.
    public mutating func writeKafkaBytes(_ value: ByteBuffer, flexible: Bool = false) {
        let length = value.readableBytes
        precondition(length < Int(Int32.max), "Kafka BYTES hold at most 2^31-2 bytes, got \(length)")
        if flexible {
            writeKafkaUnsignedVarint(UInt32(length + 1))
        } else {
            writeInteger(Int32(length))
        }
        writeImmutableBuffer(value)
    }

    /// Writes NULLABLE_BYTES (length -1 for nil), or COMPACT_NULLABLE_BYTES (0 for nil) if
    /// `flexible`.
    public mutating func writeKafkaNullableBytes(_ value: ByteBuffer?, flexible: Bool = false) {
        guard let value else {
            writeKafkaNullLength(flexible: flexible, classic: { $0.writeInteger(Int32(-1)) })
            return
        }
        writeKafkaBytes(value, flexible: flexible)
    }

    /// Writes an array's count prefix: INT32 `count`, or UNSIGNED_VARINT `count + 1` if
    /// `flexible`. Use it when writing elements with a loop of your own.
    public mutating func writeKafkaArrayCount(_ count: Int, flexible: Bool) {
        precondition(count >= 0 && count < Int(Int32.max), "a Kafka array holds at most 2^31-2 elements")
        if flexible {
            writeKafkaUnsignedVarint(UInt32(count + 1))
        } else {
            writeInteger(Int32(count))
        }
    }

    /// Writes an ARRAY (or COMPACT_ARRAY if `flexible`): the count, then each element with
    /// `element`.
    public mutating func writeKafkaArray<Elements: Collection>(
        _ elements: Elements,
        flexible: Bool,
        _ element: (inout ByteBuffer, Elements.Element) -> Void
    ) {
        writeKafkaArrayCount(elements.count, flexible: flexible)
        for value in elements {
            element(&self, value)
        }
    }

    /// Writes a nullable ARRAY (count -1 for nil), or a nullable COMPACT_ARRAY (0 for nil) if
    /// `flexible`.
    public mutating func writeKafkaNullableArray<Elements: Collection>(
        _ elements: Elements?,
        flexible: Bool,
        _ element: (inout ByteBuffer, Elements.Element) -> Void
    ) {
        guard let elements else {
            writeKafkaNullLength(flexible: flexible, classic: { $0.writeInteger(Int32(-1)) })
            return
        }
        writeKafkaArray(elements, flexible: flexible, element)
    }

    /// Writes an array of INT32, compact if `flexible`.
    public mutating func writeKafkaInt32Array(_ values: [Int32], flexible: Bool) {
        writeKafkaArray(values, flexible: flexible) { $0.writeInteger($1) }
    }

    /// Writes an array of INT64, compact if `flexible`.
    public mutating func writeKafkaInt64Array(_ values: [Int64], flexible: Bool) {
        writeKafkaArray(values, flexible: flexible) { $0.writeInteger($1) }
    }

    /// Writes an array of STRING, compact if `flexible`.
    public mutating func writeKafkaStringArray(_ values: [String], flexible: Bool) {
        writeKafkaArray(values, flexible: flexible) { $0.writeKafkaString($1, flexible: flexible) }
    }

    /// Writes an empty tagged-field section (one 0 byte): what this module writes at the end of
    /// every structure of a flexible version.
    public mutating func writeKafkaEmptyTaggedFields() {
        writeInteger(UInt8(0))
    }

    /// Writes a tagged-field section holding `fields`, in ascending tag order as Kafka requires.
    /// - Precondition: the tags are strictly ascending.
    public mutating func writeKafkaTaggedFields(_ fields: [KafkaTaggedField]) {
        writeKafkaUnsignedVarint(UInt32(fields.count))
        var previous: UInt32?
        for field in fields {
            precondition(previous.map { $0 < field.tag } ?? true, "tagged fields must be in ascending tag order")
            previous = field.tag
            writeKafkaUnsignedVarint(field.tag)
            writeKafkaUnsignedVarint(UInt32(field.data.readableBytes))
            writeImmutableBuffer(field.data)
        }
    }

    private mutating func writeKafkaNullLength(flexible: Bool, classic: (inout ByteBuffer) -> Void) {
        if flexible {
            writeKafkaUnsignedVarint(0)
        } else {
            classic(&self)
        }
    }
}
