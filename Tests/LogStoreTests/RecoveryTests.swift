import Foundation
import NIOCore
import RecordCodec
import Testing

@testable import LogStore

/// Crash recovery. A "crash" drops the ``PartitionLog`` without `close()`, so there is no
/// clean-shutdown marker while the written bytes stay (as the page cache keeps them); the tests
/// then damage files the way a torn write, a bad disk or an operator would.
@Suite("Recovery")
struct RecoveryTests {
    /// Segments of a dozen batches, an index entry every batch or so.
    static let configuration: LogConfiguration = {
        var configuration = LogConfiguration()
        configuration.segmentBytes = 4096
        configuration.indexIntervalBytes = 256
        configuration.segmentMilliseconds = nil
        configuration.flushPolicy = .os
        return configuration
    }()

    /// A batch of 1...4 records with 0...200-byte values and timestamps that mostly grow.
    static func randomBatch(_ number: Int, using random: inout SeededRandom) -> RecordBatch {
        let records = (0..<Int.random(in: 1...4, using: &random)).map { _ in
            Record(
                key: Bool.random(using: &random) ? nil : ByteBuffer(bytes: random.bytes(8)),
                value: ByteBuffer(bytes: random.bytes(Int.random(in: 0...200, using: &random))),
                timestamp: Int64(number) * 1_000 + Int64.random(in: 0...1_500, using: &random)
            )
        }
        return RecordBatch(records: records)
    }

    /// Writes `batchCount` random batches and crashes.
    /// - Returns: the model and the segments' base offsets at the crash.
    static func writeThenCrash(
        _ fixture: StorageFixture,
        batchCount: Int,
        using random: inout SeededRandom
    ) throws -> (model: LogModel, bases: [Int64]) {
        var model = LogModel()
        let bases = try fixture.runThenCrash(configuration) { log in
            for number in 0..<batchCount { try model.append(randomBatch(number, using: &random), to: log) }
            return log.segmentBaseOffsets
        }
        return (model, bases)
    }

    /// The bytes of a batch that no check covers: the partition leader epoch (bytes 12..<16) lies
    /// outside the CRC, as in Kafka, so changing it leaves a valid batch.
    static func isCovered(_ positionInBatch: Int64) -> Bool {
        !(12..<16).contains(positionInBatch)
    }

    /// After recovery: the report, the file size, the model's contents, nothing past the end, and
    /// the next append at the right offset.
    static func expectRecovered(
        _ fixture: StorageFixture,
        _ log: PartitionLog,
        _ model: inout LogModel,
        damagedSegment: Int64,
        keptBytes: Int64,
        originalBytes: Int64,
        _ context: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let comment = Comment(rawValue: context)
        let report = log.recoveryReport
        let logPath = fixture.segmentPath(damagedSegment, ".log")
        #expect(!report.wasCleanShutdown, comment, sourceLocation: sourceLocation)
        #expect(report.truncatedBytes == originalBytes - keptBytes, comment, sourceLocation: sourceLocation)
        if keptBytes < originalBytes {
            let damage = try #require(report.damage, comment, sourceLocation: sourceLocation)
            #expect(damage.path == logPath, comment, sourceLocation: sourceLocation)
            #expect(
                damage.position.map { $0 >= keptBytes && $0 < originalBytes } == true,
                comment,
                sourceLocation: sourceLocation
            )
        } else {
            #expect(report.damage == nil, comment, sourceLocation: sourceLocation)
        }
        #expect(try fixture.fileSize(logPath) == keptBytes, comment, sourceLocation: sourceLocation)
        #expect(log.logEndOffset == model.endOffset, comment, sourceLocation: sourceLocation)
        try expectLog(log, matches: model, comment, sourceLocation: sourceLocation)
        let error = expectLogStoreError(.offsetOutOfRange, comment, sourceLocation: sourceLocation) {
            _ = try log.read(from: model.endOffset + 1, maxBytes: 1 << 20)
        }
        #expect(error?.validOffsets == 0..<model.endOffset, comment, sourceLocation: sourceLocation)
        let appended = try model.append(makeLogBatch(count: 3), to: log)
        #expect(appended.firstOffset == model.endOffset - 3, comment, sourceLocation: sourceLocation)
        try expectLog(log, matches: model, comment, sourceLocation: sourceLocation)
    }

    // MARK: (a) torn tails

    @Test("a .log cut at any byte keeps exactly the batches that end before the cut", arguments: 0..<48)
    func cutTail(seed: Int) throws {
        try withStorageFixture { fixture in
            var random = SeededRandom(seed: UInt64(seed))
            var (model, bases) = try Self.writeThenCrash(
                fixture,
                batchCount: Int.random(in: 1...40, using: &random),
                using: &random
            )
            let last = bases.last!
            let layout = model.layout(segmentBaseOffsets: bases)
            let logPath = fixture.segmentPath(last, ".log")
            let size = try fixture.fileSize(logPath)
            // Now and then exactly at a batch boundary (a clean cut), usually anywhere.
            let boundaries = layout.filter { $0.segment == last }.map { $0.position }
            let cut =
                seed % 8 == 0
                ? boundaries.randomElement(using: &random) ?? 0 : Int64.random(in: 0...size, using: &random)
            try FileDamage.truncate(logPath, to: cut)

            let survivors = layout.prefix { $0.segment != last || $0.position + Int64($0.batch.sizeInBytes) <= cut }
            let kept = survivors.last.map { $0.segment == last ? $0.position + Int64($0.batch.sizeInBytes) : 0 } ?? 0
            model.keepBatches(survivors.count)

            let log = try fixture.open(Self.configuration)
            #expect(log.recoveryReport.validatedSegments.contains(last))
            #expect(log.segmentBaseOffsets == bases)
            try Self.expectRecovered(
                fixture,
                log,
                &model,
                damagedSegment: last,
                keptBytes: kept,
                originalBytes: cut,
                "seed \(seed): cut at \(cut) of \(size) bytes in segment \(last)"
            )
            try log.close()
        }
    }

    @Test("a crash right after a roll leaves an empty segment, with or without index files", arguments: [true, false])
    func crashAfterRoll(withIndexFiles: Bool) throws {
        try withStorageFixture { fixture in
            var random = SeededRandom(seed: 21)
            var (model, bases) = try Self.writeThenCrash(fixture, batchCount: 30, using: &random)
            let end = model.endOffset
            try FileDamage.write([], to: fixture.segmentPath(end, ".log"))
            if withIndexFiles {
                try FileDamage.write([], to: fixture.segmentPath(end, ".index"))
                try FileDamage.write([], to: fixture.segmentPath(end, ".timeindex"))
            }
            let log = try fixture.open(Self.configuration)
            #expect(log.segmentBaseOffsets == bases + [end])
            #expect(log.recoveryReport.damage == nil)
            try Self.expectRecovered(
                fixture,
                log,
                &model,
                damagedSegment: end,
                keptBytes: 0,
                originalBytes: 0,
                "empty segment \(end), index files \(withIndexFiles)"
            )
            #expect(log.segmentBaseOffsets == bases + [end], "the append went into the empty segment")
            try log.close()
        }
    }

    @Test("a last segment whose .log is gone: its orphan indexes go and the log ends with the one before")
    func lastSegmentLogMissing() throws {
        try withStorageFixture { fixture in
            var random = SeededRandom(seed: 22)
            var (model, bases) = try Self.writeThenCrash(fixture, batchCount: 40, using: &random)
            try #require(bases.count >= 3)
            let last = bases.last!
            try FileManager.default.removeItem(atPath: fixture.segmentPath(last, ".log"))
            model.keepBatches(model.batches.firstIndex { $0.firstOffset == last }!)

            let log = try fixture.open(Self.configuration)
            let orphans: Set = [
                Segment.fileName(baseOffset: last, suffix: ".index"),
                Segment.fileName(baseOffset: last, suffix: ".timeindex"),
            ]
            #expect(Set(log.recoveryReport.removedFiles) == orphans)
            #expect(log.segmentBaseOffsets == Array(bases.dropLast()))
            try expectLog(log, matches: model)
            for _ in 0..<20 { try model.append(makeLogBatch(count: 2, valueSize: 200), to: log) }
            #expect(log.segmentCount > bases.count - 1)
            try expectLog(log, matches: model)
            try log.close()
        }
    }

    // MARK: (b) damaged bytes

    @Test("overwritten bytes lose only the batches they hit; the batches after them stay", arguments: 0..<48)
    func overwrittenBytes(seed: Int) throws {
        try withStorageFixture { fixture in
            var random = SeededRandom(seed: UInt64(seed) + 1_000)
            var (model, bases) = try Self.writeThenCrash(
                fixture,
                batchCount: Int.random(in: 1...40, using: &random),
                using: &random
            )
            let last = bases.last!
            let layout = model.layout(segmentBaseOffsets: bases)
            let logPath = fixture.segmentPath(last, ".log")
            let size = try fixture.fileSize(logPath)
            try #require(size > 0)
            let position = Int64.random(in: 0..<size, using: &random)
            let count = Int(min(Int64.random(in: 1...8, using: &random), size - position))
            let masks = (0..<count).map { _ in UInt8.random(in: 1...255, using: &random) }
            try FileDamage.flip(logPath, at: Int(position), masks: masks)

            // The batches with a changed byte that their checks cover are lost.
            let hit = Set(
                layout.indices.filter { index in
                    let entry = layout[index]
                    guard entry.segment == last else { return false }
                    return (position..<position + Int64(count)).contains { byte in
                        byte >= entry.position && byte < entry.position + Int64(entry.batch.sizeInBytes)
                            && Self.isCovered(byte - entry.position)
                    }
                }
            )
            // Lost batches at the very end look like a torn tail: the log ends before them. Lost
            // batches with valid ones after them are a gap, reported to readers.
            let lastSurvivor = layout.indices.last { !hit.contains($0) } ?? -1
            let trailing = hit.filter { $0 > lastSurvivor }
            model.keepBatches(layout.count - trailing.count)
            let context =
                "seed \(seed): \(count) bytes changed at \(position) of \(size) in segment \(last), lost \(hit)"

            let log = try fixture.open(Self.configuration)
            let report = log.recoveryReport
            #expect(!report.wasCleanShutdown, "\(context)")
            #expect(log.logEndOffset == model.endOffset, "\(context)")
            try RecoveryDamageTests.expectSurvivors(log, model, lost: hit.subtracting(trailing), context)
            if let firstHit = hit.min() {
                #expect(try fixture.fileSize(logPath) == layout[firstHit].position, "\(context)")
                let damage = try #require(report.damage, "\(context)")
                #expect(damage.path == logPath, "\(context)")
                let after = layout.indices.first { $0 > hit.max()! }
                #expect(
                    log.segmentBaseOffsets == bases + (after.map { [layout[$0].batch.firstOffset] } ?? []),
                    "\(context)"
                )
            } else {
                #expect(report.damage == nil, "\(context)")
                #expect(try fixture.fileSize(logPath) == size, "\(context)")
            }
            let appended = try model.append(makeLogBatch(count: 3), to: log)
            #expect(appended.firstOffset == model.endOffset - 3, "\(context)")
            try log.close()
        }
    }

    // MARK: (c) garbage after the tail

    enum Garbage: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case randomBytes, zeros, fewerBytesThanAHeader, tornBatch, batchWithWrongOffset, oversizedLength
        var testDescription: String { rawValue }
    }

    @Test("garbage after a valid tail is cut off", arguments: Garbage.allCases)
    func garbageAfterTail(_ kind: Garbage) throws {
        try withStorageFixture { fixture in
            var random = SeededRandom(seed: 77)
            var (model, bases) = try Self.writeThenCrash(fixture, batchCount: 30, using: &random)
            let last = bases.last!
            let logPath = fixture.segmentPath(last, ".log")
            let size = try fixture.fileSize(logPath)
            let batch = batchBytes(makeLogBatch(count: 2, valueSize: 50, baseOffset: model.endOffset))
            let garbage: [UInt8]
            switch kind {
            case .randomBytes: garbage = random.bytes(300)
            case .zeros: garbage = [UInt8](repeating: 0, count: 4096)
            case .fewerBytesThanAHeader: garbage = Array(batch.prefix(11))
            case .tornBatch: garbage = Array(batch.dropLast(1))
            case .batchWithWrongOffset:
                garbage = batchBytes(makeLogBatch(count: 2, valueSize: 50, baseOffset: model.endOffset + 1))
            case .oversizedLength:
                var bytes = batch
                bytes.replaceSubrange(8..<12, with: [0x7F, 0xFF, 0xFF, 0xFF])
                garbage = bytes
            }
            try FileDamage.append(garbage, to: logPath)

            let log = try fixture.open(Self.configuration)
            try Self.expectRecovered(
                fixture,
                log,
                &model,
                damagedSegment: last,
                keptBytes: size,
                originalBytes: size + Int64(garbage.count),
                "\(kind)"
            )
            try log.close()
        }
    }

    // MARK: (d) damaged indexes

    enum IndexDamage: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case deleteOffsetIndex, deleteTimeIndex, deleteBoth, emptyTimeIndex, offsetIndexOddSize, timeIndexOddSize
        case offsetIndexOutOfOrder, offsetIndexPastLogEnd, timeIndexOutOfOrder
        var testDescription: String { rawValue }

        /// Damages the segment's index files.
        /// - Returns: `false` if they hold too few entries for this kind of damage.
        func apply(to fixture: StorageFixture, base: Int64) throws -> Bool {
            let index = fixture.segmentPath(base, ".index")
            let timeIndex = fixture.segmentPath(base, ".timeindex")
            switch self {
            case .deleteOffsetIndex: try FileManager.default.removeItem(atPath: index)
            case .deleteTimeIndex: try FileManager.default.removeItem(atPath: timeIndex)
            case .deleteBoth:
                try FileManager.default.removeItem(atPath: index)
                try FileManager.default.removeItem(atPath: timeIndex)
            case .emptyTimeIndex: try FileDamage.truncate(timeIndex, to: 0)
            case .offsetIndexOddSize: try FileDamage.append([1, 2, 3], to: index)
            case .timeIndexOddSize: try FileDamage.append([1, 2, 3, 4, 5], to: timeIndex)
            case .offsetIndexOutOfOrder:
                // Swap the first two entries.
                let bytes = try FileDamage.read(index)
                guard bytes.count >= 16 else { return false }
                try FileDamage.write(Array(bytes[8..<16] + bytes[0..<8] + bytes[16...]), to: index)
            case .offsetIndexPastLogEnd:
                var bytes = try FileDamage.read(index)
                guard bytes.count >= 8 else { return false }
                bytes.replaceSubrange((bytes.count - 4)..., with: [0x7F, 0xFF, 0xFF, 0xF0])
                try FileDamage.write(bytes, to: index)
            case .timeIndexOutOfOrder:
                let bytes = try FileDamage.read(timeIndex)
                guard bytes.count >= 24 else { return false }
                try FileDamage.write(Array(bytes[12..<24] + bytes[0..<12] + bytes[24...]), to: timeIndex)
            }
            return true
        }
    }

    @Test(
        "a missing or damaged index is rebuilt, after a clean shutdown or a crash",
        arguments: IndexDamage.allCases,
        [true, false]
    )
    func damagedIndexes(_ damage: IndexDamage, cleanShutdown: Bool) throws {
        try withStorageFixture { fixture in
            var random = SeededRandom(seed: 5)
            var model = LogModel()
            let write = { (log: PartitionLog) throws -> [(entries: [OffsetIndex.Entry], maxTimestamp: Int64)] in
                // Timestamps out of order, so that a segment's largest one can be anywhere in it.
                for _ in 0..<60 {
                    try model.append(Self.randomBatch(Int.random(in: 0..<60, using: &random), using: &random), to: log)
                }
                if cleanShutdown { try log.close() }
                return log.segments.map { ($0.offsetIndex.entries, $0.maxTimestamp) }
            }
            // A crash, unless `write` closed the log first.
            let before = try fixture.runThenCrash(Self.configuration, write)
            #expect(fixture.fileExists(fixture.path(PartitionLog.cleanShutdownFileName)) == cleanShutdown)
            let bases = try fixture.fileNames().compactMap(Segment.baseOffset(fromLogName:)).sorted()
            try #require(bases.count >= 3)
            let damagedCount = try bases.filter { try damage.apply(to: fixture, base: $0) }.count
            try #require(damagedCount >= 2)

            let log = try fixture.open(Self.configuration)
            let context = "\(damage), clean shutdown \(cleanShutdown)"
            #expect(log.recoveryReport.wasCleanShutdown == cleanShutdown, "\(context)")
            #expect(log.recoveryReport.damage == nil, "\(context)")
            #expect(log.segmentBaseOffsets == bases, "\(context)")
            for (segment, expected) in zip(log.segments, before) {
                #expect(segment.offsetIndex.entries == expected.entries, "\(context), segment \(segment.baseOffset)")
                #expect(segment.maxTimestamp == expected.maxTimestamp, "\(context), segment \(segment.baseOffset)")
                // The rebuilt files hold what is in memory.
                let onDisk = try OffsetIndex.load(
                    file: segment.offsetIndex.file,
                    baseOffset: segment.baseOffset,
                    logSize: segment.size
                )
                #expect(onDisk.entries == expected.entries, "\(context), segment \(segment.baseOffset)")
                let timeOnDisk = try TimeIndex.load(file: segment.timeIndex.file, baseOffset: segment.baseOffset)
                #expect(timeOnDisk.entries == segment.timeIndex.entries, "\(context), segment \(segment.baseOffset)")
                #expect(timeOnDisk.lastTimestamp == expected.maxTimestamp, "\(context), segment \(segment.baseOffset)")
            }
            try expectLog(log, matches: model, Comment(rawValue: context))
            var probes: Set<Int64> = [.min, .max]
            for record in model.records {
                probes.formUnion([record.timestamp - 1, record.timestamp, record.timestamp + 1])
            }
            for timestamp in probes.sorted() {
                #expect(
                    try log.offset(atOrAfterTimestamp: timestamp) == model.offset(atOrAfterTimestamp: timestamp),
                    "\(context), timestamp \(timestamp)"
                )
            }
            try log.close()
        }
    }

    // MARK: (e) stray files

    @Test("stray temporary files and orphan indexes are removed, other files left alone", arguments: [true, false])
    func strayFiles(cleanShutdown: Bool) throws {
        try withStorageFixture { fixture in
            var random = SeededRandom(seed: 9)
            var model = LogModel()
            try fixture.runThenCrash(Self.configuration) { log in
                for number in 0..<30 { try model.append(Self.randomBatch(number, using: &random), to: log) }
                if cleanShutdown { try log.close() }
            }
            let strays = [
                "recovery-point.tmp", "00000000000000000000.log.tmp", "whatever.tmp",
                "00000000000000099999.index", "00000000000000099999.timeindex", "00000000000000088888.index",
            ]
            let keepers = ["notes.txt", "00000000000000099999.index.bak", "0000000000000009999.index"]
            for name in strays + keepers { try FileDamage.write([1, 2, 3], to: fixture.path(name)) }

            let log = try fixture.open(Self.configuration)
            #expect(Set(log.recoveryReport.removedFiles) == Set(strays))
            #expect(log.recoveryReport.removedFiles.count == strays.count)
            for name in strays { #expect(!fixture.fileExists(fixture.path(name)), "\(name)") }
            for name in keepers { #expect(fixture.fileExists(fixture.path(name)), "\(name)") }
            try expectLog(log, matches: model)
            try log.close()
        }
    }

    // MARK: (f) damage before the last segment

    @Test("damage in an earlier segment loses only the damaged batch; no later segment is deleted", arguments: 0..<12)
    func damageInEarlierSegment(seed: Int) throws {
        try withStorageFixture { fixture in
            var random = SeededRandom(seed: UInt64(seed) + 2_000)
            let cleanShutdown = seed % 2 == 1
            var model = LogModel()
            let bases = try fixture.runThenCrash(Self.configuration) { log in
                for number in 0..<70 { try model.append(Self.randomBatch(number, using: &random), to: log) }
                if cleanShutdown { try log.close() }
                return log.segmentBaseOffsets
            }
            try #require(bases.count >= 4)
            let layout = model.layout(segmentBaseOffsets: bases)
            let segmentNumber = Int.random(in: 0..<(bases.count - 1), using: &random)
            let segment = bases[segmentNumber]
            let inSegment = layout.indices.filter { layout[$0].segment == segment }
            // After a clean shutdown only the bytes after a segment's last index entry are read at
            // open, so damage the segment's last batch there; after a crash with no recovery point
            // every segment is validated, so damage any batch.
            let damaged = cleanShutdown ? inSegment.last! : inSegment.randomElement(using: &random)!
            if !cleanShutdown { try FileManager.default.removeItem(atPath: fixture.path(RecoveryCheckpoint.fileName)) }
            let logPath = fixture.segmentPath(segment, ".log")
            let entry = layout[damaged]
            try FileDamage.flip(logPath, at: Int(entry.position) + entry.batch.sizeInBytes - 1, masks: [0x01])

            let log = try fixture.open(Self.configuration)
            let context =
                "seed \(seed), clean shutdown \(cleanShutdown), damaged batch \(damaged) in segment \(segment)"
            let lost = entry.batch.firstOffset..<(entry.batch.lastOffset + 1)
            let movedTo = damaged == inSegment.last! ? nil : layout[damaged + 1].batch.firstOffset
            #expect(log.segmentBaseOffsets == (bases + (movedTo.map { [$0] } ?? [])).sorted(), "\(context)")
            for base in bases[(segmentNumber + 1)...] {
                for suffix in [".log", ".index", ".timeindex"] {
                    #expect(fixture.fileExists(fixture.segmentPath(base, suffix)), "\(context), \(base)\(suffix)")
                }
            }
            let report = log.recoveryReport
            #expect(report.damage?.code == .checksumMismatch, "\(context)")
            #expect(report.wasCleanShutdown == cleanShutdown, "\(context)")
            #expect(report.lostOffsets == [lost], "\(context)")
            #expect(report.repairs.map(\.baseOffset) == [segment], "\(context)")
            #expect(report.repairs.first?.movedTo == movedTo, "\(context)")
            #expect(try fixture.fileSize(logPath) == entry.position, "\(context)")
            #expect(log.logEndOffset == model.endOffset, "\(context)")
            try RecoveryDamageTests.expectSurvivors(log, model, lost: [damaged], context)
            try model.append(makeLogBatch(count: 2), to: log)
            try RecoveryDamageTests.expectSurvivors(log, model, lost: [damaged], context)
            try log.close()

            // And the repaired log opens cleanly, the gap still there.
            let again = try fixture.open(Self.configuration)
            #expect(again.recoveryReport.damage == nil, "\(context)")
            try RecoveryDamageTests.expectSurvivors(again, model, lost: [damaged], context)
        }
    }

    // MARK: (h) the recovery point

    enum CheckpointDamage: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case garbage, short, empty, badChecksum
        var testDescription: String { rawValue }
    }

    @Test(
        "a damaged recovery-point checkpoint is tolerated: every segment is validated",
        arguments: CheckpointDamage.allCases
    )
    func damagedCheckpoint(_ damage: CheckpointDamage) throws {
        try withStorageFixture { fixture in
            var random = SeededRandom(seed: 11)
            var (model, bases) = try Self.writeThenCrash(fixture, batchCount: 40, using: &random)
            try #require(bases.count >= 3)
            let path = fixture.path(RecoveryCheckpoint.fileName)
            #expect(try RecoveryCheckpoint.read(directory: fixture.directory) != nil)
            switch damage {
            case .garbage: try FileDamage.write(random.bytes(18), to: path)
            case .short: try FileDamage.truncate(path, to: 7)
            case .empty: try FileDamage.truncate(path, to: 0)
            case .badChecksum: try FileDamage.flip(path, at: 13, masks: [0x01])
            }
            #expect(throws: LogStoreError.self) { _ = try RecoveryCheckpoint.read(directory: fixture.directory) }

            let log = try fixture.open(Self.configuration)
            #expect(log.recoveryReport.recoveryPoint == nil)
            #expect(log.recoveryReport.validatedSegments == bases)
            #expect(log.recoveryReport.damage == nil)
            try expectLog(log, matches: model)
            try model.append(makeLogBatch(), to: log)
            try log.close()
            #expect(try RecoveryCheckpoint.read(directory: fixture.directory)?.offset == model.endOffset)
        }
    }

    @Test("after a crash, recovery starts at the segment holding the recovery point")
    func recoveryStartsAtCheckpoint() throws {
        try withStorageFixture { fixture in
            var random = SeededRandom(seed: 12)
            let (model, bases) = try Self.writeThenCrash(fixture, batchCount: 40, using: &random)
            try #require(bases.count >= 3)
            let point = try #require(try RecoveryCheckpoint.read(directory: fixture.directory)).offset
            #expect(point == bases.last!, "a roll moves the recovery point to the new segment once synced")
            let log = try fixture.open(Self.configuration)
            #expect(log.recoveryReport.recoveryPoint == point)
            #expect(log.recoveryReport.validatedSegments == [bases.last!])
            try expectLog(log, matches: model)
        }
    }

    // MARK: RecoveryCheckpoint

    @Test(
        "RecoveryCheckpoint encodes 18 bytes and reads back what it wrote",
        arguments: [0, 1, 4_096, 123_456_789_012, .max] as [Int64]
    )
    func checkpointRoundTrip(offset: Int64) throws {
        try withStorageFixture { fixture in
            try FileManager.default.createDirectory(atPath: fixture.directory, withIntermediateDirectories: true)
            #expect(try RecoveryCheckpoint.read(directory: fixture.directory) == nil)
            let checkpoint = RecoveryCheckpoint(offset: offset)
            let bytes = checkpoint.encoded()
            #expect(bytes.count == RecoveryCheckpoint.size)
            #expect(Array(bytes[0..<4]) == Array("SLRP".utf8))
            #expect(Array(bytes[4..<6]) == [0, 1])
            var offsetBytes: [UInt8] = []
            withUnsafeBytes(of: offset.bigEndian) { offsetBytes.append(contentsOf: $0) }
            #expect(Array(bytes[6..<14]) == offsetBytes)
            let crc = CRC32C.checksum(bytes[0..<14])
            #expect(
                Array(bytes[14..<18]) == [
                    UInt8(crc >> 24), UInt8((crc >> 16) & 0xFF), UInt8((crc >> 8) & 0xFF), UInt8(crc & 0xFF),
                ]
            )

            try checkpoint.write(directory: fixture.directory)
            #expect(try RecoveryCheckpoint.read(directory: fixture.directory) == checkpoint)
            #expect(try FileDamage.read(fixture.path(RecoveryCheckpoint.fileName)) == bytes)
            #expect(!fixture.fileExists(fixture.path(RecoveryCheckpoint.fileName + ".tmp")))
        }
    }

    @Test("RecoveryCheckpoint.read rejects damaged files with corruptCheckpoint")
    func checkpointRejectsDamage() throws {
        try withStorageFixture { fixture in
            try FileManager.default.createDirectory(atPath: fixture.directory, withIntermediateDirectories: true)
            let path = fixture.path(RecoveryCheckpoint.fileName)
            let good = RecoveryCheckpoint(offset: 42).encoded()
            var wrongVersion = good
            wrongVersion[5] = 2
            let versionCRC = CRC32C.checksum(wrongVersion[0..<14])
            wrongVersion.replaceSubrange(
                14..<18,
                with: [24, 16, 8, 0].map { UInt8((versionCRC >> UInt32($0)) & 0xFF) }
            )
            var wrongMagic = good
            wrongMagic[0] = UInt8(ascii: "X")
            var badCRC = good
            badCRC[17] ^= 0xFF
            var flippedOffset = good
            flippedOffset[10] ^= 0x10
            for (name, bytes) in [
                ("empty", []), ("short", Array(good.prefix(17))), ("long", good + [0]), ("wrong magic", wrongMagic),
                ("bad CRC", badCRC), ("changed offset", flippedOffset), ("version 2", wrongVersion),
            ] as [(String, [UInt8])] {
                try FileDamage.write(bytes, to: path)
                let error = expectLogStoreError(.corruptCheckpoint, "\(name)") {
                    _ = try RecoveryCheckpoint.read(directory: fixture.directory)
                }
                #expect(error?.path == path, "\(name)")
            }
        }
    }
}
