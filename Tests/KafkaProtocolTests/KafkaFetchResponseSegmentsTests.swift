import NIOCore
import Testing

@testable import KafkaProtocol

@Suite struct KafkaFetchResponseSegmentsTests {
    @Test(arguments: supportedVersions(.fetch))
    func segmentsConcatenateToTheFrameWithoutCopyingRecords(version: Int16) throws {
        let records = ByteBuffer(bytes: Array(repeating: 0x5A, count: 100))
        var response = KafkaFetchCodecTests.response(version: version)
        response.topics[0].partitions[0].records = records
        response.topics.append(
            .init(name: "b", partitions: [.init(partitionIndex: 0, highWatermark: 1, records: ByteBuffer())])
        )
        let segments = response.encodeFrameSegments(version: version, correlationID: 99)
        let joined = segments.reduce(into: [UInt8]()) { $0 += bytes($1) }
        #expect(joined == bytes(response.encodeFrame(version: version, correlationID: 99)))
        let recordsAddress = records.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        let shared = segments.filter { segment in
            segment.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) } == recordsAddress
        }
        #expect(shared.count == 1)
        // The frame decodes back.
        var frame = buffer(joined)
        frame.moveReaderIndex(forwardBy: 4)
        let (header, decoded) = try KafkaFetchResponse.decodeFrame(frame, version: version)
        #expect(header.correlationID == 99)
        #expect(decoded == response)
    }

    @Test func aResponseWithoutRecordsIsOneSegment() {
        let segments = KafkaFetchResponse(topics: []).encodeFrameSegments(version: 11, correlationID: 1)
        #expect(segments.count == 1)
        #expect(bytes(segments[0]) == bytes(KafkaFetchResponse(topics: []).encodeFrame(version: 11, correlationID: 1)))
    }
}
