import Foundation
import NIOCore
import Testing

@testable import LogStore

/// Damage in sealed segments: recovery keeps every batch that validates, never deletes a later
/// segment, never hands out an offset twice, and reads report the offsets that damage took.
@Suite("Recovery of damaged sealed segments")
struct RecoveryDamageTests {
    /// Segments of about a dozen batches.
    static let configuration = RecoveryTests.configuration

    /// Writes 70 random batches (five or more segments) and stops cleanly or crashes.
    static func write(
        _ fixture: StorageFixture,
        seed: UInt64,
        cleanShutdown: Bool
    ) throws -> (model: LogModel, bases: [Int64]) {
        var random = SeededRandom(seed: seed)
        var model = LogModel()
        let bases = try fixture.runThenCrash(configuration) { log in
            for number in 0..<70 { try model.append(RecoveryTests.randomBatch(number, using: &random), to: log) }
            if cleanShutdown { try log.close() }
            return log.segmentBaseOffsets
        }
        try #require(bases.count >= 5)
        return (model, bases)
    }

    /// Reads every batch of `model` whose index is not in `lost` and checks its records; reads at
    /// the lost batches' offsets, and checks that the log reports them lost with a range that
    /// covers them and lies within `lostRange`.
    static func expectSurvivors(
        _ log: PartitionLog,
        _ model: LogModel,
        lost: Set<Int>,
        _ context: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let comment = Comment(rawValue: context)
        #expect(log.logEndOffset >= model.endOffset, comment, sourceLocation: sourceLocation)
        for (index, batch) in model.batches.enumerated() {
            let result = try log.read(from: batch.firstOffset, maxBytes: 1)
            if lost.contains(index) {
                #expect(result.batches.isEmpty, comment, sourceLocation: sourceLocation)
                let range = try #require(result.lostOffsets, comment, sourceLocation: sourceLocation)
                #expect(range.contains(batch.firstOffset), comment, sourceLocation: sourceLocation)
                #expect(range.upperBound > batch.lastOffset, comment, sourceLocation: sourceLocation)
                // The range ends at the next batch that survived (or the end of the model).
                let next = model.batches[(index + 1)...].indices.first { !lost.contains($0) }
                #expect(
                    range.upperBound == next.map { model.batches[$0].firstOffset } ?? log.logEndOffset,
                    comment,
                    sourceLocation: sourceLocation
                )
                continue
            }
            let first = try #require(result.batches.first, "\(context): batch \(index)", sourceLocation: sourceLocation)
            #expect(first.baseOffset == batch.firstOffset, comment, sourceLocation: sourceLocation)
            #expect(first.lastOffset == batch.lastOffset, comment, sourceLocation: sourceLocation)
            #expect(
                try first.records() == Array(model.records[Int(batch.firstOffset)...Int(batch.lastOffset)]),
                comment,
                sourceLocation: sourceLocation
            )
        }
    }

    /// Reads the whole log from its start, stepping over lost ranges.
    /// - Returns: the offsets read and the ranges reported lost.
    static func readAll(_ log: PartitionLog) throws -> (offsets: [Int64], lost: [Range<Int64>]) {
        var offsets: [Int64] = []
        var lost: [Range<Int64>] = []
        var offset = log.logStartOffset
        while offset < log.logEndOffset {
            let result = try log.read(from: offset, maxBytes: 64 << 10)
            if let range = result.lostOffsets {
                lost.append(range)
                offset = range.upperBound
                continue
            }
            guard let last = result.batches.last else { break }
            for batch in result.batches {
                for record in try batch.records() where record.offset >= offset { offsets.append(record.offset) }
            }
            offset = last.lastOffset + 1
        }
        return (offsets, lost)
    }

    // MARK: garbage after a sealed segment's end

    enum Garbage: String, CaseIterable, CustomTestStringConvertible, Sendable {
        /// Random bytes.
        case randomBytes
        /// A zero-filled block.
        case zeros
        /// A copy of the next segment's first batch: valid, and it continues the offsets.
        case copyOfNextBatch
        var testDescription: String { rawValue }
    }

    @Test(
        "garbage after a sealed segment's end (clean shutdown) is cut; later segments and offsets stay",
        arguments: Garbage.allCases
    )
    func garbageAfterSealedSegment(_ kind: Garbage) throws {
        try withStorageFixture { fixture in
            var (model, bases) = try Self.write(fixture, seed: 40, cleanShutdown: true)
            let damaged = bases[1]
            let logPath = fixture.segmentPath(damaged, ".log")
            let size = try fixture.fileSize(logPath)
            let garbage: [UInt8]
            switch kind {
            case .randomBytes:
                var random = SeededRandom(seed: 41)
                garbage = random.bytes(300)
            case .zeros: garbage = [UInt8](repeating: 0, count: 4096)
            case .copyOfNextBatch:
                let next = try FileDamage.read(fixture.segmentPath(bases[2], ".log"))
                let length = Int(next[8]) << 24 | Int(next[9]) << 16 | Int(next[10]) << 8 | Int(next[11])
                garbage = Array(next[0..<(length + 12)])
            }
            try FileDamage.append(garbage, to: logPath)

            let log = try fixture.open(Self.configuration)
            let context = "\(kind)"
            #expect(log.segmentBaseOffsets == bases, "\(context)")
            #expect(try fixture.fileSize(logPath) == size, "\(context)")
            try expectLog(log, matches: model, Comment(rawValue: context))
            #expect(log.recoveryReport.truncatedBytes == Int64(garbage.count), "\(context)")
            #expect(log.recoveryReport.lostOffsets.isEmpty, "\(context)")
            let appended = try model.append(makeLogBatch(count: 2), to: log)
            #expect(appended.firstOffset == model.endOffset - 2, "\(context)")
            try log.close()
        }
    }

    // MARK: damage in the middle of a sealed segment

    @Test(
        "100 damaged bytes in the middle of a sealed segment, forced recovery: every valid batch stays",
        arguments: 0..<8
    )
    func damageInMiddleOfSealedSegment(seed: Int) throws {
        try withStorageFixture { fixture in
            var (model, bases) = try Self.write(fixture, seed: UInt64(seed) + 500, cleanShutdown: seed % 2 == 0)
            // No checkpoint and no marker: every segment is validated.
            try? FileManager.default.removeItem(atPath: fixture.path(RecoveryCheckpoint.fileName))
            try? FileManager.default.removeItem(atPath: fixture.path(PartitionLog.cleanShutdownFileName))
            var random = SeededRandom(seed: UInt64(seed) + 600)
            let segmentNumber = Int.random(in: 0..<(bases.count - 1), using: &random)
            let segment = bases[segmentNumber]
            let logPath = fixture.segmentPath(segment, ".log")
            let size = try fixture.fileSize(logPath)
            let position = Int64.random(in: 0..<(size - 100), using: &random)
            try FileDamage.flip(logPath, at: Int(position), masks: [UInt8](repeating: 0xFF, count: 100))
            let layout = model.layout(segmentBaseOffsets: bases)
            let lost = Set(
                layout.indices.filter { index in
                    let entry = layout[index]
                    return entry.segment == segment && entry.position < position + 100
                        && entry.position + Int64(entry.batch.sizeInBytes) > position
                }
            )
            let context =
                "seed \(seed): 100 bytes at \(position) of \(size) in segment \(segment), lost batches \(lost)"

            let log = try fixture.open(Self.configuration)
            #expect(Set(bases).isSubset(of: Set(log.segmentBaseOffsets)), "\(context)")
            #expect(log.logEndOffset == model.endOffset, "\(context)")
            try Self.expectSurvivors(log, model, lost: lost, context)
            let report = log.recoveryReport
            let lostOffsets = lost.sorted().map { model.batches[$0] }
            let expectedRange = lostOffsets.first!.firstOffset..<(lostOffsets.last!.lastOffset + 1)
            #expect(report.lostOffsets == [expectedRange], "\(context): \(report.summary)")
            #expect(report.damage?.path == logPath, "\(context)")
            let survivorsAfter = layout.indices.filter { layout[$0].segment == segment && $0 > lost.max()! }
            let repair = try #require(report.repairs.first, "\(context)")
            #expect(report.repairs.count == 1, "\(context)")
            #expect(repair.movedTo == survivorsAfter.first.map { layout[$0].batch.firstOffset }, "\(context)")
            #expect(repair.lostOffsets == expectedRange, "\(context)")
            // No offset is handed out twice; the gap stays across a restart.
            let appended = try model.append(makeLogBatch(count: 2), to: log)
            #expect(appended.firstOffset == model.endOffset - 2, "\(context)")
            try log.close()

            let again = try fixture.open(Self.configuration)
            #expect(again.recoveryReport.damage == nil, "\(context)")
            #expect(again.recoveryReport.repairs.isEmpty, "\(context)")
            try Self.expectSurvivors(again, model, lost: lost, context)
            let (offsets, gaps) = try Self.readAll(again)
            #expect(gaps == [expectedRange], "\(context)")
            #expect(offsets == model.records.map(\.offset).filter { !expectedRange.contains($0) }, "\(context)")
            try again.close()
        }
    }

    // MARK: an index rebuild in a middle segment

    @Test("damage found while rebuilding a middle segment's index keeps every later segment", arguments: 0..<6)
    func indexRebuildInMiddleSegment(seed: Int) throws {
        try withStorageFixture { fixture in
            var (model, bases) = try Self.write(fixture, seed: UInt64(seed) + 700, cleanShutdown: true)
            var random = SeededRandom(seed: UInt64(seed) + 800)
            let segment = bases[Int.random(in: 1..<(bases.count - 1), using: &random)]
            try FileManager.default.removeItem(atPath: fixture.segmentPath(segment, ".index"))
            let layout = model.layout(segmentBaseOffsets: bases)
            let inSegment = layout.indices.filter { layout[$0].segment == segment }
            let damaged = inSegment[Int.random(in: 0..<(inSegment.count - 1), using: &random)]
            let entry = layout[damaged]
            try FileDamage.flip(
                fixture.segmentPath(segment, ".log"),
                at: Int(entry.position) + entry.batch.sizeInBytes - 1,
                masks: [0x01]
            )
            let context = "seed \(seed): batch \(damaged) in segment \(segment)"

            let log = try fixture.open(Self.configuration)
            #expect(Set(bases).isSubset(of: Set(log.segmentBaseOffsets)), "\(context)")
            #expect(log.logEndOffset == model.endOffset, "\(context)")
            try Self.expectSurvivors(log, model, lost: [damaged], context)
            #expect(
                log.recoveryReport.lostOffsets == [entry.batch.firstOffset..<(entry.batch.lastOffset + 1)],
                "\(context)"
            )
            try model.append(makeLogBatch(count: 2), to: log)
            try Self.expectSurvivors(log, model, lost: [damaged], context)
            try log.close()
        }
    }

    // MARK: damage at the end of the last segment

    @Test("damage at the log's end after a clean shutdown: appends resume at the checkpointed end")
    func damagedTailAfterCleanShutdown() throws {
        try withStorageFixture { fixture in
            var (model, bases) = try Self.write(fixture, seed: 900, cleanShutdown: true)
            let last = bases.last!
            let layout = model.layout(segmentBaseOffsets: bases)
            let entry = layout.last!
            #expect(entry.segment == last)
            try FileDamage.flip(
                fixture.segmentPath(last, ".log"),
                at: Int(entry.position) + entry.batch.sizeInBytes - 1,
                masks: [0x01]
            )
            let end = model.endOffset

            let log = try fixture.open(Self.configuration)
            // The damaged batch's offsets were acknowledged: they are not handed out again.
            #expect(log.logEndOffset == end)
            #expect(log.recoveryReport.lostOffsets == [entry.batch.firstOffset..<end])
            #expect(log.recoveryReport.resumedAtRecoveryPoint == end)
            #expect(log.segmentBaseOffsets == bases + [end])
            try Self.expectSurvivors(log, model, lost: [layout.count - 1], "tail")
            let appended = try model.append(makeLogBatch(count: 2), to: log)
            #expect(appended.firstOffset == end)
            try log.close()

            let again = try fixture.open(Self.configuration)
            #expect(again.recoveryReport.damage == nil)
            try Self.expectSurvivors(again, model, lost: [layout.count - 1], "tail, after a restart")
            try again.close()
        }
    }

    // MARK: damage found by a read

    @Test("a read that meets damage in a segment recovery did not validate reports the lost offsets", arguments: 0..<8)
    func damageFoundByRead(seed: Int) throws {
        try withStorageFixture { fixture in
            var random = SeededRandom(seed: UInt64(seed) + 1_100)
            let (model, bases) = try Self.write(fixture, seed: UInt64(seed) + 1_000, cleanShutdown: true)
            let segment = bases[Int.random(in: 0..<(bases.count - 1), using: &random)]
            let indexEntries = try OffsetIndex.load(
                file: LogFile.open(fixture.segmentPath(segment, ".index"), create: false, io: PosixFileIO.shared),
                baseOffset: segment,
                logSize: fixture.fileSize(fixture.segmentPath(segment, ".log"))
            ).entries
            let layout = model.layout(segmentBaseOffsets: bases)
            // Before the segment's last index entry, so that a clean open does not read it.
            let candidates = layout.indices.filter {
                layout[$0].segment == segment && layout[$0].position < indexEntries.last?.position ?? 0
            }
            let damaged = try #require(candidates.randomElement(using: &random))
            let entry = layout[damaged]
            var within: Int64
            repeat {
                within = Int64.random(in: 0..<Int64(entry.batch.sizeInBytes), using: &random)
            } while !RecoveryTests.isCovered(within)
            try FileDamage.flip(
                fixture.segmentPath(segment, ".log"),
                at: Int(entry.position + within),
                masks: [UInt8.random(in: 1...255, using: &random)]
            )
            let context = "seed \(seed): byte \(within) of batch \(damaged) in segment \(segment)"

            let log = try fixture.open(Self.configuration)
            #expect(log.recoveryReport.wasCleanShutdown)
            #expect(log.recoveryReport.damage == nil, "\(context): a clean open does not read it")
            try Self.expectSurvivors(log, model, lost: [damaged], context)
            let (offsets, gaps) = try Self.readAll(log)
            let range = entry.batch.firstOffset..<(entry.batch.lastOffset + 1)
            #expect(gaps == [range], "\(context)")
            #expect(offsets == model.records.map(\.offset).filter { !range.contains($0) }, "\(context)")
            // Time lookups step over the damage too: the first surviving record at or after a time.
            let survivors = model.records.filter { !range.contains($0.offset) }
            for record in model.records {
                for probe in [record.timestamp - 1, record.timestamp, record.timestamp + 1] {
                    #expect(
                        try log.offset(atOrAfterTimestamp: probe) == survivors.first { $0.timestamp >= probe }?.offset,
                        "\(context), timestamp \(probe)"
                    )
                }
            }
            // Reads from before the damage stop before it.
            for batch in model.batches[..<damaged] {
                let result = try log.read(from: batch.firstOffset, maxBytes: 1 << 20)
                #expect(result.batches.allSatisfy { $0.lastOffset < entry.batch.firstOffset }, "\(context)")
            }
            try log.close()
        }
    }
}

extension RecoveryDamageTests {
    @Test("an index entry damaged into a plausible one never makes intact batches look lost", arguments: 0..<6)
    func damagedIndexEntryIsNotAGap(seed: Int) throws {
        try withStorageFixture { fixture in
            var configuration = Self.configuration
            configuration.indexIntervalBytes = 64
            var random = SeededRandom(seed: UInt64(seed) + 1_200)
            var model = LogModel()
            let bases = try fixture.runThenClose(configuration) { log in
                for number in 0..<40 { try model.append(RecoveryTests.randomBatch(number, using: &random), to: log) }
                return log.segmentBaseOffsets
            }
            let segment = bases[0]
            let indexPath = fixture.segmentPath(segment, ".index")
            var bytes = try FileDamage.read(indexPath)
            let entries = bytes.count / 8
            try #require(entries >= 3)
            // A middle entry's position moves forward by a few bytes, still between its neighbours:
            // the index loads, and a walk from that entry lands inside a batch.
            let entry = Int.random(in: 1..<(entries - 1), using: &random)
            let position = bytes[(entry * 8 + 4)..<(entry * 8 + 8)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            let moved = position + UInt32.random(in: 1...8, using: &random)
            for index in 0..<4 { bytes[entry * 8 + 4 + index] = UInt8((moved >> UInt32(24 - 8 * index)) & 0xFF) }
            try FileDamage.write(bytes, to: indexPath)

            let log = try fixture.open(configuration)
            #expect(log.recoveryReport.wasCleanShutdown)
            let context = "seed \(seed): entry \(entry) moved from \(position) to \(moved)"
            // Every batch read on its own, so that reads start from the damaged entry.
            try Self.expectSurvivors(log, model, lost: [], context)
            try expectLog(log, matches: model, Comment(rawValue: context))
            try log.close()
        }
    }
}

extension RecoveryDamageTests {
    @Test("an empty sealed segment left by damage does not hold retention up; it goes with the next one")
    func emptySegmentAndRetention() throws {
        try withStorageFixture { fixture in
            var configuration = Self.configuration
            configuration.retentionMilliseconds = 1_000
            var model = LogModel()
            let bases = try fixture.runThenClose(configuration) { log in
                for segment in 0..<3 {
                    if segment > 0 { try log.roll() }
                    for _ in 0..<3 { try model.append(makeLogBatch(count: 2, timestamp: 1_000), to: log) }
                }
                return log.segmentBaseOffsets
            }
            #expect(bases == [0, 6, 12])
            // All of segment 0's bytes are damaged: recovery keeps it empty, offsets 0..<6 lost.
            let path = fixture.segmentPath(0, ".log")
            let size = Int(try fixture.fileSize(path))
            try FileDamage.write([UInt8](repeating: 0, count: size), to: path)
            try FileManager.default.removeItem(atPath: fixture.path(PartitionLog.cleanShutdownFileName))
            try FileManager.default.removeItem(atPath: fixture.path(RecoveryCheckpoint.fileName))

            let log = try fixture.open(configuration)
            #expect(log.segmentBaseOffsets == bases)
            #expect(log.recoveryReport.lostOffsets == [0..<6])
            #expect(try log.read(from: 0, maxBytes: 1).lostOffsets == 0..<6)
            #expect(try log.enforceRetention(now: 1_500).deletedSegments.isEmpty)
            let result = try log.enforceRetention(now: 2_001)
            #expect(result.deletedSegments == [0, 6])
            #expect(log.logStartOffset == 12)
            try log.close()
        }
    }
}

extension RecoveryDamageTests {
    /// Where a move of the valid batches after damage was cut short by a crash.
    enum MoveCrash: String, CaseIterable, CustomTestStringConvertible, Sendable {
        /// The new segment was being written: a partial `.log.tmp` is left.
        case beforeRename
        /// The new segment is in place, the damaged segment not cut yet: both hold the batches.
        case afterRename
        var testDescription: String { rawValue }
    }

    @Test("a crash in the middle of moving batches after damage leaves every batch once", arguments: MoveCrash.allCases)
    func crashDuringMove(_ crash: MoveCrash) throws {
        try withStorageFixture { fixture in
            var (model, bases) = try Self.write(fixture, seed: 1_300, cleanShutdown: false)
            try FileManager.default.removeItem(atPath: fixture.path(RecoveryCheckpoint.fileName))
            let segment = bases[1]
            let layout = model.layout(segmentBaseOffsets: bases)
            let inSegment = layout.indices.filter { layout[$0].segment == segment }
            let damaged = inSegment[1]
            let entry = layout[damaged]
            let logPath = fixture.segmentPath(segment, ".log")
            try FileDamage.flip(logPath, at: Int(entry.position) + entry.batch.sizeInBytes - 1, masks: [0x01])
            let next = layout[damaged + 1]
            let tail = Array(try FileDamage.read(logPath)[Int(next.position)...])
            let movedPath = fixture.segmentPath(next.batch.firstOffset, ".log")
            switch crash {
            case .beforeRename: try FileDamage.write(Array(tail.prefix(tail.count / 2)), to: movedPath + ".tmp")
            case .afterRename: try FileDamage.write(tail, to: movedPath)
            }

            let log = try fixture.open(Self.configuration)
            let context = "\(crash)"
            #expect(log.segmentBaseOffsets == (bases + [next.batch.firstOffset]).sorted(), "\(context)")
            #expect(!fixture.fileExists(movedPath + ".tmp"), "\(context)")
            #expect(try fixture.fileSize(logPath) == entry.position, "\(context)")
            #expect(try fixture.fileSize(movedPath) == Int64(tail.count), "\(context)")
            #expect(log.logEndOffset == model.endOffset, "\(context)")
            try Self.expectSurvivors(log, model, lost: [damaged], context)
            #expect(
                try Self.readAll(log).offsets == model.records.map(\.offset).filter { !entry.batch.contains($0) },
                "\(context)"
            )
            try model.append(makeLogBatch(), to: log)
            try log.close()
        }
    }
}

extension LogModel.Batch {
    func contains(_ offset: Int64) -> Bool { firstOffset <= offset && offset <= lastOffset }
}
