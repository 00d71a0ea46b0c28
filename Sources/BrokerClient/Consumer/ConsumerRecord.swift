import NIOCore
import RecordCodec

/// One record read by a ``Consumer``.
public struct ConsumerRecord: Hashable, Sendable {
    /// The topic.
    public var topic: String
    /// The partition.
    public var partition: Int32
    /// The record's offset in its partition.
    public var offset: Int64
    /// Epoch milliseconds.
    public var timestamp: Int64
    /// The key, `nil` for none.
    public var key: ByteBuffer?
    /// The value, `nil` for a null value.
    public var value: ByteBuffer?
    /// The headers, in order; keys may repeat.
    public var headers: [RecordHeader]

    /// Creates a record.
    public init(
        topic: String,
        partition: Int32,
        offset: Int64,
        timestamp: Int64,
        key: ByteBuffer?,
        value: ByteBuffer?,
        headers: [RecordHeader]
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.timestamp = timestamp
        self.key = key
        self.value = value
        self.headers = headers
    }
}
