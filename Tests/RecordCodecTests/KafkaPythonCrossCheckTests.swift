import Foundation
import NIOCore
import ProcessTesting
import Testing

@testable import RecordCodec

/// Checks the RecordBatch codec against an independent one: kafka-python's pure-Python codec, run
/// through `Scripts/kafka_codec.py`. Needs `python3` with kafka-python 2.x, installed with
/// `python3 -m pip install 'kafka-python==2.*'`; without it these tests fail and say so.
@Suite("kafka-python cross-check")
struct KafkaPythonCrossCheckTests {
    // MARK: Swift encodes, kafka-python decodes

    @Test("batches Swift encodes decode in kafka-python, CRC included, field for field")
    func swiftEncodesKafkaPythonDecodes() async throws {
        var random = CodecTestRandom(seed: 301)
        var batches: [(records: [Record], baseOffset: Int64, producer: ProducerIdentity)] = [
            (
                RecordBatchTests.sampleRecords(), 1_000,
                ProducerIdentity(producerId: 123_456_789, producerEpoch: 7, baseSequence: 42)
            ),
            ([Record(value: RecordBatchTests.buffer("only"), timestamp: 0)], 0, .none),
            (
                [5_000, 4_000, -1, 1 << 40, 6_000].map { Record(key: nil, value: nil, timestamp: Int64($0)) },
                (1 << 40) + 3,
                ProducerIdentity(producerId: Int64.max, producerEpoch: Int16.max, baseSequence: Int32.max)
            ),
            (
                [
                    Record(
                        key: RecordBatchTests.buffer("h"),
                        value: ByteBuffer(),
                        headers: [
                            RecordHeader(key: "dup", value: nil),
                            RecordHeader(key: "dup", value: RecordBatchTests.buffer("second")),
                            RecordHeader(key: "null", value: nil),
                        ],
                        timestamp: 1_700_000_000_000
                    )
                ],
                77,
                ProducerIdentity(producerId: 0, producerEpoch: 0, baseSequence: 0)
            ),
        ]
        for _ in 0..<16 {
            let producer =
                Bool.random(using: &random) ? ProducerIdentity.none : RecordBatchTests.randomProducer(using: &random)
            batches.append(
                (
                    RecordBatchTests.randomRecords(using: &random), Int64.random(in: 0...(1 << 50), using: &random),
                    producer
                )
            )
        }

        var file = ByteBuffer()
        for batch in batches {
            RecordBatch.write(
                records: batch.records,
                baseOffset: batch.baseOffset,
                producer: batch.producer,
                into: &file
            )
        }
        let decoded = try await Self.withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("swift-batches.bin")
            try Data(file.readableBytesView).write(to: path)
            return try await Self.runKafkaCodec(["decode", path.path], as: [BatchDescription].self)
        }

        try #require(decoded.count == batches.count)
        var position = file.readerIndex
        for (index, (python, swift)) in zip(decoded, batches).enumerated() {
            let bytes = file.getSlice(at: position, length: python.sizeInBytes)!
            let batch = try RecordBatch(validating: bytes)
            position += python.sizeInBytes
            #expect(python.crcValid == true, "batch \(index): kafka-python says the CRC is wrong")
            Self.expectHeader(python, equals: batch, "batch \(index)")
            #expect(python.baseOffset == swift.baseOffset)
            #expect(python.producerId == swift.producer.producerId, "batch \(index)")
            #expect(python.producerEpoch == swift.producer.producerEpoch, "batch \(index)")
            #expect(python.baseSequence == swift.producer.baseSequence, "batch \(index)")
            #expect(python.firstTimestamp == swift.records[0].timestamp, "batch \(index)")
            #expect(python.maxTimestamp == swift.records.map(\.timestamp).max(), "batch \(index)")
            #expect(python.recordsCount == Int32(swift.records.count), "batch \(index)")
            try #require(python.records.count == swift.records.count, "batch \(index)")
            for (offset, (pythonRecord, swiftRecord)) in zip(python.records, swift.records).enumerated() {
                var expected = swiftRecord
                expected.offset = swift.baseOffset + Int64(offset)
                #expect(try pythonRecord.record() == expected, "batch \(index), record \(offset)")
            }
        }
        #expect(position == file.writerIndex)
    }

    // MARK: kafka-python encodes, Swift decodes

    @Test("batches kafka-python builds decode in Swift, field for field", arguments: [1, 2, 3])
    func kafkaPythonEncodesSwiftDecodes(seed: Int) async throws {
        let (file, described) = try await Self.withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("python-batches.bin")
            let described = try await Self.runKafkaCodec(["encode", path.path, "\(seed)"], as: [BatchDescription].self)
            return (ByteBuffer(bytes: try Data(contentsOf: path)), described)
        }
        #expect(described.count == 12)

        var position = file.readerIndex
        for (index, python) in described.enumerated() {
            try #require(position + RecordBatch.headerSize <= file.writerIndex, "seed \(seed), batch \(index)")
            let length = file.getInteger(at: position + 8, as: Int32.self)!
            let size = Int(length) + RecordBatch.logOverhead
            #expect(size == python.sizeInBytes)
            let batch = try RecordBatch(validating: file.getSlice(at: position, length: size)!)
            position += size
            try batch.validateRecords()
            let records = try batch.records()

            Self.expectHeader(python, equals: batch, "seed \(seed), batch \(index)")
            #expect(batch.partitionLeaderEpoch == 0, "kafka-python writes 0")
            #expect(batch.compressionCodec == 0)
            #expect(batch.recordCount == Int32(python.records.count))
            #expect(batch.lastOffset == Int64(python.records.count - 1))
            let expected = try python.records.map { try $0.record() }
            #expect(records == expected, "seed \(seed), batch \(index)")

            // Swift encodes the same records into the same bytes, but for the partition leader epoch
            // (kafka-python writes 0, Sluice -1), which lies outside the CRC.
            let producer = ProducerIdentity(
                producerId: python.producerId,
                producerEpoch: python.producerEpoch,
                baseSequence: python.baseSequence
            )
            let reencoded = RecordBatchTests.bytes(of: RecordBatch(records: records, producer: producer))
            let original = RecordBatchTests.bytes(of: batch)
            #expect(reencoded[0..<12] == original[0..<12], "seed \(seed), batch \(index)")
            #expect(reencoded[16...] == original[16...], "seed \(seed), batch \(index)")
        }
        #expect(position == file.writerIndex, "bytes left after the described batches")
    }

    // MARK: Primitives

    @Test("kafka-python's CRC-32C agrees with ours on random inputs")
    func crc32cAgrees() async throws {
        var random = CodecTestRandom(seed: 401)
        var inputs: [[UInt8]] = [[], Array("123456789".utf8), [UInt8](repeating: 0xFF, count: 32)]
        for _ in 0..<60 {
            inputs.append(random.bytes(Int.random(in: 0..<(Bool.random(using: &random) ? 64 : 5_000), using: &random)))
        }
        let results = try await Self.withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("crc-inputs.json")
            try JSONEncoder().encode(inputs.map { Data($0).base64EncodedString() }).write(to: path)
            return try await Self.runKafkaCodec(["crc32c", path.path], as: [CRCResult].self)
        }
        try #require(results.count == inputs.count)
        #expect(results[1].pure == 0xE306_9283)
        for (input, result) in zip(inputs, results) {
            let ours = CRC32C.checksum(input)
            #expect(result.pure == ours, "\(input.count) bytes")
            #expect(result.util == ours, "\(input.count) bytes")
        }
    }

    @Test("kafka-python's zig-zag varints agree with ours")
    func varintsAgree() async throws {
        var random = CodecTestRandom(seed: 402)
        var values: [Int64] = VarintTests.edgeValues
        for _ in 0..<200 {
            let width = Int.random(in: 1...64, using: &random)
            values.append(Int64(bitPattern: random.next() >> (64 - width)))
        }
        let results = try await Self.withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("varints.json")
            try JSONEncoder().encode(values).write(to: path)
            return try await Self.runKafkaCodec(["varints", path.path], as: [VarintResult].self)
        }
        try #require(results.count == values.count)
        for (value, result) in zip(values, results) {
            let theirs = try #require(Data(base64Encoded: result.bytes), "\(value)")
            #expect(Array(theirs) == VarintTests.encoded(value), "\(value)")
            #expect(result.size == Varint.size(of: value), "\(value)")
        }
    }
}

// MARK: - Descriptions from the script

extension KafkaPythonCrossCheckTests {
    /// A batch as `kafka_codec.py` describes it (its JSON keys in snake case).
    struct BatchDescription: Decodable {
        var baseOffset: Int64
        var sizeInBytes: Int
        var leaderEpoch: Int32
        var magic: Int8
        var crc: UInt32
        var crcValid: Bool?
        var attributes: Int16
        var lastOffsetDelta: Int32
        var firstTimestamp: Int64
        var maxTimestamp: Int64
        var producerId: Int64
        var producerEpoch: Int16
        var baseSequence: Int32
        var recordsCount: Int32
        var records: [RecordDescription]
    }

    /// A record with base64 bytes and JSON null for Kafka's null.
    struct RecordDescription: Decodable {
        var offset: Int64
        var timestamp: Int64
        var key: String?
        var value: String?
        var headers: [HeaderDescription]

        func record() throws -> Record {
            Record(
                key: try Self.bytes(key),
                value: try Self.bytes(value),
                headers: try headers.map { RecordHeader(key: $0.key, value: try Self.bytes($0.value)) },
                timestamp: timestamp,
                offset: offset
            )
        }

        static func bytes(_ base64: String?) throws -> ByteBuffer? {
            guard let base64 else { return nil }
            return ByteBuffer(bytes: try #require(Data(base64Encoded: base64), "bad base64 from the script"))
        }
    }

    struct HeaderDescription: Decodable {
        var key: String
        var value: String?
    }

    struct CRCResult: Decodable {
        var pure: UInt32
        var util: UInt32
    }

    struct VarintResult: Decodable {
        var bytes: String
        var size: Int
    }

    /// Why the script could not be run or did not succeed.
    struct ScriptFailure: Error, CustomStringConvertible {
        var description: String
    }

    static func expectHeader(
        _ python: BatchDescription,
        equals batch: RecordBatch,
        _ context: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(python.baseOffset == batch.baseOffset, "\(context)", sourceLocation: sourceLocation)
        #expect(python.sizeInBytes == batch.sizeInBytes, "\(context)", sourceLocation: sourceLocation)
        #expect(python.magic == RecordBatch.magic, "\(context)", sourceLocation: sourceLocation)
        #expect(python.crc == batch.crc, "\(context)", sourceLocation: sourceLocation)
        #expect(python.attributes == batch.attributes, "\(context)", sourceLocation: sourceLocation)
        #expect(python.lastOffsetDelta == batch.lastOffsetDelta, "\(context)", sourceLocation: sourceLocation)
        #expect(python.firstTimestamp == batch.baseTimestamp, "\(context)", sourceLocation: sourceLocation)
        #expect(python.maxTimestamp == batch.maxTimestamp, "\(context)", sourceLocation: sourceLocation)
        #expect(python.producerId == batch.producerId, "\(context)", sourceLocation: sourceLocation)
        #expect(python.producerEpoch == batch.producerEpoch, "\(context)", sourceLocation: sourceLocation)
        #expect(python.baseSequence == batch.baseSequence, "\(context)", sourceLocation: sourceLocation)
        #expect(python.recordsCount == batch.recordCount, "\(context)", sourceLocation: sourceLocation)
        #expect(python.leaderEpoch == batch.partitionLeaderEpoch, "\(context)", sourceLocation: sourceLocation)
    }

    // MARK: Running the script

    /// `Scripts/kafka_codec.py`, found beside this file: the tests run from the source tree.
    static let scriptURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .appendingPathComponent("Scripts")
        .appendingPathComponent("kafka_codec.py")

    /// Runs `python3 kafka_codec.py arguments…` and decodes its standard output as `T`.
    /// - Throws: ``ScriptFailure`` if python3 or kafka-python is missing or the script fails.
    static func runKafkaCodec<T: Decodable>(_ arguments: [String], as _: T.Type) async throws -> T {
        do {
            let process = ChildProcess()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", scriptURL.path] + arguments
            let (data, errors) = try await process.runCollectingOutput()
            let stderr = String(decoding: errors, as: UTF8.self)
            switch (process.terminationReason, process.terminationStatus) {
            case (.exit, 0):
                break
            case (.exit, 3):
                // The script says whether kafka-python is missing or the wrong version (3.x).
                throw ScriptFailure(
                    description: "the codec cross-check needs kafka-python 2.x: \(stderr)"
                )
            case (.exit, 127):
                throw ScriptFailure(
                    description: "python3 is not on PATH; the codec cross-check needs python3 and kafka-python"
                )
            case (let reason, let status):
                throw ScriptFailure(
                    description: "kafka_codec.py \(arguments.first ?? "") ended with \(reason) \(status):\n\(stderr)"
                )
            }
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            return try decoder.decode(T.self, from: data)
        }
    }

    /// Runs `body` with a fresh directory that is removed afterwards.
    static func withTemporaryDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("sluice-kafka-python-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try await body(directory)
    }
}
