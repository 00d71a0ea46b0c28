import NIOCore

/// Splits a Kafka connection's byte stream into frames: the bytes after each INT32 size prefix,
/// ready for ``KafkaRequest/decode(frame:)``.
///
/// A size over ``maxFrameBytes`` (or negative) is refused as soon as the 4-byte prefix arrives,
/// before any of the frame is buffered: the decoder throws ``KafkaDecodingError`` with code
/// ``KafkaDecodingError/Code/frameTooLarge`` (or `invalidLength`), and the connection is expected
/// to close (Kafka closes it too). Use it through NIO's `ByteToMessageHandler` or
/// `NIOSingleStepByteToMessageProcessor`.
public struct KafkaFrameDecoder: NIOSingleStepByteToMessageDecoder {
    /// A frame, without its size prefix.
    public typealias InboundOut = ByteBuffer

    /// The bytes of the size prefix.
    public static let sizePrefixBytes = 4

    /// The default limit: Kafka's own `socket.request.max.bytes` default, 100 MiB.
    public static let defaultMaxFrameBytes = 104_857_600

    /// The largest accepted size (the bytes after the prefix).
    public let maxFrameBytes: Int

    /// Creates a decoder refusing frames over `maxFrameBytes`.
    public init(maxFrameBytes: Int = KafkaFrameDecoder.defaultMaxFrameBytes) {
        precondition(maxFrameBytes > 0 && maxFrameBytes <= Int(Int32.max), "a frame limit of 1 to 2^31-1 bytes")
        self.maxFrameBytes = maxFrameBytes
    }

    /// Returns the next frame, or nil until all of its bytes have arrived.
    /// - Throws: ``KafkaDecodingError`` for a negative size or one over ``maxFrameBytes``.
    public mutating func decode(buffer: inout ByteBuffer) throws -> ByteBuffer? {
        guard let size = buffer.getInteger(at: buffer.readerIndex, as: Int32.self) else { return nil }
        guard size >= 0 else {
            throw KafkaDecodingError(.invalidLength, field: "Frame.Size", "negative frame size \(size)")
        }
        guard Int(size) <= maxFrameBytes else {
            throw KafkaDecodingError(
                .frameTooLarge,
                field: "Frame.Size",
                "frame of \(size) bytes is over the \(maxFrameBytes)-byte limit"
            )
        }
        guard buffer.readableBytes >= Self.sizePrefixBytes + Int(size) else { return nil }
        buffer.moveReaderIndex(forwardBy: Self.sizePrefixBytes)
        return buffer.readSlice(length: Int(size))
    }

    /// Returns the next whole frame at the end of the stream; a partial frame is left unread.
    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> ByteBuffer? {
        try decode(buffer: &buffer)
    }
}
