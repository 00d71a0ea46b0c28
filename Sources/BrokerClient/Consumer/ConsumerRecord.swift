import BrokerProtocol
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

    /// The message id the producer set: the value of the last
    /// ``BrokerProtocol/ProduceRequest/messageIDHeader`` header (`sluice.msg-id`), the one the
    /// broker deduplicates on; `nil` if there is none or its value is null.
    ///
    /// Ids are bytes, compared byte for byte; an empty value is an id too.
    public var messageID: ByteBuffer? { header(ProduceRequest.messageIDHeader) }

    /// The key as text: `nil` for no key or a key that is not valid UTF-8.
    public var keyString: String? { key.flatMap { String(validating: $0.readableBytesView, as: UTF8.self) } }
    /// The value as text: `nil` for a null value or a value that is not valid UTF-8.
    public var valueString: String? { value.flatMap { String(validating: $0.readableBytesView, as: UTF8.self) } }
    /// The key's bytes; `nil` for no key.
    public var keyBytes: [UInt8]? { key.map { Array($0.readableBytesView) } }
    /// The value's bytes; `nil` for a null value.
    public var valueBytes: [UInt8]? { value.map { Array($0.readableBytesView) } }

    /// The value of the last header named `key` (as with ``messageID``, the last one wins);
    /// `nil` if there is none or its value is null. All of them are in ``headers``.
    public func header(_ key: String) -> ByteBuffer? {
        headers.last { $0.key == key }?.value ?? nil
    }

    /// ``header(_:)`` as text: `nil` if there is none, its value is null or not valid UTF-8.
    public func headerString(_ key: String) -> String? {
        header(key).flatMap { String(validating: $0.readableBytesView, as: UTF8.self) }
    }

    /// ``messageID`` as text: `nil` if there is no id or its bytes are not valid UTF-8 (such an
    /// id is only available as bytes, so two different ids never read as the same text).
    public var messageIDString: String? {
        messageID.flatMap { String(validating: $0.readableBytesView, as: UTF8.self) }
    }

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
