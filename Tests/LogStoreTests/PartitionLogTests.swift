import Foundation
import NIOCore
import RecordCodec
import Synchronization
import Testing

@testable import LogStore

// MARK: - Fixtures shared by the storage tests

/// A temporary partition directory and the flush threads of one test.
///
/// Every test makes its own and calls ``tearDown()`` at the end (``withStorageFixture(_:)`` does
/// both), which shuts the flush threads down and removes the directory.
final class StorageFixture {
    let directory: String
    /// The flush thread the next ``open(_:clock:)`` uses.
    private(set) var scheduler = FlushScheduler()
    private var stoppedSchedulers: [FlushScheduler] = []

    init() {
        directory = "/tmp/sluice-storage-test-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
    }

    /// The clock of the logs a test opens unless it passes its own. Test records carry small
    /// timestamps (around 1970), which the real clock would find older than the default
    /// `segmentMilliseconds` and roll a segment for each batch.
    static let stoppedClock: @Sendable () -> Int64 = { 0 }

    /// Opens the partition log in the fixture's directory.
    func open(
        _ configuration: LogConfiguration = LogConfiguration(),
        clock: @escaping @Sendable () -> Int64 = stoppedClock
    ) throws -> PartitionLog {
        try PartitionLog.open(directory: directory, configuration: configuration, scheduler: scheduler, clock: clock)
    }

    /// Opens the log, runs `body`, then simulates a crash: the log is dropped without `close()`, so
    /// no clean-shutdown marker is written, while its bytes stay where the page cache would keep
    /// them. The flush thread is then stopped (after finishing what was submitted) and replaced,
    /// so that nothing writes into the directory while a test damages its files.
    func runThenCrash<T>(
        _ configuration: LogConfiguration = LogConfiguration(),
        clock: @escaping @Sendable () -> Int64 = stoppedClock,
        _ body: (PartitionLog) throws -> T
    ) throws -> T {
        let result = try { () throws -> T in
            let log = try open(configuration, clock: clock)
            return try body(log)
        }()
        quiesce()
        return result
    }

    /// Opens the log, runs `body` and closes the log cleanly.
    func runThenClose<T>(
        _ configuration: LogConfiguration = LogConfiguration(),
        _ body: (PartitionLog) throws -> T
    ) throws -> T {
        let log = try open(configuration)
        let result = try body(log)
        try log.close()
        quiesce()
        return result
    }

    /// Stops the flush thread once it has finished every submitted flush and starts a new one.
    func quiesce() {
        scheduler.shutdown()
        stoppedSchedulers.append(scheduler)
        scheduler = FlushScheduler()
    }

    /// The path of a file in the partition directory.
    func path(_ name: String) -> String { directory + "/" + name }

    /// The path of a segment file: `<20-digit base offset><suffix>`.
    func segmentPath(_ baseOffset: Int64, _ suffix: String) -> String {
        path(Segment.fileName(baseOffset: baseOffset, suffix: suffix))
    }

    /// The names in the partition directory, sorted.
    func fileNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    }

    func fileSize(_ path: String) throws -> Int64 {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return Int64((attributes[.size] as? NSNumber)?.int64Value ?? -1)
    }

    func fileExists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    func tearDown() {
        scheduler.shutdown()
        for scheduler in stoppedSchedulers { scheduler.shutdown() }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Runs `body` with a fresh ``StorageFixture`` and tears it down afterwards.
func withStorageFixture<T>(_ body: (StorageFixture) throws -> T) throws -> T {
    let fixture = StorageFixture()
    defer { fixture.tearDown() }
    return try body(fixture)
}

/// Runs `body` with a fresh ``StorageFixture`` and tears it down afterwards.
func withStorageFixture<T>(_ body: (StorageFixture) async throws -> T) async throws -> T {
    let fixture = StorageFixture()
    defer { fixture.tearDown() }
    return try await body(fixture)
}

/// Byte-level edits of files, for damaging logs and indexes.
enum FileDamage {
    static func read(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// Cuts the file to `size` bytes.
    static func truncate(_ path: String, to size: Int64) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.truncate(atOffset: UInt64(size))
    }

    /// XORs the bytes at `position` with `masks` (each non-zero, so every byte changes).
    static func flip(_ path: String, at position: Int, masks: [UInt8]) throws {
        var bytes = try read(path)
        for (index, mask) in masks.enumerated() {
            precondition(mask != 0)
            bytes[position + index] ^= mask
        }
        try write(bytes, to: path)
    }

    static func append(_ extra: [UInt8], to path: String) throws {
        try write(try read(path) + extra, to: path)
    }
}

/// SplitMix64: a small, fast, seedable generator, so that a failing random test can be replayed.
struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    mutating func bytes(_ count: Int) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(count + 8)
        while result.count < count {
            withUnsafeBytes(of: next()) { result.append(contentsOf: $0) }
        }
        result.removeLast(result.count - count)
        return result
    }
}

/// A clock for `PartitionLog.open(clock:)` that moves only when a test says so.
final class ManualClock: Sendable {
    private let milliseconds: Mutex<Int64>

    init(_ start: Int64) { milliseconds = Mutex(start) }

    var now: Int64 {
        get { milliseconds.withLock { $0 } }
        set { milliseconds.withLock { $0 = newValue } }
    }

    var function: @Sendable () -> Int64 { { self.now } }
}

/// A record whose value is `size` copies of `fill` (or `nil`), for batches of a known size.
func makeLogRecord(
    valueSize: Int = 16,
    fill: UInt8 = 0x61,
    key: String? = nil,
    timestamp: Int64 = 1_000
) -> Record {
    Record(
        key: key.map { ByteBuffer(string: $0) },
        value: ByteBuffer(bytes: [UInt8](repeating: fill, count: valueSize)),
        timestamp: timestamp
    )
}

/// A batch of `count` records with `valueSize`-byte values, all at `timestamp`.
func makeLogBatch(count: Int = 1, valueSize: Int = 16, timestamp: Int64 = 1_000, baseOffset: Int64 = 0) -> RecordBatch {
    RecordBatch(
        records: (0..<count).map {
            makeLogRecord(valueSize: valueSize, fill: UInt8(0x61 + $0 % 26), timestamp: timestamp)
        },
        baseOffset: baseOffset
    )
}

/// A batch's bytes as an array.
func batchBytes(_ batch: RecordBatch) -> [UInt8] { Array(batch.buffer.readableBytesView) }

/// Recomputes the CRC-32C of a batch after a test changed bytes inside it.
func resealedBatch(_ bytes: [UInt8]) -> RecordBatch {
    var bytes = bytes
    let crc = bytes[RecordBatch.Field.attributes...].withUnsafeBytes { CRC32C.checksum($0) }
    withUnsafeBytes(of: crc.bigEndian) { raw in
        for index in 0..<4 { bytes[RecordBatch.Field.crc + index] = raw[index] }
    }
    return RecordBatch(unchecked: ByteBuffer(bytes: bytes))
}

/// What a partition log should hold: every appended record and every batch, by offset.
struct LogModel {
    struct Batch: Equatable {
        var firstOffset: Int64
        var lastOffset: Int64
        var sizeInBytes: Int
    }

    /// Records by offset (the log starts at offset 0 and nothing is deleted).
    private(set) var records: [Record] = []
    private(set) var batches: [Batch] = []

    var endOffset: Int64 { Int64(records.count) }

    /// Appends `batch` to `log` and records what it should have done.
    @discardableResult
    mutating func append(
        _ batch: RecordBatch,
        to log: PartitionLog,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> PartitionLog.AppendResult {
        let result = try log.append(batch)
        let count = Int64(batch.recordCount)
        #expect(result.firstOffset == endOffset, sourceLocation: sourceLocation)
        #expect(result.lastOffset == endOffset + count - 1, sourceLocation: sourceLocation)
        #expect(result.maxTimestamp == batch.maxTimestamp, sourceLocation: sourceLocation)
        var decoded = try batch.records()
        for index in decoded.indices { decoded[index].offset = endOffset + Int64(index) }
        batches.append(Batch(firstOffset: endOffset, lastOffset: endOffset + count - 1, sizeInBytes: batch.sizeInBytes))
        records.append(contentsOf: decoded)
        return result
    }

    /// Keeps the first `count` batches only (what recovery should leave after a cut).
    mutating func keepBatches(_ count: Int) {
        batches.removeLast(batches.count - count)
        records.removeLast(records.count - Int(batches.last.map { $0.lastOffset + 1 } ?? 0))
    }

    /// The index of the batch holding `offset`.
    func batchIndex(holding offset: Int64) -> Int? {
        batches.firstIndex { $0.firstOffset <= offset && offset <= $0.lastOffset }
    }

    /// The first offset whose record's timestamp is at or after `timestamp`.
    func offset(atOrAfterTimestamp timestamp: Int64) -> Int64? {
        records.first { $0.timestamp >= timestamp }?.offset
    }

    /// Where each batch lies on disk, given the segments' base offsets.
    func layout(segmentBaseOffsets: [Int64]) -> [(batch: Batch, segment: Int64, position: Int64)] {
        var positions: [Int64: Int64] = [:]
        return batches.map { batch in
            let segment = segmentBaseOffsets.last { $0 <= batch.firstOffset }!
            let position = positions[segment, default: 0]
            positions[segment] = position + Int64(batch.sizeInBytes)
            return (batch, segment, position)
        }
    }
}

/// Reads the whole log segment by segment and checks it against `model`: the same batches, the
/// same records, the same end.
func expectLog(
    _ log: PartitionLog,
    matches model: LogModel,
    _ comment: Comment? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    #expect(log.logStartOffset == 0, comment, sourceLocation: sourceLocation)
    #expect(log.logEndOffset == model.endOffset, comment, sourceLocation: sourceLocation)
    var offset: Int64 = 0
    var batchIndex = 0
    while offset < log.logEndOffset {
        let result = try log.read(from: offset, maxBytes: 256 << 10)
        try #require(!result.batches.isEmpty, comment, sourceLocation: sourceLocation)
        for batch in result.batches {
            try #require(batchIndex < model.batches.count, comment, sourceLocation: sourceLocation)
            let expected = model.batches[batchIndex]
            #expect(batch.baseOffset == expected.firstOffset, comment, sourceLocation: sourceLocation)
            #expect(batch.lastOffset == expected.lastOffset, comment, sourceLocation: sourceLocation)
            let records = try batch.records()
            let wanted = model.records[Int(expected.firstOffset)...Int(expected.lastOffset)]
            #expect(records == Array(wanted), comment, sourceLocation: sourceLocation)
            batchIndex += 1
            offset = batch.lastOffset + 1
        }
    }
    #expect(batchIndex == model.batches.count, comment, sourceLocation: sourceLocation)
    let atEnd = try log.read(from: log.logEndOffset, maxBytes: 1 << 20)
    #expect(atEnd.batches.isEmpty && atEnd.bytes.readableBytes == 0, comment, sourceLocation: sourceLocation)
}

/// Expects `body` to throw a ``LogStoreError`` with `code`, and returns it.
@discardableResult
func expectLogStoreError(
    _ code: LogStoreError.Code,
    _ comment: Comment? = nil,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) -> LogStoreError? {
    let error = #expect(throws: LogStoreError.self, comment, sourceLocation: sourceLocation) { try body() }
    #expect(error?.code == code, comment, sourceLocation: sourceLocation)
    return error
}

// MARK: - PartitionLog

@Suite("PartitionLog")
struct PartitionLogTests {
    /// A log whose segments roll every few batches and which writes an index entry per batch or two.
    static let smallSegments: LogConfiguration = {
        var configuration = LogConfiguration()
        configuration.segmentBytes = 1024
        configuration.indexIntervalBytes = 128
        configuration.flushPolicy = .os
        return configuration
    }()

    // MARK: Append

    @Test("append assigns consecutive offsets and rewrites baseOffset")
    func appendAssignsOffsets() throws {
        try withStorageFixture { fixture in
            let log = try fixture.open()
            #expect(log.logStartOffset == 0 && log.logEndOffset == 0)

            let first = try log.append(makeLogBatch(count: 3, timestamp: 500))
            #expect(first == .init(firstOffset: 0, lastOffset: 2, maxTimestamp: 500))
            // The producer's baseOffset is ignored: the log assigns the next offset.
            let sent = makeLogBatch(count: 2, timestamp: 700, baseOffset: 12_345)
            let second = try log.append(sent)
            #expect(second == .init(firstOffset: 3, lastOffset: 4, maxTimestamp: 700))
            #expect(sent.baseOffset == 12_345, "the caller's batch is not modified")
            let third = try log.append(makeLogBatch(count: 1, timestamp: 600))
            #expect(third == .init(firstOffset: 5, lastOffset: 5, maxTimestamp: 600))
            #expect(log.logEndOffset == 6)

            let read = try log.read(from: 0, maxBytes: 1 << 20)
            #expect(read.batches.map(\.baseOffset) == [0, 3, 5])
            #expect(read.batches.map(\.lastOffset) == [2, 4, 5])
            // Stored bytes are the producer's bytes with only baseOffset rewritten.
            var expected = batchBytes(sent)
            withUnsafeBytes(of: Int64(3).bigEndian) { expected.replaceSubrange(0..<8, with: $0) }
            #expect(batchBytes(read.batches[1]) == expected)
            #expect(try read.batches[1].records().map(\.offset) == [3, 4])
            try log.close()
        }
    }

    @Test("the stored bytes are exactly the appended batches, back to back")
    func readReturnsStoredBytes() throws {
        try withStorageFixture { fixture in
            let log = try fixture.open()
            var all: [UInt8] = []
            for index in 0..<4 {
                let batch = makeLogBatch(count: index + 1, valueSize: 10 * index)
                let result = try log.append(batch)
                var bytes = batchBytes(batch)
                withUnsafeBytes(of: result.firstOffset.bigEndian) { bytes.replaceSubrange(0..<8, with: $0) }
                all += bytes
            }
            let read = try log.read(from: 0, maxBytes: 1 << 20)
            #expect(Array(read.bytes.readableBytesView) == all)
            #expect(read.batches.reduce([]) { $0 + batchBytes($1) } == all)
            #expect(try FileDamage.read(fixture.segmentPath(0, ".log")) == all)
            #expect(read.logStartOffset == 0 && read.logEndOffset == 10)
        }
    }

    // MARK: Read

    @Test("read returns whole batches up to maxBytes, but always at least one")
    func readRespectsMaxBytes() throws {
        try withStorageFixture { fixture in
            let log = try fixture.open()
            var model = LogModel()
            for _ in 0..<5 { try model.append(makeLogBatch(count: 2, valueSize: 100), to: log) }
            let size = model.batches[0].sizeInBytes

            for (maxBytes, expectedCount) in [
                (0, 1), (1, 1), (size - 1, 1), (size, 1), (size + 1, 1), (2 * size, 2), (3 * size - 1, 2),
                (3 * size, 3), (100 * size, 5),
            ] {
                let read = try log.read(from: 0, maxBytes: maxBytes)
                #expect(read.batches.count == expectedCount, "maxBytes \(maxBytes)")
                #expect(read.bytes.readableBytes == expectedCount * size, "maxBytes \(maxBytes)")
                #expect(read.batches.map(\.baseOffset) == (0..<expectedCount).map { Int64($0 * 2) })
            }

            // A batch larger than maxBytes still comes back whole.
            try model.append(makeLogBatch(count: 3, valueSize: 5000), to: log)
            let read = try log.read(from: 10, maxBytes: 100)
            #expect(read.batches.count == 1)
            #expect(read.bytes.readableBytes == model.batches[5].sizeInBytes)
            #expect(try read.batches[0].records() == Array(model.records[10...12]))
        }
    }

    @Test("a read from the middle of a batch returns that whole batch")
    func readFromMiddleOfBatch() throws {
        try withStorageFixture { fixture in
            let log = try fixture.open()
            var model = LogModel()
            try model.append(makeLogBatch(count: 5), to: log)
            try model.append(makeLogBatch(count: 5), to: log)
            for offset: Int64 in 0..<10 {
                let read = try log.read(from: offset, maxBytes: 1)
                try #require(read.batches.count == 1)
                #expect(read.batches[0].baseOffset == (offset < 5 ? 0 : 5))
                #expect(read.batches[0].lastOffset == (offset < 5 ? 4 : 9))
            }
        }
    }

    @Test("a read at the log end is empty; below the start or past the end it throws offsetOutOfRange")
    func readBounds() throws {
        try withStorageFixture { fixture in
            let log = try fixture.open()
            let empty = try log.read(from: 0, maxBytes: 1 << 20)
            #expect(empty.batches.isEmpty && empty.bytes.readableBytes == 0)
            #expect(empty.logEndOffset == 0)
            var error = expectLogStoreError(.offsetOutOfRange) { _ = try log.read(from: 1, maxBytes: 1 << 20) }
            #expect(error?.validOffsets == 0..<0)

            try log.append(makeLogBatch(count: 4))
            let atEnd = try log.read(from: 4, maxBytes: 1 << 20)
            #expect(atEnd.batches.isEmpty && atEnd.bytes.readableBytes == 0)
            #expect(atEnd.logStartOffset == 0 && atEnd.logEndOffset == 4)

            for offset: Int64 in [-1, -100, .min, 5, 6, 1_000, .max] {
                error = expectLogStoreError(.offsetOutOfRange, "offset \(offset)") {
                    _ = try log.read(from: offset, maxBytes: 1 << 20)
                }
                #expect(error?.validOffsets == 0..<4, "offset \(offset)")
            }
        }
    }

    // MARK: Rejected batches

    enum BadBatch: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case empty, tooLarge, compressed, badChecksum, badMagic, badLength, recordCountMismatch
        var testDescription: String { rawValue }

        var expectedCode: LogStoreError.Code {
            switch self {
            case .empty: .invalidBatch
            case .tooLarge: .batchTooLarge
            case .compressed: .unsupportedCompression
            case .badChecksum: .checksumMismatch
            case .badMagic: .badMagic
            case .badLength: .badLength
            case .recordCountMismatch: .recordCountMismatch
            }
        }

        func make() -> RecordBatch {
            var bytes = batchBytes(makeLogBatch(count: 3, valueSize: 20))
            switch self {
            case .empty:
                // A header with no records: lastOffsetDelta -1, recordCount 0, a valid CRC.
                bytes.removeLast(bytes.count - RecordBatch.headerSize)
                set(Int32(RecordBatch.minimumBatchLength), at: RecordBatch.Field.batchLength, in: &bytes)
                set(Int32(-1), at: RecordBatch.Field.lastOffsetDelta, in: &bytes)
                set(Int32(0), at: RecordBatch.Field.recordCount, in: &bytes)
                return resealedBatch(bytes)
            case .tooLarge:
                return makeLogBatch(count: 2, valueSize: 600)
            case .compressed:
                set(Int16(4), at: RecordBatch.Field.attributes, in: &bytes)  // zstd (gzip is read: GzipAppendTests)
                return resealedBatch(bytes)
            case .badChecksum:
                bytes[bytes.count - 5] ^= 0x40  // a value byte
                return RecordBatch(unchecked: ByteBuffer(bytes: bytes))
            case .badMagic:
                bytes[RecordBatch.Field.magic] = 1
                return RecordBatch(unchecked: ByteBuffer(bytes: bytes))
            case .badLength:
                // batchLength says one byte more than there is.
                set(Int32(bytes.count - RecordBatch.logOverhead + 1), at: RecordBatch.Field.batchLength, in: &bytes)
                return RecordBatch(unchecked: ByteBuffer(bytes: bytes))
            case .recordCountMismatch:
                set(Int32(4), at: RecordBatch.Field.recordCount, in: &bytes)
                return resealedBatch(bytes)
            }
        }

        private func set<T: FixedWidthInteger>(_ value: T, at position: Int, in bytes: inout [UInt8]) {
            withUnsafeBytes(of: value.bigEndian) { bytes.replaceSubrange(position..<position + $0.count, with: $0) }
        }
    }

    @Test(
        "malformed, compressed, empty and oversized batches are rejected and leave the log unchanged",
        arguments: BadBatch.allCases
    )
    func rejectedBatch(_ bad: BadBatch) throws {
        try withStorageFixture { fixture in
            var configuration = LogConfiguration()
            configuration.maxBatchBytes = 1024
            let log = try fixture.open(configuration)
            var model = LogModel()
            try model.append(makeLogBatch(count: 2), to: log)
            let sizeBefore = log.sizeInBytes
            let fileBefore = try FileDamage.read(fixture.segmentPath(0, ".log"))

            expectLogStoreError(bad.expectedCode) { try log.append(bad.make()) }

            #expect(log.logEndOffset == 2)
            #expect(log.sizeInBytes == sizeBefore)
            #expect(try FileDamage.read(fixture.segmentPath(0, ".log")) == fileBefore)
            try model.append(makeLogBatch(count: 1), to: log)
            try expectLog(log, matches: model)
            try log.close()
        }
    }

    /// The header's maxTimestamp is what time lookups and retention go by, so a batch whose header
    /// disagrees with its records is refused: with `Int64.max` a producer could make its segment
    /// immune to retention, with a small value hide its records from time lookups.
    @Test(
        "a batch whose header maxTimestamp disagrees with its records is refused",
        arguments: [0, 4_999, 5_001, .max] as [Int64]
    )
    func inconsistentMaxTimestamp(headerMaxTimestamp: Int64) throws {
        try withStorageFixture { fixture in
            let log = try fixture.open()
            var bytes = batchBytes(makeLogBatch(count: 2, timestamp: 5_000))
            withUnsafeBytes(of: headerMaxTimestamp.bigEndian) {
                bytes.replaceSubrange(RecordBatch.Field.maxTimestamp..<RecordBatch.Field.maxTimestamp + 8, with: $0)
            }
            expectLogStoreError(.invalidBatch) { try log.append(resealedBatch(bytes)) }
            #expect(log.logEndOffset == 0 && log.sizeInBytes == 0)
            #expect(try log.offset(atOrAfterTimestamp: .min) == nil)
        }
    }

    // MARK: Segments

    @Test("segments roll by size and are named by their 20-digit base offset")
    func rollBySize() throws {
        try withStorageFixture { fixture in
            let log = try fixture.open(Self.smallSegments)
            var model = LogModel()
            var expectedBases: [Int64] = [0]
            var activeSize = 0
            for index in 0..<40 {
                // Mostly small batches, and now and then one larger than a whole segment.
                let batch = makeLogBatch(count: 1 + index % 3, valueSize: index % 13 == 12 ? 1500 : 90)
                if activeSize > 0 && activeSize + batch.sizeInBytes > 1024 {
                    expectedBases.append(model.endOffset)
                    activeSize = 0
                }
                activeSize += batch.sizeInBytes
                try model.append(batch, to: log)
            }
            #expect(log.segmentCount == expectedBases.count)
            #expect(log.segmentBaseOffsets == expectedBases)
            #expect(expectedBases.count > 5)

            let layout = model.layout(segmentBaseOffsets: expectedBases)
            var expectedNames = Set<String>()
            for base in expectedBases {
                let digits = String(base)
                let stem = String(repeating: "0", count: 20 - digits.count) + digits
                expectedNames.formUnion([stem + ".log", stem + ".index", stem + ".timeindex"])
                let size = layout.filter { $0.segment == base }.reduce(0) { $0 + $1.batch.sizeInBytes }
                #expect(try fixture.fileSize(fixture.path(stem + ".log")) == Int64(size))
                #expect(
                    size <= 1024 || layout.filter { $0.segment == base }.count == 1,
                    "only a lone batch may overflow"
                )
            }
            try log.flush()
            let names = Set(try fixture.fileNames())
            #expect(names.subtracting([RecoveryCheckpoint.fileName, PartitionLog.lockFileName]) == expectedNames)
            #expect(Segment.fileName(baseOffset: 52_341, suffix: ".log") == "00000000000000052341.log")
            try expectLog(log, matches: model)
            try log.close()
        }
    }

    @Test("segments roll by age, counted from the first batch's timestamp on the injected clock")
    func rollByAge() throws {
        try withStorageFixture { fixture in
            var configuration = LogConfiguration()
            configuration.segmentMilliseconds = 60_000
            configuration.flushPolicy = .os
            let clock = ManualClock(1_000_000)
            let log = try fixture.open(configuration, clock: clock.function)
            try log.append(makeLogBatch(timestamp: 1_000_000))
            clock.now = 1_059_999
            try log.append(makeLogBatch(timestamp: 1_059_999))
            #expect(log.segmentBaseOffsets == [0])
            clock.now = 1_060_000
            try log.append(makeLogBatch(timestamp: 1_060_000))
            #expect(log.segmentBaseOffsets == [0, 2])
            try log.append(makeLogBatch(timestamp: 1_060_001))
            #expect(log.segmentBaseOffsets == [0, 2])
            try log.close()

            // The roll timestamp comes back from the segment's first batch after a restart.
            let reopened = try fixture.open(configuration, clock: clock.function)
            clock.now = 1_119_999
            try reopened.append(makeLogBatch(timestamp: 1_119_999))
            #expect(reopened.segmentBaseOffsets == [0, 2])
            clock.now = 1_120_000
            try reopened.append(makeLogBatch(timestamp: 1_120_000))
            #expect(reopened.segmentBaseOffsets == [0, 2, 5])
            try reopened.close()
        }
    }

    @Test("without segmentMilliseconds a segment never rolls by age")
    func noRollByAge() throws {
        try withStorageFixture { fixture in
            var configuration = LogConfiguration()
            configuration.segmentMilliseconds = nil
            let clock = ManualClock(0)
            let log = try fixture.open(configuration, clock: clock.function)
            try log.append(makeLogBatch(timestamp: 0))
            clock.now = .max / 2
            try log.append(makeLogBatch(timestamp: 0))
            #expect(log.segmentBaseOffsets == [0])
        }
    }

    @Test("reads walk across many segments")
    func readAcrossSegments() throws {
        try withStorageFixture { fixture in
            let log = try fixture.open(Self.smallSegments)
            var model = LogModel()
            for index in 0..<120 { try model.append(makeLogBatch(count: 1 + index % 4, valueSize: 50), to: log) }
            #expect(log.segmentCount > 20)
            try expectLog(log, matches: model)
            // Every offset, read alone, gives the batch holding it.
            for offset in 0..<model.endOffset {
                let read = try log.read(from: offset, maxBytes: 1)
                let batch = model.batches[try #require(model.batchIndex(holding: offset))]
                #expect(read.batches.map(\.baseOffset) == [batch.firstOffset], "offset \(offset)")
            }
            // A read stays within one segment.
            let whole = try log.read(from: 0, maxBytes: 1 << 20)
            #expect(whole.batches.last!.lastOffset + 1 == log.segmentBaseOffsets[1])
        }
    }

    // MARK: Restart

    @Test("a clean close and open keep offsets and data and skip recovery")
    func cleanRestart() throws {
        try withStorageFixture { fixture in
            var model = LogModel()
            try fixture.runThenClose(Self.smallSegments) { log in
                for index in 0..<30 { try model.append(makeLogBatch(count: 1 + index % 3, valueSize: 70), to: log) }
            }
            #expect(fixture.fileExists(fixture.path(PartitionLog.cleanShutdownFileName)))

            let log = try fixture.open(Self.smallSegments)
            #expect(log.recoveryReport.wasCleanShutdown)
            #expect(log.recoveryReport.validatedSegments.isEmpty)
            #expect(log.recoveryReport.damage == nil)
            #expect(!fixture.fileExists(fixture.path(PartitionLog.cleanShutdownFileName)))
            try expectLog(log, matches: model)
            try model.append(makeLogBatch(count: 2), to: log)
            try expectLog(log, matches: model)
            try log.close()

            let again = try fixture.open(Self.smallSegments)
            #expect(again.recoveryReport.wasCleanShutdown)
            try expectLog(again, matches: model)
        }
    }

    @Test("a log opened for the first time reports no clean shutdown and starts at offset 0")
    func freshLog() throws {
        try withStorageFixture { fixture in
            let log = try fixture.open()
            #expect(!log.recoveryReport.wasCleanShutdown)
            #expect(log.segmentBaseOffsets == [0])
            #expect(log.sizeInBytes == 0)
            #expect(try fixture.fileNames().contains("00000000000000000000.log"))
        }
    }

    @Test("an invalid configuration is refused at open")
    func invalidConfiguration() throws {
        try withStorageFixture { fixture in
            var configuration = LogConfiguration()
            configuration.segmentBytes = 1023
            expectLogStoreError(.invalidConfiguration) { _ = try fixture.open(configuration) }
            configuration = LogConfiguration()
            configuration.flushPolicy = .interval(milliseconds: 0)
            expectLogStoreError(.invalidConfiguration) { _ = try fixture.open(configuration) }
        }
    }

    // MARK: Time lookups

    @Test(
        "offset(atOrAfterTimestamp:) matches a model, with timestamps out of order",
        arguments: [1, 2, 3] as [UInt64]
    )
    func offsetForTimestamp(seed: UInt64) throws {
        try withStorageFixture { fixture in
            var random = SeededRandom(seed: seed)
            var model = LogModel()
            let log = try fixture.open(Self.smallSegments)
            for _ in 0..<80 {
                let count = Int.random(in: 1...4, using: &random)
                let records = (0..<count).map { _ in
                    makeLogRecord(
                        valueSize: Int.random(in: 0...120, using: &random),
                        timestamp: Int64.random(in: 0...2_000, using: &random)
                    )
                }
                try model.append(RecordBatch(records: records), to: log)
            }
            func check(_ log: PartitionLog, _ stage: String) throws {
                var probes: Set<Int64> = [-1, .min, .max, 2_001]
                for record in model.records {
                    probes.formUnion([record.timestamp - 1, record.timestamp, record.timestamp + 1])
                }
                for timestamp in probes.sorted() {
                    #expect(
                        try log.offset(atOrAfterTimestamp: timestamp) == model.offset(atOrAfterTimestamp: timestamp),
                        "seed \(seed), \(stage), timestamp \(timestamp)"
                    )
                }
            }
            try check(log, "open")
            try log.close()
            fixture.quiesce()
            try fixture.runThenCrash(Self.smallSegments) { log in try check(log, "after a clean restart") }
            // After the crash every segment from the recovery point is recovered (indexes rebuilt).
            let recovered = try fixture.open(Self.smallSegments)
            try check(recovered, "after recovery")
            try recovered.close()
        }
    }

    // MARK: Sizes and closing

    @Test("sizeInBytes is the sum of the .log files")
    func sizeInBytes() throws {
        try withStorageFixture { fixture in
            let log = try fixture.open(Self.smallSegments)
            var total = 0
            for index in 0..<25 {
                let batch = makeLogBatch(count: 1 + index % 2, valueSize: 30 * index)
                try log.append(batch)
                total += batch.sizeInBytes
                #expect(log.sizeInBytes == Int64(total))
            }
            let onDisk = try log.segmentBaseOffsets.reduce(Int64(0)) {
                $0 + (try fixture.fileSize(fixture.segmentPath($1, ".log")))
            }
            #expect(onDisk == Int64(total))
        }
    }

    @Test("every operation on a closed log throws logClosed")
    func operationsAfterClose() throws {
        try withStorageFixture { fixture in
            let log = try fixture.open()
            try log.append(makeLogBatch())
            try log.close()
            expectLogStoreError(.logClosed) { try log.append(makeLogBatch()) }
            expectLogStoreError(.logClosed) { _ = try log.read(from: 0, maxBytes: 100) }
            expectLogStoreError(.logClosed) { _ = try log.offset(atOrAfterTimestamp: 0) }
            expectLogStoreError(.logClosed) { try log.flush() }
            expectLogStoreError(.logClosed) { try log.enforceRetention(now: 0) }
            expectLogStoreError(.logClosed) { try log.close() }
        }
    }
}

extension PartitionLogTests {
    @Test("a directory has one owner: a second open fails until the first log closes or goes away")
    func directoryLock() throws {
        try withStorageFixture { fixture in
            let log = try fixture.open()
            try log.append(makeLogBatch())
            let error = expectLogStoreError(.directoryInUse) { _ = try fixture.open() }
            #expect(error?.path == fixture.directory)
            try log.close()
            do {
                let reopened = try fixture.open()
                #expect(reopened.logEndOffset == 1)
                // Dropped without close (a crash): the lock goes with it.
            }
            let again = try fixture.open()
            #expect(!again.recoveryReport.wasCleanShutdown)
            #expect(again.logEndOffset == 1)
        }
    }
}

extension PartitionLogTests {
    @Test("records stamped in the past do not make every append roll a new segment")
    func oldTimestampsDoNotRollEachAppend() throws {
        try withStorageFixture { fixture in
            var configuration = LogConfiguration()
            configuration.segmentMilliseconds = 60_000
            let clock = ManualClock(10_000_000)
            let log = try fixture.open(configuration, clock: clock.function)
            for _ in 0..<5 { try log.append(makeLogBatch(timestamp: 1_000)) }
            #expect(log.segmentBaseOffsets == [0])
            clock.now = 10_060_000
            try log.append(makeLogBatch(timestamp: 1_000))
            #expect(log.segmentBaseOffsets == [0, 5], "a minute of real time still rolls")
        }
    }
}

extension PartitionLogTests {
    @Test("offset(nearEndWithin:) finds a batch boundary no more than about that many bytes before the end")
    func offsetNearEnd() throws {
        try withStorageFixture { fixture in
            var configuration = LogConfiguration()
            configuration.indexIntervalBytes = 1024
            let log = try fixture.open(configuration)
            #expect(log.offset(nearEndWithin: 1 << 20) == 0, "an empty log")
            for _ in 0..<100 { try log.append(makeLogBatch(count: 2, valueSize: 200)) }
            #expect(log.offset(nearEndWithin: Int64.max / 2) == 0)
            let near = log.offset(nearEndWithin: 4096)
            #expect(near > 0 && near < log.logEndOffset)
            // From there to the end is at most the budget plus one index interval.
            var bytes = 0
            var offset = near
            while offset < log.logEndOffset {
                let result = try log.read(from: offset, maxBytes: 1 << 20)
                #expect(result.batches.first?.baseOffset == offset, "a batch boundary")
                bytes += result.bytes.readableBytes
                offset = result.batches.last!.lastOffset + 1
            }
            #expect(bytes <= 4096 + 2048, "within an index interval and a batch of the budget")
            #expect(bytes >= 4096 - 2048, "within an index interval and a batch of the budget")
        }
    }
}
