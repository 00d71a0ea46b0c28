import NIOCore
import Testing

@testable import KafkaProtocol

@Suite struct KafkaHeaderTests {
    @Test func requestHeaderGoldenBytesPerVersion() throws {
        let header = KafkaRequestHeader(apiKey: .metadata, apiVersion: 1, correlationID: 7, clientID: "kc")
        var v0 = ByteBuffer()
        header.encode(into: &v0, headerVersion: 0)
        #expect(bytes(v0) == [0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x07])
        var v1 = ByteBuffer()
        header.encode(into: &v1, headerVersion: 1)
        #expect(bytes(v1) == [0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x07, 0x00, 0x02, 0x6B, 0x63])
        // v2: the client id keeps its INT16 length; then empty tagged fields.
        var v2 = ByteBuffer()
        header.encode(into: &v2, headerVersion: 2)
        #expect(bytes(v2) == [0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x07, 0x00, 0x02, 0x6B, 0x63, 0x00])

        for (version, encoded) in [(Int16(0), v0), (1, v1), (2, v2)] {
            var reader = KafkaReader(encoded)
            let decoded = try KafkaRequestHeader.decode(from: &reader, headerVersion: version)
            #expect(decoded.clientID == (version == 0 ? nil : "kc"))
            #expect(decoded.correlationID == 7)
            #expect(decoded.apiKey == .metadata)
            expectEveryTruncationThrows(encoded) { try KafkaRequestHeader.decode(from: &$0, headerVersion: version) }
        }
    }

    @Test func requestHeaderNullClientIDAndUnknownTags() throws {
        // v2 with a null client id and one unknown tagged field, which is skipped.
        let encoded = buffer([0x00, 0x12, 0x00, 0x03, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x05, 0x01, 0xAA])
        var reader = KafkaReader(encoded)
        let header = try KafkaRequestHeader.decode(from: &reader, headerVersion: 2)
        #expect(header == KafkaRequestHeader(apiKey: .apiVersions, apiVersion: 3, correlationID: -1, clientID: nil))
        #expect(reader.isAtEnd)
    }

    @Test func responseHeaderPerVersion() throws {
        let header = KafkaResponseHeader(correlationID: 0x0102_0304)
        var v0 = ByteBuffer()
        header.encode(into: &v0, headerVersion: 0)
        #expect(bytes(v0) == [1, 2, 3, 4])
        var v1 = ByteBuffer()
        header.encode(into: &v1, headerVersion: 1)
        #expect(bytes(v1) == [1, 2, 3, 4, 0])
        var reader = KafkaReader(v1)
        #expect(try KafkaResponseHeader.decode(from: &reader, headerVersion: 1) == header)
        expectEveryTruncationThrows(v1) { try KafkaResponseHeader.decode(from: &$0, headerVersion: 1) }
    }

    @Test func headerVersionsFollowTheFlexibleRule() {
        #expect(KafkaAPIVersions.requestHeaderVersion(apiKey: .apiVersions, apiVersion: 2) == 1)
        #expect(KafkaAPIVersions.requestHeaderVersion(apiKey: .apiVersions, apiVersion: 3) == 2)
        // ApiVersions' response header never has tagged fields.
        #expect(KafkaAPIVersions.responseHeaderVersion(apiKey: .apiVersions, apiVersion: 3) == 0)
        #expect(KafkaAPIVersions.requestHeaderVersion(apiKey: .metadata, apiVersion: 8) == 1)
        #expect(KafkaAPIVersions.requestHeaderVersion(apiKey: .metadata, apiVersion: 9) == 2)
        #expect(KafkaAPIVersions.responseHeaderVersion(apiKey: .metadata, apiVersion: 9) == 1)
        #expect(KafkaAPIVersions.responseHeaderVersion(apiKey: .fetch, apiVersion: 11) == 0)
        #expect(KafkaAPIVersions.isFlexible(apiKey: .fetch, apiVersion: 12))
        #expect(!KafkaAPIVersions.isFlexible(apiKey: KafkaAPIKey(rawValue: 999), apiVersion: 99))
        #expect(KafkaAPIVersions.requestHeaderVersion(apiKey: KafkaAPIKey(rawValue: 999), apiVersion: 0) == 1)
    }

    @Test func supportedRangesStayBelowFlexibleExceptApiVersions() throws {
        for range in KafkaAPIVersions.supported {
            let first = try #require(range.apiKey.firstFlexibleVersion)
            if range.apiKey == .apiVersions {
                #expect(range.maximumVersion == first)
            } else {
                #expect(range.maximumVersion < first, "\(range.apiKey) advertises a flexible version")
            }
        }
        #expect(KafkaAPIVersions.range(for: .initProducerID)?.minimumVersion == 0)
        #expect(KafkaAPIVersions.range(for: .produce)?.contains(3) == true)
        #expect(KafkaAPIVersions.range(for: .produce)?.contains(2) == false)
        #expect(KafkaAPIVersions.range(for: KafkaAPIKey(rawValue: 77)) == nil)
    }

    @Test func keysAndErrorCodesHaveKafkasNumbers() {
        #expect(KafkaAPIKey.apiVersions.rawValue == 18)
        #expect(KafkaAPIKey.describeConfigs.description == "DescribeConfigs(32)")
        #expect(KafkaAPIKey(rawValue: 1000).description == "unknown(1000)")
        #expect(KafkaAPIKey.allKnown.count == 18)
        #expect(KafkaAPIKey.allKnown.allSatisfy { $0.isKnown && $0.firstFlexibleVersion != nil })
        let expected: [(KafkaErrorCode, Int16)] = [
            (.unknownServerError, -1), (.offsetOutOfRange, 1), (.corruptMessage, 2), (.unknownTopicOrPartition, 3),
            (.notLeaderOrFollower, 6), (.messageTooLarge, 10), (.notCoordinator, 16), (.rebalanceInProgress, 27),
            (.unsupportedVersion, 35), (.invalidRequest, 42), (.kafkaStorageError, 56), (.nonEmptyGroup, 68),
            (.unsupportedCompressionType, 76), (.memberIDRequired, 79), (.invalidRecord, 87),
            (.throttlingQuotaExceeded, 89),
        ]
        for (code, number) in expected {
            #expect(code.rawValue == number)
        }
        #expect(KafkaErrorCode.unsupportedVersion.description == "UNSUPPORTED_VERSION(35)")
        #expect(KafkaErrorCode(rawValue: 999).description == "UNKNOWN(999)")
    }
}
