import NIOCore
import RecordCodec
import Testing

@testable import BrokerClient

/// The consumer's decoding of gzip batches: records at baseOffset + delta, and the
/// `maxDecompressedBatchBytes` bound (a batch over it is a `protocolViolation`, not inflated).
@Suite struct ConsumerGzipDecodingTests {
    private static let values = (0..<40).map { "value \($0 % 4) " + String(repeating: "x", count: 100) }

    private static func gzipBatch(baseOffset: Int64) throws -> (bytes: ByteBuffer, inflatedSize: Int) {
        let records = values.map { Record(value: ByteBuffer(string: $0), timestamp: 1) }
        let batch = try RecordBatch(records: records, compression: .gzip, baseOffset: baseOffset)
        let plain = RecordBatch(records: records)
        return (batch.buffer, plain.sizeInBytes - RecordBatch.headerSize)
    }

    @Test func decodesGzipBatchesAfterPlainOnes() throws {
        var bytes = ByteBuffer()
        RecordBatch.write(
            records: [Record(value: ByteBuffer(string: "plain"), timestamp: 1)],
            baseOffset: 9,
            into: &bytes
        )
        var zipped = try Self.gzipBatch(baseOffset: 10).bytes
        bytes.writeBuffer(&zipped)
        let decoded = try Consumer.decode(bytes, from: 12, before: nil)
        #expect(decoded.records.map(\.offset) == Array(12..<50))
        #expect(decoded.records.map { String(buffer: $0.value!) } == Array(Self.values[2...]))
        #expect(decoded.nextOffset == 50)
    }

    @Test func theDecompressedLimitIsExactAndAProtocolViolation() throws {
        let (bytes, size) = try Self.gzipBatch(baseOffset: 0)
        let decoded = try Consumer.decode(bytes, from: 0, before: nil, maxDecompressedBytes: size)
        #expect(decoded.records.count == Self.values.count)
        do {
            _ = try Consumer.decode(bytes, from: 0, before: nil, maxDecompressedBytes: size - 1)
            Issue.record("a batch over the limit was decoded")
        } catch let error as ClientError {
            #expect(error.code == .protocolViolation)
            #expect("\(error)".contains("maxDecompressedBatchBytes"), "\(error)")
        }
        #expect(ConsumerConfiguration().maxDecompressedBatchBytes == 32 << 20)
        #expect(GroupConsumerConfiguration().maxDecompressedBatchBytes == 32 << 20)
    }
}
