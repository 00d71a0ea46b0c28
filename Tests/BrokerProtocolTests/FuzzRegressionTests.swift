import BrokerProtocol
import NIOCore
import Testing

/// The checks of the `FuzzFrames` libFuzzer harness (`Fuzz/Sources/FuzzSupport/FrameHarness.swift`,
/// see `docs/FUZZING.md`), run on seeded random inputs so that every `swift test` exercises them
/// without libFuzzer, and inputs that once broke a decoder.
///
/// The fuzzer found no crash (see docs/FUZZING.md). The one bug its writing turned up — an error
/// message quoting a 65,534-byte topic name trapped `writeWireString` — is pinned by
/// `WireCodingTests.longErrorMessagesAreCutToFit`, since the fuzzer's 1 KiB frames cannot reach it.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    /// 400 streams of valid request frames, damaged by random mutations, fed in random chunks.
    @Test(arguments: 0..<4)
    func mutatedStreamsDecodeOrThrowProtocolErrors(_ batch: Int) throws {
        try Self.checkMutatedStreams(of: WireSamples.requests, seed: UInt64(batch) &* 0x9E37_79B9_7F4A_7C15 &+ 1)
    }

    /// 100 streams of 1-4 frames of `samples`, damaged by random mutations, fed in random chunks.
    static func checkMutatedStreams(of samples: [MessageSample], seed: UInt64) throws {
        var generator = SplitMix64(seed: seed)
        let frames = samples.enumerated().map { index, sample in
            var bytes = ByteBuffer()
            RequestFrame(
                header: RequestHeader(apiKey: sample.apiKey, apiVersion: 0, correlationID: UInt32(index)),
                body: sample.encoded
            ).write(into: &bytes)
            return Array(bytes.readableBytesView)
        }
        for _ in 0..<100 {
            var stream: [UInt8] = []
            for _ in 0..<(1 + generator.next(below: 4)) {
                stream += frames[generator.next(below: frames.count)]
            }
            mutate(&stream, with: &generator)
            try check(stream, chunkSeed: &generator)
        }
    }

    /// Random bytes, mostly not frames at all.
    @Test func randomBytesDecodeOrThrowProtocolErrors() throws {
        var generator = SplitMix64(seed: 42)
        for _ in 0..<200 {
            let length = generator.next(below: 300)
            var stream = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            // Make a length prefix plausible half of the time, so that frames come out.
            if stream.count >= 4, generator.next(below: 2) == 0 {
                let length = UInt32(generator.next(below: stream.count - 3))
                stream.replaceSubrange(0..<4, with: withUnsafeBytes(of: length.bigEndian, Array.init))
            }
            try Self.check(stream, chunkSeed: &generator)
        }
    }

    // MARK: The harness

    static let maxFrameBytes = 1024

    /// Decodes `stream` in random chunks and at once (same frames, same error), then parses every
    /// frame as a request frame and its body as the request and the response of its API key.
    static func check(_ stream: [UInt8], chunkSeed generator: inout SplitMix64) throws {
        let chunked = try decodeFrames(stream) { min($0, 1 + generator.next(below: 24)) }
        let whole = try decodeFrames(stream) { $0 }
        #expect(chunked.payloads == whole.payloads)
        #expect(chunked.error == whole.error)
        for payload in chunked.payloads {
            #expect(payload.readableBytes <= maxFrameBytes)
            let frame: RequestFrame
            do {
                frame = try RequestFrame(payload: payload)
            } catch let error as ProtocolError {
                #expect(error.code == .malformedRequest)
                #expect(payload.readableBytes < Frame.requestHeaderBytes)
                continue
            }
            var again = ByteBuffer()
            frame.write(into: &again)
            #expect(again.readInteger(as: UInt32.self) == UInt32(payload.readableBytes))
            #expect(again == payload)
            let samples = WireSamples.all.filter { $0.apiKey == frame.header.apiKey }
            #expect(!samples.isEmpty || ProtocolVersions.range(of: frame.header.apiKey) == nil)
            // One sample per message type is enough to reach its decoder.
            var seen = Set<Bool>()
            for sample in samples where seen.insert(sample.isRequest).inserted {
                try roundTrip(frame.body, sample)
            }
        }
    }

    /// What decodes re-encodes to the same bytes (a produce entry's unused flag bits and a fetch
    /// response's null records aside) and decodes again to an equal message.
    static func roundTrip(_ body: ByteBuffer, _ sample: MessageSample) throws {
        let message: any WireMessage
        do {
            message = try sample.decode(body)
        } catch let error as ProtocolError {
            // The schedule requests refuse well-formed values out of their range (an id too long, a
            // list limit over 1,000) with invalidRequest, which keeps the connection open.
            let outOfRange = sample.isRequest && ScheduleWireSamples.apiKeys.contains(sample.apiKey)
            #expect(error.code == .malformedRequest || (outOfRange && error.code == .invalidRequest))
            return
        }
        let encoded = message.encoded()
        let isByteExact = !(message is ProduceRequest || message is FetchResponse)
        #expect(isByteExact ? encoded == body : encoded.readableBytes == body.readableBytes, "\(sample.name)")
        let again = try sample.decode(encoded)
        #expect(again.encoded() == encoded, "\(sample.name)")
    }

    /// Feeds `stream` to a `FrameDecoder` in chunks of `chunkSize(bytesLeft)` bytes.
    static func decodeFrames(
        _ stream: [UInt8],
        chunkSize: (Int) -> Int
    ) throws -> (payloads: [ByteBuffer], error: ProtocolError?) {
        var decoder = FrameDecoder(maxFrameBytes: maxFrameBytes)
        var payloads: [ByteBuffer] = []
        var received = ByteBuffer()
        var remaining = stream[...]
        do {
            while !remaining.isEmpty {
                let size = chunkSize(remaining.count)
                received.writeBytes(remaining.prefix(size))
                remaining = remaining.dropFirst(size)
                while let payload = try decoder.decode(buffer: &received) { payloads.append(payload) }
            }
            while let payload = try decoder.decodeLast(buffer: &received, seenEOF: true) { payloads.append(payload) }
        } catch let error as ProtocolError {
            #expect(error.code == .frameTooLarge)
            return (payloads, error)
        }
        return (payloads, nil)
    }

    static func mutate(_ bytes: inout [UInt8], with generator: inout SplitMix64) {
        for _ in 0..<(1 + generator.next(below: 4)) where !bytes.isEmpty {
            let position = generator.next(below: bytes.count)
            switch generator.next(below: 5) {
            case 0: bytes[position] ^= UInt8(1) << UInt8(generator.next(below: 8))
            case 1: bytes[position] = [0x00, 0xFF, 0x7F, 0x80][generator.next(below: 4)]
            case 2: bytes.removeSubrange(position...)
            case 3: bytes.insert(UInt8(truncatingIfNeeded: generator.next()), at: position)
            default: bytes.replaceSubrange(position..<min(bytes.count, position + 4), with: [0xFF, 0xFF, 0xFF, 0xFF])
            }
        }
    }
}

/// A small, seeded generator (SplitMix64), so that every run checks the same inputs.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func next(below bound: Int) -> Int {
        Int(next() % UInt64(bound))
    }
}
