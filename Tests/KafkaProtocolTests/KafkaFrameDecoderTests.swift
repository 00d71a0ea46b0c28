import NIOCore
import NIOTestUtils
import Testing

@testable import KafkaProtocol

@Suite struct KafkaFrameDecoderTests {
    static func frame(_ payload: ByteBuffer) -> ByteBuffer {
        var frame = ByteBuffer()
        frame.writeInteger(Int32(payload.readableBytes))
        frame.writeImmutableBuffer(payload)
        return frame
    }

    /// Frames of several sizes, fed one byte at a time, one per buffer and many per buffer.
    @Test func verifierAcceptsFramesOfEverySize() throws {
        let payloads: [ByteBuffer] = [
            ByteBuffer(),
            ByteBuffer(bytes: [0x2A]),
            ByteBuffer(bytes: Array(0...255) + Array(0...43)),
            ByteBuffer(bytes: Array(repeating: 0xFF, count: 4)),
        ]
        let pairs = payloads.map { (Self.frame($0), [$0]) }
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) { KafkaFrameDecoder() }
    }

    /// Request frames as a client writes them come out ready for `KafkaRequest.decode(frame:)`.
    @Test func requestFramesDecode() throws {
        let requests = KafkaRequestFuzzTests.sampleFrames().map { ByteBuffer(bytes: $0) }
        let pairs = requests.map { (Self.frame($0), [$0]) }
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) {
            KafkaFrameDecoder(maxFrameBytes: 4096)
        }
        for request in requests {
            #expect(throws: Never.self) { _ = try KafkaRequest.decode(frame: request) }
        }
    }

    @Test func frameAtTheLimitIsAccepted() throws {
        let payload = ByteBuffer(bytes: Array(repeating: 7, count: 64))
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: [(Self.frame(payload), [payload])]) {
            KafkaFrameDecoder(maxFrameBytes: 64)
        }
    }

    /// The size prefix alone is enough to refuse a frame: nothing else is waited for.
    @Test(arguments: [Int32(65), 1 << 20, Int32.max])
    func oversizedFrameIsRefusedOnItsPrefix(size: Int32) {
        var decoder = KafkaFrameDecoder(maxFrameBytes: 64)
        var buffer = ByteBuffer()
        buffer.writeInteger(size)
        let error = #expect(throws: KafkaDecodingError.self) { try decoder.decode(buffer: &buffer) }
        #expect(error?.code == .frameTooLarge)
        #expect(error?.message == "frame of \(size) bytes is over the 64-byte limit")
        #expect(buffer.readableBytes == 4)
    }

    @Test func negativeSizeIsRefused() {
        var decoder = KafkaFrameDecoder()
        var buffer = ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFE])
        let error = #expect(throws: KafkaDecodingError.self) { try decoder.decode(buffer: &buffer) }
        #expect(error?.code == .invalidLength)
    }

    @Test func partialFramesWait() throws {
        var decoder = KafkaFrameDecoder()
        var buffer = ByteBuffer(bytes: [0, 0, 0])
        #expect(try decoder.decode(buffer: &buffer) == nil)
        buffer.writeBytes([3, 1, 2])
        #expect(try decoder.decode(buffer: &buffer) == nil)
        #expect(try decoder.decodeLast(buffer: &buffer, seenEOF: true) == nil)
        buffer.writeBytes([3])
        #expect(try decoder.decode(buffer: &buffer) == ByteBuffer(bytes: [1, 2, 3]))
    }
}
