import NIOCore

/// One tagged field of a flexible Kafka message: a tag number and its raw bytes.
///
/// Flexible versions (KIP-482) end every structure with a tagged-field section:
/// `UNSIGNED_VARINT count`, then per field `UNSIGNED_VARINT tag`, `UNSIGNED_VARINT size` and
/// `size` bytes. A decoder that does not know a tag skips it; ``KafkaReader/readTaggedFields(_:)``
/// returns them all so a codec can pick out the tags it knows.
public struct KafkaTaggedField: Hashable, Sendable {
    /// The tag number.
    public var tag: UInt32
    /// The field's bytes (a slice of the message, not a copy).
    public var data: ByteBuffer

    /// Creates a tagged field.
    public init(tag: UInt32, data: ByteBuffer) {
        self.tag = tag
        self.data = data
    }
}
