import BrokerProtocol
import NIOCore
import Testing

/// `RequestFrame` and `ResponseFrame`: their bytes, and round trips through `FrameDecoder`.
@Suite("Frames")
struct FrameTests {
    @Test func headerSizes() {
        #expect(Frame.lengthPrefixBytes == 4)
        #expect(Frame.requestHeaderBytes == 8)
        #expect(Frame.responseHeaderBytes == 6)
    }

    @Test func requestFrameBytes() {
        let frame = RequestFrame(
            header: RequestHeader(apiKey: .fetch, apiVersion: 0x0102, correlationID: 0xA0B0_C0D0),
            body: ByteBuffer(bytes: [0xEE, 0xFF])
        )
        var bytes = ByteBuffer()
        frame.write(into: &bytes)
        #expect(bytes.hexString == "0000000a" + "0002" + "0102" + "a0b0c0d0" + "eeff")
    }

    @Test func responseFrameBytes() {
        let frame = ResponseFrame(correlationID: 7, body: ByteBuffer(bytes: [0x01]))
        var bytes = ByteBuffer()
        frame.write(into: &bytes)
        #expect(bytes.hexString == "00000007" + "00000007" + "0000" + "01")

        let error = ResponseFrame(correlationID: 0, error: .frameTooLarge, message: "big")
        var errorBytes = ByteBuffer()
        error.write(into: &errorBytes)
        #expect(errorBytes.hexString == "0000000b" + "00000000" + "0005" + "0003626967")
    }

    /// Every request sample, in a frame with extreme header values, comes back through the decoder.
    @Test(
        arguments: [
            RequestHeader(apiKey: .produce, apiVersion: 0, correlationID: 0),
            RequestHeader(apiKey: APIKey(rawValue: .max), apiVersion: .max, correlationID: .max),
            RequestHeader(apiKey: APIKey(rawValue: 20), apiVersion: 1, correlationID: 1 << 31),
        ]
    )
    func requestFrameRoundTrip(_ header: RequestHeader) throws {
        for sample in WireSamples.requests {
            let frame = RequestFrame(header: header, body: sample.encoded)
            let payload = try Self.decodeOneFrame(frame.write(into:))
            let parsed = try RequestFrame(payload: payload)
            #expect(parsed.header == header)
            #expect(parsed.body == sample.encoded)
            #expect(sample.isOriginal(try sample.decode(parsed.body)))
        }
    }

    @Test func responseFrameRoundTrip() throws {
        for (index, sample) in WireSamples.responses.enumerated() {
            let correlationID = UInt32.max - UInt32(index)
            let frame = ResponseFrame(correlationID: correlationID, body: sample.encoded)
            let parsed = try ResponseFrame(payload: try Self.decodeOneFrame(frame.write(into:)))
            #expect(parsed.correlationID == correlationID)
            #expect(parsed.errorCode == .none)
            #expect(parsed.errorMessage == nil)
            #expect(sample.isOriginal(try sample.decode(parsed.body)))
        }
    }

    /// A request-level error carries its code and a message string instead of the API's body.
    @Test(arguments: [ErrorCode.unsupportedAPI, .unsupportedVersion, .malformedRequest, .frameTooLarge, .shuttingDown])
    func errorResponseRoundTrip(_ code: ErrorCode) throws {
        let message = "\(code) — \(WireSamples.unicode)"
        let frame = ResponseFrame(correlationID: 42, error: code, message: message)
        let parsed = try ResponseFrame(payload: try Self.decodeOneFrame(frame.write(into:)))
        #expect(parsed.correlationID == 42)
        #expect(parsed.errorCode == code)
        #expect(parsed.errorMessage == message)
        var body = parsed.body
        #expect(try body.readWireString() == message)
        try body.expectFullyRead("error body")
    }

    /// A code this build does not know still parses, so that a newer broker's errors reach the caller.
    @Test func unknownErrorCodeParses() throws {
        let parsed = try ResponseFrame(payload: ByteBuffer(hex: "00000001 7fff 0002 6869"))
        #expect(parsed.errorCode.rawValue == .max)
        #expect(parsed.errorCode.description == "error 32767")
        #expect(parsed.errorMessage == "hi")
    }

    /// An error body that is not a string gives no message rather than a trap.
    @Test func malformedErrorBodyHasNoMessage() throws {
        let parsed = try ResponseFrame(payload: ByteBuffer(hex: "00000001 0002 00ff 68"))
        #expect(parsed.errorCode == .malformedRequest)
        #expect(parsed.errorMessage == nil)
    }

    @Test func shortHeadersThrow() {
        let request = ByteBuffer(hex: "0001 0000 00000005")
        for length in 0..<8 {
            let error = #expect(throws: ProtocolError.self) {
                try RequestFrame(payload: request.getSlice(at: 0, length: length)!)
            }
            #expect(error == ProtocolError(.malformedRequest, "a request frame needs an 8-byte header"))
        }
        let response = ByteBuffer(hex: "00000005 0000")
        for length in 0..<6 {
            let error = #expect(throws: ProtocolError.self) {
                try ResponseFrame(payload: response.getSlice(at: 0, length: length)!)
            }
            #expect(error == ProtocolError(.malformedRequest, "a response frame needs a 6-byte header"))
        }
    }

    /// A header alone is a request with an empty body.
    @Test func headerOnlyRequest() throws {
        let parsed = try RequestFrame(payload: ByteBuffer(hex: "0005 0000 00000009"))
        #expect(parsed.header == RequestHeader(apiKey: .listTopics, apiVersion: 0, correlationID: 9))
        #expect(parsed.body.readableBytes == 0)
        #expect(try ListTopicsRequest.decode(parsed.body) == ListTopicsRequest())
    }

    /// Writes a frame with `write`, runs the bytes through `FrameDecoder` and returns the one payload.
    static func decodeOneFrame(_ write: (inout ByteBuffer) -> Void) throws -> ByteBuffer {
        var bytes = ByteBuffer()
        write(&bytes)
        var decoder = FrameDecoder()
        let payload = try #require(try decoder.decode(buffer: &bytes))
        #expect(bytes.readableBytes == 0)
        return payload
    }
}
