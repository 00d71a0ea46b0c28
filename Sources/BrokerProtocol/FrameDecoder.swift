import NIOCore

/// Splits a byte stream into frame payloads (the bytes after each 4-byte length prefix).
///
/// A frame whose length exceeds `maxFrameBytes` is rejected as soon as its prefix arrives, before
/// any of it is buffered: the decoder throws ``ProtocolError`` with code `frameTooLarge`, and the
/// connection is expected to answer and close. Used by both the broker and the client.
public struct FrameDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    /// The largest accepted value of the length field.
    public let maxFrameBytes: Int

    /// Creates a decoder.
    public init(maxFrameBytes: Int = Frame.defaultMaxFrameBytes) {
        precondition(maxFrameBytes > 0)
        self.maxFrameBytes = maxFrameBytes
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> ByteBuffer? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return nil }
        guard Int(length) <= maxFrameBytes else {
            throw ProtocolError(
                .frameTooLarge,
                "frame of \(length) bytes is over the \(maxFrameBytes)-byte limit"
            )
        }
        guard buffer.readableBytes >= Frame.lengthPrefixBytes + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: Frame.lengthPrefixBytes)
        return buffer.readSlice(length: Int(length))
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> ByteBuffer? {
        try decode(buffer: &buffer)
    }
}

/// A protocol violation: bytes that do not decode, or a frame over the limit.
public struct ProtocolError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The wire error code that describes it.
    public var code: ErrorCode
    /// What was wrong.
    public var message: String

    /// Creates an error.
    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
