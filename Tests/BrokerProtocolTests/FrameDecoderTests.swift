import BrokerProtocol
import NIOCore
import NIOTestUtils
import Testing

@Suite("FrameDecoder")
struct FrameDecoderTests {
    /// Frames of several sizes, zero-length ones included, fed one byte at a time, one frame per
    /// buffer and many frames per buffer by NIO's verifier.
    @Test func verifierAcceptsFramesOfEverySize() throws {
        let payloads: [ByteBuffer] = [
            ByteBuffer(),
            ByteBuffer(bytes: [0x2A]),
            ByteBuffer(),
            ByteBuffer(bytes: Array(0...255) + Array(0...43)),
            HandshakeRequest(clientName: "verifier").encoded(),
            ByteBuffer(bytes: Array(repeating: 0xFF, count: 4)),
        ]
        let pairs = payloads.map { payload in (Self.frame(payload), [payload]) }
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) { FrameDecoder() }
    }

    /// Whole request frames, as a client writes them, come out as their payloads.
    @Test func verifierAcceptsRequestFrames() throws {
        let frames = WireSamples.requests.enumerated().map { index, sample in
            RequestFrame(
                header: RequestHeader(apiKey: sample.apiKey, apiVersion: 0, correlationID: UInt32(index)),
                body: sample.encoded
            )
        }
        let pairs = frames.map { frame -> (ByteBuffer, [ByteBuffer]) in
            var bytes = ByteBuffer()
            frame.write(into: &bytes)
            return (bytes, [bytes.getSlice(at: 4, length: bytes.readableBytes - 4)!])
        }
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) { FrameDecoder(maxFrameBytes: 4096) }
    }

    /// A frame exactly at the limit is accepted.
    @Test func frameAtTheLimitIsAccepted() throws {
        let payload = ByteBuffer(bytes: Array(repeating: 7, count: 64))
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: [(Self.frame(payload), [payload])]) {
            FrameDecoder(maxFrameBytes: 64)
        }
    }

    /// The length prefix alone is enough to refuse a frame over the limit: nothing else is waited
    /// for or buffered, and the bytes are left where they were.
    @Test(arguments: [65, 1 << 20, Int(UInt32.max)])
    func oversizedFrameIsRefusedOnItsPrefix(_ length: Int) {
        var decoder = FrameDecoder(maxFrameBytes: 64)
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32(length))
        let error = #expect(throws: ProtocolError.self) { try decoder.decode(buffer: &buffer) }
        #expect(error?.code == .frameTooLarge)
        #expect(error?.message == "frame of \(length) bytes is over the 64-byte limit")
        #expect(buffer.readerIndex == 0)
        #expect(buffer.readableBytes == 4)
    }

    /// With the default limit (16 MiB), a frame of 16 MiB + 1 is refused on its prefix.
    @Test func defaultLimitIs16MiB() throws {
        #expect(Frame.defaultMaxFrameBytes == 16_777_216)
        var decoder = FrameDecoder()
        #expect(decoder.maxFrameBytes == 16_777_216)
        var over = ByteBuffer(bytes: [0x01, 0x00, 0x00, 0x01])
        #expect(throws: ProtocolError(.frameTooLarge, "frame of 16777217 bytes is over the 16777216-byte limit")) {
            try decoder.decode(buffer: &over)
        }
        var atLimit = ByteBuffer(bytes: [0x01, 0x00, 0x00, 0x00])
        #expect(try decoder.decode(buffer: &atLimit) == nil)
        #expect(atLimit.readerIndex == 0)
    }

    /// Fewer than four bytes, or a body still arriving, is "need more bytes": nothing is consumed.
    @Test func partialFramesWaitForMoreBytes() throws {
        var decoder = FrameDecoder()
        let whole = Self.frame(ByteBuffer(bytes: [1, 2, 3]))
        for length in 0..<whole.readableBytes {
            var partial = whole.getSlice(at: 0, length: length)!
            #expect(try decoder.decode(buffer: &partial) == nil)
            #expect(try decoder.decodeLast(buffer: &partial, seenEOF: true) == nil)
            #expect(partial.readerIndex == 0)
        }
    }

    /// A zero-length frame decodes to an empty payload, which is not a valid request or response.
    @Test func zeroLengthFrame() throws {
        var decoder = FrameDecoder()
        var buffer = ByteBuffer(bytes: [0, 0, 0, 0, 0, 0, 0, 1, 0xEE])
        let first = try decoder.decode(buffer: &buffer)
        #expect(first == ByteBuffer())
        #expect(try decoder.decode(buffer: &buffer) == ByteBuffer(bytes: [0xEE]))
        #expect(buffer.readableBytes == 0)
        let requestError = #expect(throws: ProtocolError.self) { try RequestFrame(payload: first!) }
        #expect(requestError?.code == .malformedRequest)
        let responseError = #expect(throws: ProtocolError.self) { try ResponseFrame(payload: first!) }
        #expect(responseError?.code == .malformedRequest)
    }

    static func frame(_ payload: ByteBuffer) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32(payload.readableBytes))
        buffer.writeImmutableBuffer(payload)
        return buffer
    }
}
