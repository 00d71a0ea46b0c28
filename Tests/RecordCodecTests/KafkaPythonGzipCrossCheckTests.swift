import Foundation
import NIOCore
import Testing

@testable import RecordCodec

/// gzip batches checked against kafka-python 2.x (`Scripts/kafka_codec.py`): batches its
/// `DefaultRecordBatchBuilder` compresses decode in Swift, and batches Swift compresses decode in
/// kafka-python. Needs `python3 -m pip install 'kafka-python==2.*'`.
@Suite("kafka-python gzip cross-check")
struct KafkaPythonGzipCrossCheckTests {
    typealias Check = KafkaPythonCrossCheckTests

    @Test("gzip batches kafka-python builds decode in Swift, field for field", arguments: [11, 12])
    func kafkaPythonGzipDecodesInSwift(seed: Int) async throws {
        let (file, described) = try await Check.withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("python-gzip-batches.bin")
            let described = try await Check.runKafkaCodec(
                ["encode", path.path, "\(seed)", "gzip"],
                as: [KafkaPythonCrossCheckTests.BatchDescription].self
            )
            return (ByteBuffer(bytes: try Data(contentsOf: path)), described)
        }
        #expect(described.count == 12)
        // kafka-python keeps a batch uncompressed when gzip would not make it smaller (random bytes).
        let gzipCount = described.filter { $0.attributes & 0x7 == 1 }.count
        #expect(gzipCount >= 9, "seed \(seed): only \(gzipCount) of 12 batches are gzip")
        var bytes = file
        for (index, python) in described.enumerated() {
            let batch = try #require(try RecordBatch.next(from: &bytes), "seed \(seed), batch \(index)")
            #expect(batch.compressionCodec == Int(python.attributes & 0x7), "seed \(seed), batch \(index)")
            Check.expectHeader(python, equals: batch, "seed \(seed), batch \(index)")
            _ = try batch.validatingRecords(timestampsWithin: Int64.min...Int64.max)
            let expected = try python.records.map { try $0.record() }
            #expect(try batch.records() == expected, "seed \(seed), batch \(index)")
        }
        #expect(bytes.readableBytes == 0, "bytes left after the described batches")
    }

    @Test("gzip batches Swift builds decode in kafka-python, CRC included, field for field")
    func swiftGzipDecodesInKafkaPython() async throws {
        var random = CodecTestRandom(seed: 1_301)
        var batches: [(records: [Record], baseOffset: Int64, producer: ProducerIdentity)] = [
            (RecordBatchTests.sampleRecords(), 1_000, .none)
        ]
        for _ in 0..<10 {
            batches.append(
                (
                    RecordBatchTests.randomRecords(using: &random), Int64.random(in: 0...(1 << 50), using: &random),
                    RecordBatchTests.randomProducer(using: &random)
                )
            )
        }
        var file = ByteBuffer()
        var built: [RecordBatch] = []
        for batch in batches {
            let encoded = try RecordBatch(
                records: batch.records,
                compression: .gzip,
                baseOffset: batch.baseOffset,
                producer: batch.producer
            )
            built.append(encoded)
            file.writeImmutableBuffer(encoded.buffer)
        }
        let decoded = try await Check.withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("swift-gzip-batches.bin")
            try Data(file.readableBytesView).write(to: path)
            return try await Check.runKafkaCodec(
                ["decode", path.path],
                as: [KafkaPythonCrossCheckTests.BatchDescription].self
            )
        }
        try #require(decoded.count == batches.count)
        for (index, (python, (swift, batch))) in zip(decoded, zip(batches, built)).enumerated() {
            #expect(python.crcValid == true, "batch \(index): kafka-python says the CRC is wrong")
            #expect(python.attributes == 1, "batch \(index): gzip is codec 1")
            Check.expectHeader(python, equals: batch, "batch \(index)")
            try #require(python.records.count == swift.records.count, "batch \(index)")
            let expected = RecordBatchTests.numbered(swift.records, from: swift.baseOffset)
            #expect(try python.records.map { try $0.record() } == expected, "batch \(index)")
        }
    }
}
