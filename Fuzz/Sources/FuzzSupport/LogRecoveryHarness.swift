import Foundation
import LogStore
import NIOCore
import RecordCodec

/// The body of the `FuzzLogRecovery` fuzzer: recovers a partition whose only segment holds bytes
/// made from the input, after an unclean stop.
///
/// The first input byte picks how the segment's `.log` is made from the rest:
/// - `mode 0`: the bytes are the file as they are;
/// - `mode 1`: the bytes are the file, with every batch (walked by `batchLength`) given the base
///   offset that follows the previous batch and a recomputed CRC, so that recovery accepts
///   batches whose other fields are garbage;
/// - `mode 2`: bytes 1..<4 choose 1–4 valid batches and a position; the rest of the input is
///   spliced into (or written over) the valid log there.
///
/// Recovery must cut damage off rather than fail; what it keeps must read back and decode without
/// a trap; an append must succeed on top; and a clean reopen must find the same log end.
public enum LogRecoveryHarness {
    /// One flush thread for every run (the harness's logs use the `.os` flush policy).
    static let scheduler = FlushScheduler()

    /// Small segments and a dense index, so that short inputs reach rolls and index entries.
    public static let configuration: LogConfiguration = {
        var configuration = LogConfiguration()
        configuration.segmentBytes = 1024
        configuration.indexIntervalBytes = 64
        configuration.maxBatchBytes = 64 << 10
        configuration.segmentMilliseconds = nil
        configuration.retentionMilliseconds = nil
        configuration.flushPolicy = .os
        return configuration
    }()

    public static func run(_ input: UnsafeRawBufferPointer) {
        guard let mode = input.first else { return }
        let rest = Array(input.dropFirst())
        let log: [UInt8]
        switch mode % 3 {
        case 0: log = rest
        case 1: log = resealingEveryBatch(rest)
        default: log = splice(rest)
        }
        recover(log)
    }

    /// Walks `bytes` by `batchLength` and rewrites each whole batch's base offset (contiguous from
    /// 0) and CRC-32C.
    public static func resealingEveryBatch(_ bytes: [UInt8]) -> [UInt8] {
        var bytes = bytes
        var position = 0
        var offset: Int64 = 0
        while bytes.count - position >= RecordBatch.headerSize {
            let length = bytes[position + 8..<position + 12].reduce(0) { $0 << 8 | Int($1) }
            let size = Int(Int32(truncatingIfNeeded: length)) + RecordBatch.logOverhead
            guard size >= RecordBatch.headerSize, size <= bytes.count - position else { break }
            RecordBatchHarness.put(UInt32(truncatingIfNeeded: offset >> 32), at: position, in: &bytes)
            RecordBatchHarness.put(UInt32(truncatingIfNeeded: offset), at: position + 4, in: &bytes)
            let lastOffsetDelta = bytes[position + 23..<position + 27].reduce(0) { $0 << 8 | Int($1) }
            offset = offset &+ Int64(Int32(truncatingIfNeeded: lastOffsetDelta)) &+ 1
            let crc = bytes[position + 21..<position + size].withUnsafeBytes { CRC32C.checksum($0) }
            RecordBatchHarness.put(crc, at: position + 17, in: &bytes)
            position += size
        }
        return bytes
    }

    /// Builds a valid log of 1–4 batches and splices `input[3...]` into it (see the type's
    /// documentation).
    public static func splice(_ input: [UInt8]) -> [UInt8] {
        guard input.count >= 3 else { return validLog(batchCount: 1) }
        let batchCount = 1 + Int(input[0] & 0x03)
        let overwrites = input[0] & 0x80 != 0
        var log = validLog(batchCount: batchCount)
        let position = (Int(input[1]) << 8 | Int(input[2])) % (log.count + 1)
        let payload = input[3...]
        if overwrites {
            let end = min(log.count, position + payload.count)
            log.replaceSubrange(position..<end, with: payload)
        } else {
            log.insert(contentsOf: payload, at: position)
        }
        return log
    }

    /// `batchCount` valid batches with offsets from 0: a mix of keys, null values and headers.
    public static func validLog(batchCount: Int) -> [UInt8] {
        var buffer = ByteBuffer()
        var offset: Int64 = 0
        for index in 0..<batchCount {
            let records = sampleRecords(index)
            RecordBatch.write(records: records, baseOffset: offset, into: &buffer)
            offset += Int64(records.count)
        }
        return Array(buffer.readableBytesView)
    }

    /// A few records of batch number `index` (varied by `index`).
    public static func sampleRecords(_ index: Int) -> [Record] {
        let timestamp = 1_700_000_000_000 + Int64(index) * 1000
        switch index % 3 {
        case 0:
            return [Record(value: ByteBuffer(string: "value \(index)"), timestamp: timestamp)]
        case 1:
            return [
                Record(key: ByteBuffer(string: "k"), value: nil, timestamp: timestamp),
                Record(
                    key: nil,
                    value: ByteBuffer(string: "v"),
                    headers: [RecordHeader(key: "h", value: nil), RecordHeader(key: "i", value: ByteBuffer())],
                    timestamp: timestamp - 5
                ),
            ]
        default:
            return (0..<3).map { Record(value: ByteBuffer(repeating: UInt8($0), count: 20), timestamp: timestamp) }
        }
    }

    /// Writes `log` as the first segment of a fresh partition with no clean-shutdown marker, opens
    /// it, reads and decodes everything, appends, closes, reopens, and removes the directory.
    public static func recover(_ log: [UInt8]) {
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/00000000000000000000.log"
        guard FileManager.default.createFile(atPath: path, contents: Data(log)) else {
            preconditionFailure("cannot write \(path)")
        }
        do {
            let partition = try PartitionLog.open(
                directory: directory,
                configuration: configuration,
                scheduler: scheduler
            )
            let endOffset = partition.logEndOffset
            readEverything(partition)
            let value = ByteBuffer(bytes: log.prefix(16))
            let appended = try partition.append(RecordBatch(records: [Record(value: value, timestamp: 1)]))
            precondition(appended.firstOffset == endOffset, "append got \(appended.firstOffset), expected \(endOffset)")
            let newEnd = partition.logEndOffset
            try partition.close()

            let reopened = try PartitionLog.open(
                directory: directory,
                configuration: configuration,
                scheduler: scheduler
            )
            precondition(reopened.recoveryReport.wasCleanShutdown)
            precondition(
                reopened.logEndOffset == newEnd,
                "clean reopen found log end \(reopened.logEndOffset), expected \(newEnd)"
            )
            readEverything(reopened)
            try reopened.close()
        } catch {
            // Recovery cuts damage off instead of failing, and what it kept is valid: nothing
            // above may throw on bad bytes.
            preconditionFailure("recovery path threw: \(error)")
        }
    }

    /// Reads every batch from the log start to the log end and decodes its records.
    static func readEverything(_ partition: PartitionLog) {
        var offset = partition.logStartOffset
        while offset < partition.logEndOffset {
            let result: LogReadResult
            do {
                result = try partition.read(from: offset, maxBytes: 512)
            } catch {
                preconditionFailure("reading offset \(offset) of a recovered log threw: \(error)")
            }
            if let lost = result.lostOffsets {
                // Offsets lost to damage on disk: step over them.
                precondition(lost.contains(offset), "lost offsets \(lost) do not cover \(offset)")
                offset = lost.upperBound
                continue
            }
            guard let last = result.batches.last else {
                preconditionFailure("no batches at offset \(offset) below the log end \(partition.logEndOffset)")
            }
            for batch in result.batches {
                // Recovery checks lengths, CRCs and offsets, not records: these may throw.
                do {
                    for record in try batch.records() { blackHole(record.offset) }
                } catch {
                    expectLogStoreError(error, "decoding a recovered batch")
                }
            }
            precondition(last.lastOffset >= offset, "read from \(offset) returned batches ending at \(last.lastOffset)")
            offset = last.lastOffset + 1
        }
    }

    static func makeTemporaryDirectory() -> String {
        let parent = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        var template = Array((parent + "/sluice-fuzz-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            preconditionFailure("mkdtemp failed: \(errno)")
        }
        return String(cString: made)
    }
}
