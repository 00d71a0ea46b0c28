import NIOCore
import Testing

@testable import KafkaProtocol

@Suite struct KafkaAPIVersionsCodecTests {
    @Test(arguments: supportedVersions(.apiVersions))
    func requestRoundTrips(version: Int16) throws {
        let request =
            version >= 3
            ? KafkaAPIVersionsRequest(clientSoftwareName: "confluent-kafka-python", clientSoftwareVersion: "2.6.0")
            : KafkaAPIVersionsRequest()
        if version >= 3 {
            try checkRequest(request, version: version) { if case .apiVersions(let r) = $0 { r } else { nil } }
        } else {
            // An empty body: only the frame checks apply (every prefix of an empty body is none).
            var encoded = ByteBuffer()
            request.encode(into: &encoded, version: version)
            #expect(encoded.readableBytes == 0)
            var frame = request.encodeFrame(version: version, correlationID: 3, clientID: nil)
            frame.moveReaderIndex(forwardBy: 4)
            #expect(try KafkaRequest.decode(frame: frame).body == .apiVersions(request))
        }
    }

    @Test(arguments: supportedVersions(.apiVersions))
    func responseRoundTrips(version: Int16) throws {
        let response = KafkaAPIVersionsResponse(
            apiKeys: KafkaAPIVersions.supported,
            throttleTimeMs: version >= 1 ? 25 : 0
        )
        try checkResponse(response, version: version)
        try checkResponse(KafkaAPIVersionsResponse(errorCode: .unsupportedVersion, apiKeys: []), version: version)
    }

    @Test func requestGoldenBytesV0() throws {
        // Size 11; header v1: key 18, version 0, correlation 1, client id "k"; empty body.
        let golden: [UInt8] = [0, 0, 0, 11, 0x00, 0x12, 0x00, 0x00, 0, 0, 0, 1, 0x00, 0x01, 0x6B]
        #expect(bytes(KafkaAPIVersionsRequest().encodeFrame(version: 0, correlationID: 1, clientID: "k")) == golden)
        let request = try KafkaRequest.decode(frame: buffer(Array(golden.dropFirst(4))))
        #expect(request.header.correlationID == 1)
        #expect(request.body == .apiVersions(KafkaAPIVersionsRequest()))
    }

    @Test func requestGoldenBytesV3() throws {
        // Header v2 (the client id keeps its INT16 length, then empty tagged fields), then
        // COMPACT_STRING "kc", COMPACT_STRING "1.0", empty tagged fields.
        let golden: [UInt8] = [
            0, 0, 0, 20,
            0x00, 0x12, 0x00, 0x03, 0, 0, 0, 1, 0x00, 0x01, 0x6B, 0x00,
            0x03, 0x6B, 0x63, 0x04, 0x31, 0x2E, 0x30, 0x00,
        ]
        let request = KafkaAPIVersionsRequest(clientSoftwareName: "kc", clientSoftwareVersion: "1.0")
        #expect(bytes(request.encodeFrame(version: 3, correlationID: 1, clientID: "k")) == golden)
        #expect(try KafkaRequest.decode(frame: buffer(Array(golden.dropFirst(4)))).body == .apiVersions(request))
    }

    @Test func responseGoldenBytesV0AndV3() throws {
        let response = KafkaAPIVersionsResponse(
            apiKeys: [KafkaAPIVersions.Range(apiKey: .apiVersions, minimumVersion: 0, maximumVersion: 3)]
        )
        // v0: size 16, correlation 1, error 0, ARRAY of 1 (18, 0, 3).
        let v0: [UInt8] = [0, 0, 0, 16, 0, 0, 0, 1, 0x00, 0x00, 0, 0, 0, 1, 0x00, 0x12, 0x00, 0x00, 0x00, 0x03]
        #expect(bytes(response.encodeFrame(version: 0, correlationID: 1)) == v0)
        // v3: header v0 (no tagged fields), error 0, COMPACT_ARRAY of 1 (18, 0, 3, tags),
        // throttle 0, tags.
        let v3: [UInt8] = [
            0, 0, 0, 19, 0, 0, 0, 1,
            0x00, 0x00, 0x02, 0x00, 0x12, 0x00, 0x00, 0x00, 0x03, 0x00, 0, 0, 0, 0, 0x00,
        ]
        #expect(bytes(response.encodeFrame(version: 3, correlationID: 1)) == v3)
        let (header, decoded) = try KafkaAPIVersionsResponse.decodeFrame(buffer(Array(v3.dropFirst(4))), version: 3)
        #expect(header.correlationID == 1)
        #expect(decoded == response)
    }

    @Test func responseV3SkipsUnknownTaggedFields() throws {
        // A v3 body from a real Kafka broker carries SupportedFeatures (tag 0) and others.
        let body: [UInt8] = [
            0x00, 0x00, 0x02, 0x00, 0x12, 0x00, 0x00, 0x00, 0x04,
            0x01, 0x07, 0x02, 0xAA, 0xBB,  // an entry with one tagged field
            0, 0, 0, 0,
            0x02, 0x00, 0x01, 0x01, 0x01, 0x01, 0x02,  // tags 0 and 1
        ]
        var reader = KafkaReader(buffer(body))
        let decoded = try KafkaAPIVersionsResponse(from: &reader, version: 3)
        #expect(decoded.apiKeys == [KafkaAPIVersions.Range(apiKey: .apiVersions, minimumVersion: 0, maximumVersion: 4)])
        #expect(reader.isAtEnd)
    }

    @Test func unsupportedVersionIsAnsweredInV0WithTheFullList() throws {
        // A client asks ApiVersions v4 (kafka-python 2.2 does).
        var frame = ByteBuffer()
        KafkaRequestHeader(apiKey: .apiVersions, apiVersion: 4, correlationID: 9, clientID: "kafka-python")
            .encode(into: &frame, headerVersion: 2)
        frame.writeBytes([0x03, 0x6B, 0x70, 0x02, 0x32, 0x00])
        let request = try KafkaRequest.decode(frame: frame)
        #expect(request.header.correlationID == 9)
        #expect(request.header.clientID == "kafka-python")
        guard case .unsupportedVersion(let range) = request.body else {
            Issue.record("expected unsupportedVersion, got \(request.body)")
            return
        }
        #expect(range.maximumVersion == 3)

        let answer = KafkaAPIVersionsResponse.unsupportedVersion()
        var encoded = answer.encodeFrame(version: 0, correlationID: request.header.correlationID)
        encoded.moveReaderIndex(forwardBy: 4)
        let (header, decoded) = try KafkaAPIVersionsResponse.decodeFrame(encoded, version: 0)
        #expect(header.correlationID == 9)
        #expect(decoded.errorCode == .unsupportedVersion)
        #expect(decoded.errorCode.rawValue == 35)
        #expect(decoded.apiKeys == KafkaAPIVersions.supported)
    }

    @Test func hostileInputThrows() {
        // v3: a compact string of 2^32-2 bytes.
        let name = bodyDecodingError(KafkaAPIVersionsRequest.self, version: 3, [0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00])
        #expect(name?.field == "ApiVersionsRequest.ClientSoftwareName")
        // A response announcing 2^31-1 API keys with 6 bytes left.
        var reader = KafkaReader(buffer([0, 0, 0x7F, 0xFF, 0xFF, 0xFF, 0, 18, 0, 0, 0, 3]))
        #expect(throws: KafkaDecodingError.self) { try KafkaAPIVersionsResponse(from: &reader, version: 0) }
        // A range whose minimum is above its maximum.
        var inverted = KafkaReader(buffer([0, 0, 0, 0, 0, 1, 0, 18, 0, 3, 0, 0]))
        #expect(throws: KafkaDecodingError.self) { try KafkaAPIVersionsResponse(from: &inverted, version: 0) }
        // A codec called with a version it does not serve.
        #expect(bodyDecodingError(KafkaAPIVersionsRequest.self, version: 4, [])?.code == .invalidValue)
    }

    @Test func clientSoftwareIsCheckedAsKafkaDoes() {
        let valid: [(String, String)] = [
            ("librdkafka", "2.0.2"), ("confluent-kafka-python", "2.6.0-rdkafka-2.6.0"), ("kafka-python", "2.3.3"),
            ("a", "1"),
        ]
        for (name, version) in valid {
            let request = KafkaAPIVersionsRequest(clientSoftwareName: name, clientSoftwareVersion: version)
            #expect(request.hasValidClientSoftware(version: 3), "\(name) \(version)")
        }
        let invalid: [(String, String)] = [
            ("", "1"), ("kc", ""), ("-kc", "1"), ("kc.", "1"), ("k c", "1"), ("kc", "1_0"), ("é", "1"),
        ]
        for (name, version) in invalid {
            let request = KafkaAPIVersionsRequest(clientSoftwareName: name, clientSoftwareVersion: version)
            #expect(!request.hasValidClientSoftware(version: 3), "\(name) \(version)")
            #expect(request.hasValidClientSoftware(version: 2))
        }
    }
}
