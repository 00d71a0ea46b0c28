import NIOCore
import Testing

@testable import KafkaProtocol

@Suite struct KafkaRequestTests {
    @Test func unknownAPIKeepsItsHeader() throws {
        var frame = ByteBuffer()
        KafkaRequestHeader(apiKey: KafkaAPIKey(rawValue: 99), apiVersion: 0, correlationID: 31, clientID: "x")
            .encode(into: &frame, headerVersion: 1)
        frame.writeBytes([1, 2, 3])
        let request = try KafkaRequest.decode(frame: frame)
        #expect(request.body == .unsupportedAPI)
        #expect(request.header.correlationID == 31)
        #expect(request.header.clientID == "x")
    }

    @Test func knownAPIWithoutCodecIsUnsupported() throws {
        // DescribeGroups is a known key, not (yet) served by this module.
        var frame = ByteBuffer()
        KafkaRequestHeader(apiKey: .describeGroups, apiVersion: 4, correlationID: 2, clientID: nil)
            .encode(into: &frame, headerVersion: 1)
        #expect(try KafkaRequest.decode(frame: frame).body == .unsupportedAPI)
    }

    @Test func unsupportedVersionKeepsItsHeaderEvenWithABrokenClientID() throws {
        // Produce v2 (below the served range) with a client id that runs past the frame.
        let frame = buffer([0, 0, 0, 2, 0, 0, 0, 77, 0x7F, 0xFF, 0x61])
        let request = try KafkaRequest.decode(frame: frame)
        #expect(request.header.correlationID == 77)
        #expect(request.header.clientID == nil)
        #expect(request.body == .unsupportedVersion(KafkaAPIVersions.range(for: .produce)!))
        // Fetch 12 (flexible, above the served range).
        let fetch = try KafkaRequest.decode(frame: buffer([0, 1, 0, 12, 0, 0, 0, 78, 0xFF, 0xFF, 0]))
        #expect(fetch.body == .unsupportedVersion(KafkaAPIVersions.range(for: .fetch)!))
    }

    @Test func framesShorterThanTheHeaderThrow() {
        for length in 0..<8 {
            #expect(throws: KafkaDecodingError.self) {
                _ = try KafkaRequest.decode(frame: buffer([0, 3, 0, 1, 0, 0, 0, 1].prefix(length).map { $0 }))
            }
        }
    }

    @Test func everySupportedVersionHasADecoder() {
        // A header-only frame for every served API and version decodes or throws a decoding
        // error; a supported range without a decoder would trap here.
        for range in KafkaAPIVersions.supported {
            for version in range.minimumVersion...range.maximumVersion {
                var frame = ByteBuffer()
                KafkaRequestHeader(apiKey: range.apiKey, apiVersion: version, correlationID: 1, clientID: nil)
                    .encode(
                        into: &frame,
                        headerVersion: KafkaAPIVersions.requestHeaderVersion(apiKey: range.apiKey, apiVersion: version)
                    )
                do {
                    let request = try KafkaRequest.decode(frame: frame)
                    #expect(request.body != .unsupportedAPI)
                } catch {
                    #expect(error is KafkaDecodingError)
                }
            }
        }
    }

    @Test func trailingBytesAfterTheBodyAreIgnored() throws {
        var frame = KafkaInitProducerIDRequest(transactionTimeoutMs: 5).encodeFrame(
            version: 1,
            correlationID: 4,
            clientID: nil
        )
        frame.moveReaderIndex(forwardBy: 4)
        frame.writeBytes([0xEE, 0xEE])
        #expect(
            try KafkaRequest.decode(frame: frame).body
                == .initProducerID(KafkaInitProducerIDRequest(transactionTimeoutMs: 5))
        )
    }
}
