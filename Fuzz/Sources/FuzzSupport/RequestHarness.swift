import BrokerProtocol
import NIOCore

/// The body of the `FuzzRequests` fuzzer: one input is one request body of one API, decoded by
/// that API's request decoder, the way the broker decodes what a client sends.
///
/// Byte 0 picks the API (an index into ``ProtocolVersions/supported``, modulo its count: every
/// request decoder is reached); the rest is the body. Unlike ``FrameHarness`` the body is not
/// capped by a small frame limit, so long arrays and strings are reached.
///
/// Oracles (a trap stops the fuzzer): a decoder throws only ``ProtocolError`` `malformedRequest`;
/// what decodes re-encodes to the same bytes (a produce entry's unused flag bits aside) and decodes
/// again to an equal message; the fetch `maxBytes` the broker reads at a fixed position to reserve
/// in-flight bytes before decoding is the decoded one; and the same body inside a frame, fed to
/// the broker's frame splitting (`FrameDecoder` through `NIOSingleStepByteToMessageProcessor`, as
/// the connection handler uses it) in two pieces, yields exactly that body and nothing buffered.
public enum RequestHarness {
    public static func run(_ bytes: UnsafeRawBufferPointer) {
        guard let selector = bytes.first else { return }
        let supported = ProtocolVersions.supported
        let apiKey = supported[Int(selector) % supported.count].apiKey
        let body = ByteBuffer(bytes: bytes.dropFirst())
        precondition(APIDecoders.request(apiKey, body), "\(apiKey) is served but has no request decoder in the harness")
        if apiKey == .fetch { checkFetchReservation(body) }
        checkFraming(apiKey, body, split: Int(selector))
    }

    /// The broker reserves a fetch's `maxBytes` read at body offset 8 before decoding the body.
    static func checkFetchReservation(_ body: ByteBuffer) {
        guard let request = try? FetchRequest.decode(body) else { return }
        let peeked = body.getInteger(at: body.readerIndex + 8, as: UInt32.self)
        precondition(peeked == request.maxBytes, "fetch maxBytes is not at body offset 8")
    }

    /// The body framed as a request, split in two at `split`, through the broker's frame splitting.
    static func checkFraming(_ apiKey: APIKey, _ body: ByteBuffer, split: Int) {
        var stream = ByteBuffer()
        RequestFrame(header: RequestHeader(apiKey: apiKey, apiVersion: 0, correlationID: 1), body: body)
            .write(into: &stream)
        let total = stream.readableBytes
        let first = stream.readSlice(length: min(split, total))!
        let processor = NIOSingleStepByteToMessageProcessor(FrameDecoder(maxFrameBytes: 1 << 24))
        var payloads: [ByteBuffer] = []
        do {
            try processor.process(buffer: first) { payloads.append($0) }
            precondition(payloads.isEmpty || stream.readableBytes == 0, "a frame came out before its end")
            precondition(processor.unprocessedBytes == first.readableBytes - (payloads.isEmpty ? 0 : total))
            try processor.process(buffer: stream) { payloads.append($0) }
        } catch {
            preconditionFailure("framing a \(body.readableBytes)-byte body failed: \(error)")
        }
        precondition(payloads.count == 1, "\(payloads.count) frames from one")
        precondition(processor.unprocessedBytes == 0, "bytes left after a whole frame")
        let frame = try! RequestFrame(payload: payloads[0])
        precondition(frame.body == body && frame.header.apiKey == apiKey, "the frame changed the body")
    }
}
