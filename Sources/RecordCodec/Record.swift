import NIOCore

/// One message: an optional key, an optional value, headers and a timestamp.
///
/// Keys and values are `ByteBuffer`s; records decoded from a batch share the batch's storage
/// (they are slices, not copies). `nil` and an empty buffer are different: `nil` is Kafka's null
/// (length `-1` on disk).
public struct Record: Sendable, Hashable {
    /// The record's offset in its partition. Set when decoding a batch; ignored when encoding
    /// (the position in the batch decides the offset).
    public var offset: Int64
    /// Milliseconds since the Unix epoch.
    public var timestamp: Int64
    /// The key, or `nil` for a record without a key.
    public var key: ByteBuffer?
    /// The value, or `nil` for a null value (a tombstone in Kafka's terms).
    public var value: ByteBuffer?
    /// Headers in the order they were written. Keys may repeat.
    public var headers: [RecordHeader]

    /// Creates a record to encode.
    public init(
        key: ByteBuffer? = nil,
        value: ByteBuffer?,
        headers: [RecordHeader] = [],
        timestamp: Int64,
        offset: Int64 = 0
    ) {
        self.offset = offset
        self.timestamp = timestamp
        self.key = key
        self.value = value
        self.headers = headers
    }
}

/// A record header: a UTF-8 key and an optional byte value.
public struct RecordHeader: Sendable, Hashable {
    /// The header name. Kafka requires a non-null key.
    public var key: String
    /// The header value, or `nil` for a null value.
    public var value: ByteBuffer?

    /// Creates a header.
    public init(key: String, value: ByteBuffer?) {
        self.key = key
        self.value = value
    }
}
