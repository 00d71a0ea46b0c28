@_exported import struct BrokerProtocol.ErrorCode
@_exported import enum BrokerProtocol.GroupOrdering
@_exported import struct NIOCore.ByteBuffer
@_exported import struct RecordCodec.RecordHeader

/// What a record's key, value, header value or message id can be given as: a `ByteBuffer`, a
/// `[UInt8]`, a `String` (its UTF-8 bytes) or, where Foundation is imported, `Data`. The producer
/// turns it into bytes once, when the record is accepted.
public protocol MessageBytes: Sendable {
    /// The bytes.
    var messageBytes: ByteBuffer { get }
}

extension ByteBuffer: MessageBytes {
    /// The buffer itself (no copy).
    public var messageBytes: ByteBuffer { self }
}

extension Array: MessageBytes where Element == UInt8 {
    /// The bytes, copied into a buffer.
    public var messageBytes: ByteBuffer { ByteBuffer(bytes: self) }
}

extension String: MessageBytes {
    /// The string's UTF-8 bytes.
    public var messageBytes: ByteBuffer { ByteBuffer(string: self) }
}

extension Substring: MessageBytes {
    /// The substring's UTF-8 bytes.
    public var messageBytes: ByteBuffer { ByteBuffer(substring: self) }
}

extension RecordHeader {
    /// A header whose value is given as any ``MessageBytes`` (`String`, `[UInt8]`, `Data`, …).
    public init(key: String, value: some MessageBytes) {
        self.init(key: key, value: Optional(value.messageBytes))
    }

    /// The value as text: `nil` for a null value or a value that is not valid UTF-8.
    public var valueString: String? { value.flatMap { String(validating: $0.readableBytesView, as: UTF8.self) } }

    /// The value's bytes; `nil` for a null value.
    public var valueBytes: [UInt8]? { value.map { Array($0.readableBytesView) } }
}
