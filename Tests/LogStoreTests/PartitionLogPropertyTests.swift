import NIOCore
import RecordCodec
import Testing

@testable import LogStore

/// Seeded random runs of appends, reads, time lookups, clean restarts and crashes, checked step by
/// step against ``LogModel``. Segments and index intervals are small so that rolls and index
/// lookups happen all the time. A failure names its seed and step; rerun that seed to replay it.
@Suite("PartitionLog properties")
struct PartitionLogPropertyTests {
    static let seeds: [UInt64] = Array(1...16)

    @Test("random appends, reads and restarts agree with an in-memory model", arguments: seeds)
    func randomOperations(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        var configuration = LogConfiguration()
        configuration.segmentBytes = 24 << 10
        configuration.indexIntervalBytes = Int.random(in: 100...2048, using: &random)
        configuration.segmentMilliseconds = nil
        configuration.flushPolicy = .os
        try withStorageFixture { fixture in
            var model = LogModel()
            var log = try fixture.open(configuration)
            for step in 0..<400 {
                let context = "seed \(seed), step \(step), indexIntervalBytes \(configuration.indexIntervalBytes)"
                switch Int.random(in: 0..<100, using: &random) {
                case 0..<50:
                    try model.append(Self.randomBatch(using: &random), to: log)
                case 50..<82:
                    try Self.checkRandomRead(log, model, &random, context)
                case 82..<92:
                    try Self.checkRandomTimeLookup(log, model, &random, context)
                case 92..<96:
                    try log.close()
                    log = try fixture.open(configuration)
                    #expect(log.recoveryReport.wasCleanShutdown, "\(context)")
                    try Self.checkReopened(log, model, context)
                default:
                    // A crash: the log is dropped without close(); its bytes stay in the page cache.
                    log.abandon()
                    fixture.quiesce()
                    log = try fixture.open(configuration)
                    #expect(!log.recoveryReport.wasCleanShutdown, "\(context)")
                    try Self.checkReopened(log, model, context)
                }
            }
            try expectLog(log, matches: model, Comment(rawValue: "seed \(seed), at the end"))
            try log.close()
        }
    }

    // MARK: Generators

    static func randomBytes(maxCount: Int, using random: inout SeededRandom) -> ByteBuffer {
        ByteBuffer(bytes: random.bytes(Int.random(in: 0...maxCount, using: &random)))
    }

    /// 1...8 records; values of 0...5000 bytes, mostly short; null keys and values now and then; timestamps that
    /// go backwards as often as forwards; a few headers.
    static func randomBatch(using random: inout SeededRandom) -> RecordBatch {
        let baseTimestamp: Int64 = 1_700_000_000_000
        let records = (0..<Int.random(in: 1...8, using: &random)).map { _ -> Record in
            let key = Int.random(in: 0..<10, using: &random) < 3 ? nil : randomBytes(maxCount: 40, using: &random)
            let value: ByteBuffer?
            switch Int.random(in: 0..<10, using: &random) {
            case 0: value = nil
            case 1...3: value = randomBytes(maxCount: 5000, using: &random)
            default: value = randomBytes(maxCount: 200, using: &random)
            }
            let headers = (0..<Int.random(in: 0...2, using: &random)).map { index in
                RecordHeader(
                    key: "header-\(index)",
                    value: Bool.random(using: &random) ? nil : randomBytes(maxCount: 20, using: &random)
                )
            }
            return Record(
                key: key,
                value: value,
                headers: headers,
                timestamp: baseTimestamp + Int64.random(in: -10_000...10_000, using: &random)
            )
        }
        return RecordBatch(records: records)
    }

    // MARK: Checks

    /// A read from a random offset (now and then outside the log) with a random `maxBytes`.
    static func checkRandomRead(
        _ log: PartitionLog,
        _ model: LogModel,
        _ random: inout SeededRandom,
        _ context: String
    ) throws {
        let end = model.endOffset
        let offset: Int64
        switch Int.random(in: 0..<10, using: &random) {
        case 0: offset = end
        case 1:
            offset =
                Bool.random(using: &random)
                ? -Int64.random(in: 1...5, using: &random) : end + Int64.random(in: 1...5, using: &random)
        default: offset = Int64.random(in: 0...end, using: &random)
        }
        let maxBytes =
            Bool.random(using: &random)
            ? Int.random(in: 0...512, using: &random) : Int.random(in: 0...(64 << 10), using: &random)
        let context = "\(context), read from \(offset) with maxBytes \(maxBytes), log end \(end)"

        guard offset >= 0, offset <= end else {
            let error = expectLogStoreError(.offsetOutOfRange, Comment(rawValue: context)) {
                _ = try log.read(from: offset, maxBytes: maxBytes)
            }
            #expect(error?.validOffsets == 0..<end, "\(context)")
            return
        }
        let result = try log.read(from: offset, maxBytes: maxBytes)
        #expect(result.logStartOffset == 0 && result.logEndOffset == end, "\(context)")
        guard offset < end else {
            #expect(result.batches.isEmpty && result.bytes.readableBytes == 0, "\(context)")
            return
        }
        let first = try #require(model.batchIndex(holding: offset), "\(context)")
        try #require(!result.batches.isEmpty, "\(context)")
        try #require(first + result.batches.count <= model.batches.count, "\(context)")

        var total = 0
        var concatenated: [UInt8] = []
        for (index, batch) in result.batches.enumerated() {
            let expected = model.batches[first + index]
            #expect(batch.baseOffset == expected.firstOffset, "\(context), batch \(index)")
            #expect(batch.lastOffset == expected.lastOffset, "\(context), batch \(index)")
            #expect(batch.sizeInBytes == expected.sizeInBytes, "\(context), batch \(index)")
            let records = try batch.records()
            #expect(
                records == Array(model.records[Int(expected.firstOffset)...Int(expected.lastOffset)]),
                "\(context), batch \(index)"
            )
            total += batch.sizeInBytes
            concatenated += batchBytes(batch)
        }
        #expect(Array(result.bytes.readableBytesView) == concatenated, "\(context)")
        #expect(total <= maxBytes || result.batches.count == 1, "\(context): \(total) bytes returned")

        // A read stops only at maxBytes or at the end of the segment.
        let next = first + result.batches.count
        if next < model.batches.count {
            let bases = log.segmentBaseOffsets
            let segmentOfFirst = bases.last { $0 <= model.batches[first].firstOffset }
            let segmentOfNext = bases.last { $0 <= model.batches[next].firstOffset }
            let fits = total + model.batches[next].sizeInBytes <= maxBytes
            #expect(!(fits && segmentOfFirst == segmentOfNext), "\(context): the read stopped early at batch \(next)")
        }
    }

    /// A time lookup for a random timestamp near the records'.
    static func checkRandomTimeLookup(
        _ log: PartitionLog,
        _ model: LogModel,
        _ random: inout SeededRandom,
        _ context: String
    ) throws {
        let timestamp: Int64
        if let record = model.records.randomElement(using: &random), Bool.random(using: &random) {
            timestamp = record.timestamp + Int64.random(in: -1...1, using: &random)
        } else {
            timestamp = 1_700_000_000_000 + Int64.random(in: -10_100...10_100, using: &random)
        }
        #expect(
            try log.offset(atOrAfterTimestamp: timestamp) == model.offset(atOrAfterTimestamp: timestamp),
            "\(context), timestamp \(timestamp)"
        )
    }

    /// After a restart: nothing lost, nothing cut, the same end and size.
    static func checkReopened(_ log: PartitionLog, _ model: LogModel, _ context: String) throws {
        #expect(log.recoveryReport.damage == nil, "\(context)")
        #expect(log.recoveryReport.truncatedBytes == 0, "\(context)")
        #expect(log.recoveryReport.lostOffsets.isEmpty && log.recoveryReport.repairs.isEmpty, "\(context)")
        #expect(log.logEndOffset == model.endOffset, "\(context)")
        #expect(log.sizeInBytes == Int64(model.batches.reduce(0) { $0 + $1.sizeInBytes }), "\(context)")
    }
}
