import BrokerProtocol
import NIOCore
import Testing

/// What the broker's connection handler relies on when it splits frames itself (the checks of
/// the `FuzzRequests` harness, run on every sample request): `NIOSingleStepByteToMessageProcessor`
/// over ``FrameDecoder`` yields a frame only after its last byte, and `unprocessedBytes` is the
/// bytes of the unfinished frame (the frame timeout runs while it is not 0); and a fetch's
/// `maxBytes` sits at body offset 8, where the broker reads it to reserve in-flight bytes.
@Suite("request framing as the broker's connection handler does it")
struct RequestFramingTests {
    @Test(arguments: WireSamples.requests)
    func splitAnywhere(_ sample: MessageSample) throws {
        var framed = ByteBuffer()
        RequestFrame(
            header: RequestHeader(apiKey: sample.apiKey, apiVersion: 0, correlationID: 9),
            body: sample.encoded
        )
        .write(into: &framed)
        let total = framed.readableBytes
        for split in 0...total {
            var stream = framed
            let first = stream.readSlice(length: split)!
            let processor = NIOSingleStepByteToMessageProcessor(FrameDecoder())
            var payloads: [ByteBuffer] = []
            try processor.process(buffer: first) { payloads.append($0) }
            #expect(payloads.count == (split == total ? 1 : 0))
            #expect(processor.unprocessedBytes == (split == total ? 0 : split))
            try processor.process(buffer: stream) { payloads.append($0) }
            #expect(payloads.count == 1)
            #expect(processor.unprocessedBytes == 0)
            let frame = try RequestFrame(payload: payloads[0])
            #expect(frame.body == sample.encoded && frame.header.correlationID == 9)
        }
    }

    @Test func fetchMaxBytesIsAtBodyOffset8() throws {
        for sample in WireSamples.requests where sample.apiKey == .fetch {
            let request = try FetchRequest.decode(sample.encoded)
            let peeked = sample.encoded.getInteger(at: sample.encoded.readerIndex + 8, as: UInt32.self)
            #expect(peeked == request.maxBytes)
        }
        let request = FetchRequest(maxWaitMilliseconds: 1, minBytes: 2, maxBytes: 0xDEAD_BEEF, topics: [])
        #expect(request.encoded().getInteger(at: 8, as: UInt32.self) == 0xDEAD_BEEF)
    }
}
