import Foundation
import NIOCore
import RecordCodec
import Testing

@testable import LogStore

/// Inputs that crashed the libFuzzer harnesses in `Fuzz/` (see `docs/FUZZING.md`), and the
/// harnesses' own checks run on seeded random inputs, so that CI exercises them without libFuzzer.
///
/// ``FuzzHarness`` mirrors `Fuzz/Sources/FuzzSupport` (which the test target cannot import): an
/// input's first byte picks how the rest becomes a segment file, exactly as in `FuzzLogRecovery`.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    // MARK: Crashes found

    /// `FuzzLogRecovery` input, mode 1 (base offsets and CRCs made valid): two empty batches whose
    /// `lastOffsetDelta` is `Int32.max`. Recovery accepted both (only lengths, CRCs and offsets are
    /// checked), so the segment's next offset became 2^32 and rebuilding the time index trapped in
    /// `UInt32(offset - baseOffset)`. Now the second batch is damage and is cut off.
    @Test func recoveryCutsOffABatchPastTheSegmentsRelativeOffsets() throws {
        let input = FuzzHarness.bytes(
            hex: """
                01 0000000000000000 00000031 ffffffff 02 00000000 0000 7fffffff 0000000000000000
                0000000000000000 ffffffffffffffff ffff ffffffff 00000000
                0000000000000000 00000031 ffffffff 02 00000000 0000 7fffffff 0000000000000000
                0000000000000000 ffffffffffffffff ffff ffffffff 00000000
                """
        )
        let report = try FuzzHarness.recover(FuzzHarness.logFile(fromInput: input))
        #expect(report.damage?.code == .invalidBatch)
        #expect(report.damage?.position == 61)
        #expect(report.truncatedBytes == 61)
        #expect(report.logEndOffset == 1 << 31)
    }

    /// Found while fixing the above, and reachable by the same harness: a recovered segment whose
    /// next offset is `baseOffset + UInt32.max - 1` took a one-record append without rolling
    /// (`lastOffset - baseOffset > UInt32.max` was false), so the seal entry at close, offset
    /// `baseOffset + 2^32`, trapped. Appends now roll when the next offset would not fit.
    @Test func appendRollsBeforeTheNextOffsetLeavesTheSegmentsRelativeOffsets() throws {
        let input = FuzzHarness.bytes(
            hex: """
                01 0000000000000000 00000031 ffffffff 02 00000000 0000 7fffffff 0000000000000000
                0000000000000000 ffffffffffffffff ffff ffffffff 00000000
                0000000000000000 00000031 ffffffff 02 00000000 0000 7ffffffe 0000000000000000
                0000000000000000 ffffffffffffffff ffff ffffffff 00000000
                """
        )
        let report = try FuzzHarness.recover(FuzzHarness.logFile(fromInput: input))
        #expect(report.damage == nil)
        #expect(report.logEndOffset == Int64(UInt32.max))
        #expect(report.segmentsAfterAppend == [0, Int64(UInt32.max)])
    }

    // MARK: The harnesses on seeded random inputs

    /// `FuzzLogRecovery`'s checks on 300 damaged logs: random bytes and mutated valid logs, in
    /// each of the three modes. Recovery must cut the damage off, not throw or trap.
    @Test(arguments: [UInt8(0), 1, 2])
    func randomGarbageLogsRecover(mode: UInt8) throws {
        var random = CodecTestRandom(seed: 0x5EED_0000 + UInt64(mode))
        var keptRecords = 0
        var damaged = 0
        for round in 0..<100 {
            var input = [mode]
            if round % 2 == 0 {
                input += random.bytes(Int.random(in: 0...400, using: &random))
            } else {
                var log = FuzzHarness.validLog(batchCount: Int.random(in: 1...4, using: &random))
                FuzzHarness.mutate(&log, using: &random)
                input += log
            }
            let report = try FuzzHarness.recover(FuzzHarness.logFile(fromInput: input))
            if report.logEndOffset > 0 { keptRecords += 1 }
            if report.damage != nil { damaged += 1 }
        }
        // Both outcomes occur: recovery kept valid batches, and it cut damage off.
        #expect(keptRecords > 0)
        #expect(damaged > 0)
    }

    /// `FuzzRecordBatch`'s checks on 300 mutated batches, each also resealed (`batchLength` and
    /// CRC made to match) so that the record walk runs: the two walks agree, and what decodes
    /// survives a round trip through the encoder.
    @Test func randomBatchesDecodeConsistently() throws {
        var random = CodecTestRandom(seed: 0xBA7C_4E5)
        var resealedDecoded = 0
        for round in 0..<300 {
            var bytes = FuzzHarness.validLog(batchCount: 1, variant: round)
            FuzzHarness.mutate(&bytes, using: &random)
            try FuzzHarness.decode(bytes)
            if bytes.count >= RecordBatch.headerSize {
                if try FuzzHarness.decode(FuzzHarness.resealed(bytes)) { resealedDecoded += 1 }
            }
        }
        // Some resealed batches must get through the whole record walk (20 of 300 with this seed).
        #expect(resealedDecoded >= 10)
    }
}

/// The logic of the fuzz harnesses, with `#expect` where they trap.
enum FuzzHarness {
    static let configuration: LogConfiguration = {
        var configuration = LogConfiguration()
        configuration.segmentBytes = 1024
        configuration.indexIntervalBytes = 64
        configuration.maxBatchBytes = 64 << 10
        configuration.segmentMilliseconds = nil
        configuration.retentionMilliseconds = nil
        configuration.flushPolicy = .os
        return configuration
    }()

    static let scheduler = FlushScheduler()

    static func bytes(hex: String) -> [UInt8] {
        let digits = Array(hex.filter(\.isHexDigit).utf8)
        precondition(digits.count % 2 == 0)
        return stride(from: 0, to: digits.count, by: 2).map {
            UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)!
        }
    }

    /// The segment file `FuzzLogRecovery` writes for `input` (mode = first byte % 3).
    static func logFile(fromInput input: [UInt8]) -> [UInt8] {
        guard let mode = input.first else { return [] }
        let rest = Array(input.dropFirst())
        switch mode % 3 {
        case 0: return rest
        case 1: return reoffsettingAndResealing(rest)
        default: return splice(rest)
        }
    }

    /// Mode 1: walks by `batchLength`, giving every whole batch contiguous base offsets and a
    /// valid CRC.
    static func reoffsettingAndResealing(_ input: [UInt8]) -> [UInt8] {
        var bytes = input
        var position = 0
        var offset: Int64 = 0
        while bytes.count - position >= RecordBatch.headerSize {
            let length = RecordBatchTests.integer(Int32.self, at: position + 8, in: bytes)
            let size = Int(length) + RecordBatch.logOverhead
            guard size >= RecordBatch.headerSize, size <= bytes.count - position else { break }
            RecordBatchTests.put(offset, at: position, in: &bytes)
            offset = offset &+ Int64(RecordBatchTests.integer(Int32.self, at: position + 23, in: bytes)) &+ 1
            RecordBatchTests.put(CRC32C.checksum(bytes[position + 21..<position + size]), at: position + 17, in: &bytes)
            position += size
        }
        return bytes
    }

    /// Mode 2: `input[3...]` spliced into (or, with bit 7 of `input[0]`, written over) a valid log
    /// of `1 + input[0] & 3` batches at position `input[1...2] % (size + 1)`.
    static func splice(_ input: [UInt8]) -> [UInt8] {
        guard input.count >= 3 else { return validLog(batchCount: 1) }
        var log = validLog(batchCount: 1 + Int(input[0] & 0x03))
        let position = (Int(input[1]) << 8 | Int(input[2])) % (log.count + 1)
        let payload = input[3...]
        if input[0] & 0x80 != 0 {
            log.replaceSubrange(position..<min(log.count, position + payload.count), with: payload)
        } else {
            log.insert(contentsOf: payload, at: position)
        }
        return log
    }

    /// Valid batches with offsets from 0, as the harness's seeds: single values, a null value
    /// with headers, three equal records.
    static func validLog(batchCount: Int, variant: Int = 0) -> [UInt8] {
        var buffer = ByteBuffer()
        var offset: Int64 = 0
        for index in variant..<variant + batchCount {
            let timestamp = 1_700_000_000_000 + Int64(index) * 1000
            let records: [Record]
            switch index % 3 {
            case 0:
                records = [Record(value: ByteBuffer(string: "value \(index)"), timestamp: timestamp)]
            case 1:
                records = [
                    Record(key: ByteBuffer(string: "k"), value: nil, timestamp: timestamp),
                    Record(
                        value: ByteBuffer(string: "v"),
                        headers: [RecordHeader(key: "h", value: nil), RecordHeader(key: "i", value: ByteBuffer())],
                        timestamp: timestamp - 5
                    ),
                ]
            default:
                records = (0..<3).map {
                    Record(value: ByteBuffer(repeating: UInt8($0), count: 20), timestamp: timestamp)
                }
            }
            RecordBatch.write(records: records, baseOffset: offset, into: &buffer)
            offset += Int64(records.count)
        }
        return Array(buffer.readableBytesView)
    }

    /// One to four random edits: a byte changed, bytes inserted or removed, a 32-bit field set
    /// to an extreme.
    static func mutate(_ bytes: inout [UInt8], using random: inout CodecTestRandom) {
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            let position = Int.random(in: 0...bytes.count, using: &random)
            switch Int.random(in: 0..<4, using: &random) {
            case 0 where position < bytes.count:
                bytes[position] = UInt8.random(in: 0...255, using: &random)
            case 1:
                bytes.insert(contentsOf: random.bytes(Int.random(in: 1...8, using: &random)), at: position)
            case 2:
                bytes.removeSubrange(position..<min(bytes.count, position + Int.random(in: 1...8, using: &random)))
            default:
                guard position + 4 <= bytes.count else { continue }
                let extreme = [Int32.max, Int32.min, -1, 0, 1][Int.random(in: 0..<5, using: &random)]
                RecordBatchTests.put(extreme, at: position, in: &bytes)
            }
        }
    }

    // MARK: FuzzRecordBatch

    /// `bytes` with `batchLength` set to `count - 12` and the CRC recomputed.
    static func resealed(_ bytes: [UInt8]) -> [UInt8] {
        var copy = bytes
        RecordBatchTests.put(Int32(truncatingIfNeeded: bytes.count - RecordBatch.logOverhead), at: 8, in: &copy)
        return RecordBatchTests.resealed(copy)
    }

    /// Decodes one batch as `FuzzRecordBatch` does.
    /// - Returns: whether its records decoded.
    @discardableResult
    static func decode(_ bytes: [UInt8]) throws -> Bool {
        let batch: RecordBatch
        do {
            batch = try RecordBatch(validating: ByteBuffer(bytes: bytes))
        } catch is RecordBatchError {
            return false
        }
        let isValid = (try? batch.validateRecords()) != nil
        let records: [Record]
        do {
            records = try batch.records()
        } catch is RecordBatchError {
            #expect(!isValid, "validateRecords() passed but records() threw")
            return false
        }
        #expect(isValid, "records() decoded a batch that validateRecords() rejected")
        #expect(records.count == Int(batch.recordCount))
        #expect(records.map(\.offset) == records.indices.map { batch.baseOffset &+ Int64($0) })
        guard !records.isEmpty else { return true }
        let again = RecordBatch(records: records, baseOffset: batch.baseOffset)
        #expect(try RecordBatch(validating: again.buffer).records() == records)
        return true
    }

    // MARK: FuzzLogRecovery

    struct Report {
        var damage: LogStoreError?
        var truncatedBytes: Int64
        var logEndOffset: Int64
        var segmentsAfterAppend: [Int64]
    }

    /// Recovers `log` as the only segment of an uncleanly stopped partition, reads and decodes
    /// everything, appends, closes and reopens, as `FuzzLogRecovery` does.
    static func recover(_ log: [UInt8]) throws -> Report {
        let parent = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let directory = parent + "/sluice-fuzz-regression-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data(log).write(to: URL(fileURLWithPath: directory + "/00000000000000000000.log"))

        let partition = try PartitionLog.open(directory: directory, configuration: configuration, scheduler: scheduler)
        let endOffset = partition.logEndOffset
        let recovery = partition.recoveryReport
        try readEverything(partition)
        let appended = try partition.append(RecordBatch(records: [Record(value: ByteBuffer(), timestamp: 1)]))
        #expect(appended.firstOffset == endOffset)
        let newEnd = partition.logEndOffset
        let segments = partition.segmentBaseOffsets
        try partition.close()

        let reopened = try PartitionLog.open(directory: directory, configuration: configuration, scheduler: scheduler)
        #expect(reopened.recoveryReport.wasCleanShutdown)
        #expect(reopened.logEndOffset == newEnd)
        try readEverything(reopened)
        try reopened.close()
        return Report(
            damage: recovery.damage,
            truncatedBytes: recovery.truncatedBytes,
            logEndOffset: endOffset,
            segmentsAfterAppend: segments
        )
    }

    static func readEverything(_ partition: PartitionLog) throws {
        var offset = partition.logStartOffset
        while offset < partition.logEndOffset {
            let result = try partition.read(from: offset, maxBytes: 512)
            if let lost = result.lostOffsets {
                // Offsets lost to damage: the range covers the offset and ends past it.
                try #require(lost.contains(offset), "lost offsets \(lost) do not cover \(offset)")
                offset = lost.upperBound
                continue
            }
            let last = try #require(result.batches.last, "no batches at \(offset) below the log end")
            for batch in result.batches {
                do {
                    _ = try batch.records()
                } catch is RecordBatchError {
                    // Recovery checks lengths, CRCs and offsets, not records.
                }
            }
            try #require(last.lastOffset >= offset)
            offset = last.lastOffset + 1
        }
    }
}
