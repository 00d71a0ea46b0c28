import BrokerProtocol
import NIOCore

/// The body of the `FuzzFrames` fuzzer: one input is a byte stream arriving on a connection.
///
/// Byte 0 seeds the sizes of the chunks the rest arrives in. The stream goes through
/// ``FrameDecoder`` (limit ``maxFrameBytes``) chunk by chunk, as `ByteToMessageHandler` would feed
/// it; every frame is parsed as a ``RequestFrame``, its body decoded as the request of its API key
/// and, independently, as that API's response, and whatever decodes is encoded again.
///
/// Oracles (a trap stops the fuzzer): every error is a ``ProtocolError``, `frameTooLarge` from the
/// decoder and `malformedRequest` from the parsers; the chunked decode yields exactly the frames
/// (and the error) of decoding the whole stream at once; a decoded message re-encodes to the bytes
/// it came from (a produce entry's unused flag bits aside) and decodes again to an equal message;
/// a request frame re-encodes to its own bytes.
public enum FrameHarness {
    /// The frame size limit the harness decodes with: small, so that inputs reach it.
    public static let maxFrameBytes = 1024

    public static func run(_ bytes: UnsafeRawBufferPointer) {
        guard let seed = bytes.first else { return }
        let stream = ByteBuffer(bytes: bytes.dropFirst())
        let chunked = decodeFrames(stream, chunkSeed: seed)
        let whole = decodeFrames(stream, chunkSeed: nil)
        precondition(chunked.payloads == whole.payloads, "chunking changed the frames")
        precondition(chunked.error == whole.error, "chunking changed the error")
        for payload in chunked.payloads {
            parse(payload)
        }
    }

    /// What a connection's decoder produced from a stream: frame payloads, then perhaps an error
    /// (after which the connection closes and the rest of the stream is ignored).
    struct Decoded {
        var payloads: [ByteBuffer] = []
        var error: ProtocolError?
    }

    /// Feeds `stream` to a ``FrameDecoder`` in chunks sized by a generator seeded with `chunkSeed`
    /// (`nil`: all at once), decoding after every chunk and once more at end of stream.
    static func decodeFrames(_ stream: ByteBuffer, chunkSeed: UInt8?) -> Decoded {
        var decoder = FrameDecoder(maxFrameBytes: maxFrameBytes)
        var decoded = Decoded()
        var received = ByteBuffer()
        var remaining = stream
        var generator = ChunkSizes(seed: chunkSeed)
        do {
            while remaining.readableBytes > 0 {
                let size = min(remaining.readableBytes, generator.next())
                var chunk = remaining.readSlice(length: size)!
                received.writeBuffer(&chunk)
                while let payload = try decoder.decode(buffer: &received) {
                    checkPayload(payload)
                    decoded.payloads.append(payload)
                }
                received.discardReadBytes()
            }
            while let payload = try decoder.decodeLast(buffer: &received, seenEOF: true) {
                checkPayload(payload)
                decoded.payloads.append(payload)
            }
        } catch let error as ProtocolError {
            precondition(error.code == .frameTooLarge, "FrameDecoder threw \(error)")
            decoded.error = error
        } catch {
            preconditionFailure("FrameDecoder threw \(type(of: error)): \(error)")
        }
        return decoded
    }

    static func checkPayload(_ payload: ByteBuffer) {
        precondition(payload.readableBytes <= maxFrameBytes, "a frame over the limit got through")
    }

    /// Parses one frame payload as a request frame and its body as the request and the response
    /// of its API key.
    static func parse(_ payload: ByteBuffer) {
        let frame: RequestFrame
        do {
            frame = try RequestFrame(payload: payload)
        } catch {
            expectMalformed(error, "RequestFrame")
            precondition(payload.readableBytes < Frame.requestHeaderBytes, "a full header did not parse")
            return
        }
        var again = ByteBuffer()
        frame.write(into: &again)
        precondition(again.readInteger(as: UInt32.self) == UInt32(payload.readableBytes))
        precondition(again == payload, "a request frame re-encodes to other bytes")

        if let response = try? ResponseFrame(payload: payload) {
            _ = response.errorMessage
            if let push = try? PushFrame(response) {
                var again = ByteBuffer()
                push.responseFrame.write(into: &again)
                precondition(again.readInteger(as: UInt32.self) == UInt32(payload.readableBytes))
                precondition(again == payload, "a push re-encodes to another frame")
                _ = APIDecoders.response(push.apiKey, version: push.version, push.body)
            }
        }
        let apiKey = frame.header.apiKey
        let isRequest = APIDecoders.request(apiKey, frame.body)
        let isResponse = APIDecoders.response(apiKey, version: frame.header.apiVersion, frame.body)
        let isKnown = ProtocolVersions.range(of: apiKey) != nil
        precondition(isRequest == isKnown, "\(apiKey): served \(isKnown), request decoder \(isRequest)")
        let isPush = ProtocolVersions.pushes.contains { $0.apiKey == apiKey }
        precondition(isResponse == (isKnown || isPush), "\(apiKey): response decoder \(isResponse)")
    }

    /// Decodes `body` as `Message` (at `version` when given); what decodes must encode back to
    /// `body` (when `isByteExact`: produce flags keep only bit 0, and a fetch response's null
    /// records come back empty) and decode again to an equal message. A decoder may throw only
    /// `malformedRequest`, or `refusing` when given.
    static func roundTrip<Message: WireMessage & Hashable>(
        _ type: Message.Type,
        _ body: ByteBuffer,
        version: UInt16? = nil,
        isByteExact: Bool = true,
        refusing: ErrorCode? = nil
    ) {
        func decode(_ bytes: ByteBuffer) throws -> Message {
            if let version { try Message.decode(bytes, version: version) } else { try Message.decode(bytes) }
        }
        let message: Message
        do {
            message = try decode(body)
        } catch let error as ProtocolError where refusing != nil && error.code == refusing {
            return
        } catch {
            expectMalformed(error, "\(Message.self)")
            return
        }
        let encoded = message.encoded()
        if isByteExact {
            precondition(encoded == body, "\(Message.self) re-encodes to other bytes")
        } else {
            precondition(encoded.readableBytes <= body.readableBytes, "\(Message.self) re-encodes longer")
        }
        do {
            let again = try decode(encoded)
            precondition(again == message, "\(Message.self) changed in a round trip")
        } catch {
            preconditionFailure("a re-encoded \(Message.self) does not decode: \(error)")
        }
    }

    static func expectMalformed(_ error: any Error, _ context: String) {
        guard let error = error as? ProtocolError else {
            preconditionFailure("\(context) threw \(type(of: error)) instead of ProtocolError: \(error)")
        }
        precondition(error.code == .malformedRequest, "\(context) threw \(error)")
    }
}

/// Chunk sizes for a stream: 1-16 bytes mostly, sometimes up to 512, from an xorshift generator;
/// with no seed, one chunk of everything.
struct ChunkSizes {
    private var state: UInt32?

    init(seed: UInt8?) {
        state = seed.map { UInt32($0) &* 0x9E37_79B9 | 1 }
    }

    mutating func next() -> Int {
        guard var x = state else { return .max }
        x ^= x << 13
        x ^= x >> 17
        x ^= x << 5
        state = x
        return x % 8 == 0 ? 1 + Int((x >> 8) % 512) : 1 + Int((x >> 8) % 16)
    }
}
