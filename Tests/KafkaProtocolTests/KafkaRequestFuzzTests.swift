import NIOCore
import Testing

@testable import KafkaProtocol

/// SplitMix64: a small seeded generator, so every run checks the same inputs.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random and mutated frames through `KafkaRequest.decode(frame:)`, with the oracles of the
/// `FuzzKafkaRequests` libFuzzer harness: only `KafkaDecodingError` is thrown, and a decoded
/// request re-encodes to a frame that decodes to an equal request.
@Suite struct KafkaRequestFuzzTests {
    /// Valid frames (without size prefix) of every served API at every version.
    static func sampleFrames() -> [[UInt8]] {
        var frames: [[UInt8]] = []
        func add<Body: KafkaRequestBody>(_ body: Body, _ version: Int16) {
            var frame = body.encodeFrame(version: version, correlationID: 11, clientID: "fuzz")
            frame.moveReaderIndex(forwardBy: 4)
            frames.append(bytes(frame))
        }
        for version in supportedVersions(.apiVersions) {
            add(
                KafkaAPIVersionsRequest(clientSoftwareName: version >= 3 ? "a" : "", clientSoftwareVersion: ""),
                version
            )
        }
        for version in supportedVersions(.metadata) {
            add(KafkaMetadataCodecTests.request(version: version, topics: ["t", "u"]), version)
        }
        for version in supportedVersions(.produce) { add(KafkaProduceCodecTests.request, version) }
        for version in supportedVersions(.fetch) { add(KafkaFetchCodecTests.request(version: version), version) }
        for version in supportedVersions(.listOffsets) {
            add(KafkaListOffsetsCodecTests.request(version: version), version)
        }
        for version in supportedVersions(.initProducerID) {
            add(KafkaInitProducerIDRequest(transactionalID: "x", transactionTimeoutMs: 1), version)
        }
        return frames
    }

    /// Decodes `frame` and checks the oracles; returns whether it decoded to a typed request.
    @discardableResult
    static func check(_ frame: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        let request: KafkaRequest
        do {
            request = try KafkaRequest.decode(frame: buffer(frame))
        } catch is KafkaDecodingError {
            return false
        } catch {
            Issue.record("\(frame) threw \(error)", sourceLocation: sourceLocation)
            return false
        }
        let version = request.header.apiVersion
        let reencoded = request.message?.encodeFrame(
            version: version,
            correlationID: request.header.correlationID,
            clientID: request.header.clientID
        )
        if var reencoded {
            reencoded.moveReaderIndex(forwardBy: 4)
            do {
                let again = try KafkaRequest.decode(frame: reencoded)
                #expect(again == request, "\(frame) re-encoded", sourceLocation: sourceLocation)
            } catch {
                Issue.record("\(frame) re-encoded does not decode: \(error)", sourceLocation: sourceLocation)
            }
            return true
        }
        #expect(frame.count >= 8, sourceLocation: sourceLocation)
        return false
    }

    @Test func samplesDecode() {
        let frames = Self.sampleFrames()
        #expect(frames.count == 4 + 9 + 6 + 8 + 6 + 2)
        for frame in frames {
            #expect(Self.check(frame))
        }
    }

    @Test func randomFramesOfServedAPIs() {
        var generator = SeededGenerator(state: 0x5EED_0001)
        let served = KafkaAPIVersions.supported
        var decoded = 0
        for _ in 0..<3_000 {
            let range = served.randomElement(using: &generator)!
            let version = Int16.random(in: (range.minimumVersion - 1)...(range.maximumVersion + 1), using: &generator)
            var frame: [UInt8] = [UInt8(range.apiKey.rawValue >> 8), UInt8(truncatingIfNeeded: range.apiKey.rawValue)]
            frame += [UInt8(truncatingIfNeeded: version >> 8), UInt8(truncatingIfNeeded: version), 0, 0, 0, 1]
            // A null client id, and empty header tags for a flexible version.
            frame += [0xFF, 0xFF]
            if KafkaAPIVersions.requestHeaderVersion(apiKey: range.apiKey, apiVersion: version) == 2 { frame.append(0) }
            let length = Int.random(in: 0..<120, using: &generator)
            for _ in 0..<length {
                // Mostly small bytes, so counts and lengths are often plausible.
                let small = Bool.random(using: &generator)
                frame.append(
                    small ? UInt8.random(in: 0...3, using: &generator) : UInt8.random(in: 0...255, using: &generator)
                )
            }
            if Self.check(frame) { decoded += 1 }
        }
        // Some inputs decode to typed requests, so the round-trip oracle is exercised.
        #expect(decoded > 100, "\(decoded) typed requests")
    }

    @Test func mutatedValidFrames() {
        var generator = SeededGenerator(state: 0x5EED_0002)
        let frames = Self.sampleFrames()
        var decoded = 0
        for _ in 0..<4_000 {
            var frame = frames.randomElement(using: &generator)!
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let position = Int.random(in: 0..<frame.count, using: &generator)
                switch Int.random(in: 0..<5, using: &generator) {
                case 0: frame[position] = UInt8.random(in: 0...255, using: &generator)
                case 1: frame[position] = 0xFF
                case 2: frame[position] = 0x7F
                case 3: frame.removeSubrange(position..<frame.count)
                default: frame.insert(UInt8.random(in: 0...255, using: &generator), at: position)
                }
                if frame.isEmpty { break }
            }
            if Self.check(frame) { decoded += 1 }
        }
        #expect(decoded > 100, "\(decoded) typed requests")
    }
}
