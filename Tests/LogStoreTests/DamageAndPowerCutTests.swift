import LogStoreTesting
import NIOCore
import RecordCodec
import Testing

@testable import LogStore

/// Recovery from damage (valid batches after it are kept, gaps are reported) on the simulated disk,
/// after power cuts, process crashes and clean stops, with sealed segments opened on demand.
@Suite("Damage after power cuts on the simulated disk")
struct DamageAndPowerCutTests {
    // MARK: an empty segment left by a failed roll

    @Test(
        "an empty segment a failed roll left inside the previous segment's offsets costs no acknowledged batch",
        arguments: [true, false],
        [true, false]
    )
    func emptyLeftoverSegment(cleanShutdown: Bool, inLastSegment: Bool) throws {
        try withSimulatedStorage { storage in
            var appended = AppendedBatches()
            let log = try storage.open(WriteFailureTests.configuration)
            try WriteFailureTests.appendAcknowledged(40, from: 0, to: log, &appended)
            let bases = log.segmentBaseOffsets
            try #require(bases.count >= 3)
            let end = log.logEndOffset
            try log.close()
            // A roll created the files of a segment at `leftover`, failed, and its removal of them
            // did not reach the disk; appends went on in the segment before, past `leftover`.
            let owner = inLastSegment ? bases[bases.count - 1] : bases[bases.count - 2]
            let leftover = owner + 1
            for suffix in [".log", ".index", ".timeindex"] {
                let descriptor = try storage.disk.open(storage.segmentPath(leftover, suffix), create: true)
                storage.disk.close(descriptor)
            }
            if !cleanShutdown { try storage.disk.unlink(storage.path(PartitionLog.cleanShutdownFileName)) }
            let reopened = try storage.open(WriteFailureTests.configuration)
            #expect(reopened.segmentBaseOffsets == bases)
            #expect(reopened.logEndOffset == end)
            #expect(reopened.recoveryReport.lostOffsets.isEmpty)
            #expect(
                reopened.recoveryReport.removedFiles.contains(Segment.fileName(baseOffset: leftover, suffix: ".log"))
            )
            try appended.expectMatches(reopened, "after the empty leftover segment")
            try reopened.close()
        }
    }

    // MARK: damage in sealed segments whose files are closed

    @Test(
        "damage in sealed segments whose files are closed is found and stepped over, within the descriptor limit",
        arguments: [true, false]
    )
    func damageInClosedSealedSegments(cleanShutdown: Bool) throws {
        try withSimulatedStorage { storage in
            var appended = AppendedBatches()
            let configuration = OpenFilesTests.configuration(limit: 1)
            let bases: [Int64]
            do {
                let log = try storage.open(configuration)
                while log.segmentCount < 12 {
                    let batch = makeLogBatch(count: 2, valueSize: 100 + appended.bodies.count % 7)
                    appended.record(batch, try log.append(batch))
                }
                bases = log.segmentBaseOffsets
                if cleanShutdown { try log.close() } else { storage.processCrash(log) }
            }
            // The first log is gone and has closed its files.
            #expect(storage.disk.openDescriptorCount == 0)
            // One CRC-covered byte of a middle batch of two sealed segments.
            var lost: [Range<Int64>] = []
            for base in [bases[3], bases[7]] {
                let path = storage.segmentPath(base, ".log")
                var bytes = try #require(storage.disk.contents(of: path))
                let batches = Self.batches(in: bytes)
                try #require(batches.count >= 3)
                let victim = batches[batches.count / 2]
                bytes[victim.position + RecordBatch.headerSize] ^= 0x5A
                storage.disk.overwrite(path, with: bytes)
                lost.append(victim.baseOffset..<(victim.lastOffset + 1))
            }
            let reopened = try storage.open(configuration)
            #expect(reopened.segmentCount >= 12)
            // Recovery (unclean) or the reads (clean) find exactly the two damaged batches.
            let gaps = try appended.expectMatches(reopened, "clean: \(cleanShutdown)", gapsAllowedFrom: 0)
            #expect(gaps == lost)
            #expect(reopened.fileLimiter.openCount <= 1)
            #expect(storage.disk.openDescriptorCount <= OpenFilesTests.pinnedDescriptors + 1)
            try reopened.close()
        }
    }

    // MARK: damage and power cuts, at random

    /// How a round ends.
    enum Stop: CaseIterable {
        case powerCut, processCrash, clean
    }

    /// Where a batch lies in a `.log` file, walked by its length fields.
    struct BatchInFile {
        var position: Int
        var size: Int
        var baseOffset: Int64
        var lastOffset: Int64
    }

    static func batches(in bytes: [UInt8]) -> [BatchInFile] {
        func integer<T: FixedWidthInteger>(_: T.Type, at index: Int) -> T {
            bytes[index..<(index + MemoryLayout<T>.size)].reduce(T.zero) { $0 << 8 | T($1) }
        }
        var found: [BatchInFile] = []
        var position = 0
        while bytes.count - position >= RecordBatch.headerSize {
            let length = Int(integer(Int32.self, at: position + RecordBatch.Field.batchLength))
            let size = length + RecordBatch.logOverhead
            guard length >= Int(RecordBatch.minimumBatchLength), size <= bytes.count - position else { break }
            let base = integer(Int64.self, at: position)
            let delta = Int64(integer(Int32.self, at: position + RecordBatch.Field.lastOffsetDelta))
            found.append(BatchInFile(position: position, size: size, baseOffset: base, lastOffset: base &+ delta))
            position += size
        }
        return found
    }

    /// Damages one byte of a random batch in a random `.log` (never the partition leader epoch,
    /// bytes 12..<16, which Kafka's format leaves outside the CRC), or of a random index file.
    /// - Returns: the offsets of the damaged batch, if a batch was damaged.
    static func damage(_ storage: SimulatedStorage, using random: inout SeededRandom) throws -> ClosedRange<Int64>? {
        let names = try storage.fileNames()
        if Int.random(in: 0..<4, using: &random) == 0 {
            guard let name = names.filter({ $0.hasSuffix("index") }).randomElement(using: &random) else { return nil }
            var bytes = storage.disk.contents(of: storage.path(name)) ?? []
            guard !bytes.isEmpty else { return nil }
            bytes[Int.random(in: 0..<bytes.count, using: &random)] ^= UInt8.random(in: 1...255, using: &random)
            storage.disk.overwrite(storage.path(name), with: bytes)
            return nil
        }
        guard let name = names.filter({ $0.hasSuffix(".log") }).randomElement(using: &random),
            var bytes = storage.disk.contents(of: storage.path(name)),
            let batch = batches(in: bytes).randomElement(using: &random)
        else { return nil }
        var within: Int
        repeat { within = Int.random(in: 0..<batch.size, using: &random) } while (12..<16).contains(within)
        bytes[batch.position + within] ^= UInt8.random(in: 1...255, using: &random)
        storage.disk.overwrite(storage.path(name), with: bytes)
        return batch.baseOffset...max(batch.baseOffset, batch.lastOffset)
    }

    @Test(
        "damage after a power cut, a crash or a clean stop: every acknowledged batch that validates is read back at its offset, and no offset is served with other bytes",
        arguments: Array(UInt64(1)...16)
    )
    func damageAfterPowerCuts(seed: UInt64) throws {
        var random = SeededRandom(seed: seed &+ 7_000)
        var configuration = PowerCutPropertyTests.configuration(using: &random)
        // Few descriptors for sealed segments: recovery's reads of them reopen their files on demand.
        configuration.openSealedSegmentsLimit = Int.random(in: 1...2, using: &random)
        try withSimulatedStorage { storage in
            var appended = AppendedBatches()
            // One past the last offset acknowledged durable.
            var acknowledgedEnd: Int64 = 0
            // Offsets of batches whose bytes the test damaged: those alone may be lost.
            var damaged: [ClosedRange<Int64>] = []
            var log = try storage.open(configuration)
            for round in 0..<5 {
                let stop = Stop.allCases.randomElement(using: &random)!
                let context = "seed \(seed), round \(round), \(stop), \(configuration.flushPolicy)"
                for _ in 0..<Int.random(in: 10...50, using: &random) {
                    let batch = PartitionLogPropertyTests.randomBatch(using: &random)
                    let result = try log.append(batch)
                    appended.record(batch, result)
                    if Int.random(in: 0..<3, using: &random) == 0 {
                        _ = try log.waitUntilDurableBlocking(result.lastOffset).get()
                        acknowledgedEnd = max(acknowledgedEnd, result.lastOffset + 1)
                    }
                    if Int.random(in: 0..<8, using: &random) == 0 {
                        _ = try log.read(from: Int64.random(in: 0...log.logEndOffset, using: &random), maxBytes: 4096)
                    }
                }
                switch stop {
                case .powerCut: storage.powerCut(log, seed: random.next())
                case .processCrash: storage.processCrash(log)
                case .clean: try log.close()
                }
                for _ in 0..<Int.random(in: 0...2, using: &random) {
                    if let offsets = try Self.damage(storage, using: &random) { damaged.append(offsets) }
                }
                log = try storage.open(configuration)
                // The log end goes below an acknowledgement only when damage took the acknowledged
                // batch there (the end of the last segment: nothing valid follows it).
                #expect(
                    log.logEndOffset >= acknowledgedEnd || damaged.contains { $0.contains(log.logEndOffset) },
                    "\(context): the log end \(log.logEndOffset) went below the acknowledged \(acknowledgedEnd)"
                )
                // Every batch served holds the bytes appended at its offset (expectMatches checks).
                let gaps = try appended.expectMatches(log, context, gapsAllowedFrom: 0)
                for (first, last) in appended.lastOffsets where last < acknowledgedEnd {
                    let wasDamaged = damaged.contains { $0.overlaps(first...last) }
                    #expect(
                        wasDamaged || !gaps.contains { $0.contains(first) },
                        "\(context): the acknowledged, undamaged batch \(first)...\(last) is lost"
                    )
                }
                // Reads of sealed segments after damage reopened their files within the limit.
                #expect(log.fileLimiter.openCount <= configuration.openSealedSegmentsLimit, "\(context)")
                for gap in gaps { appended.forget(gap) }
                appended.forget(from: log.logEndOffset)
                acknowledgedEnd = min(acknowledgedEnd, log.logEndOffset)
            }
            try log.close()
        }
    }
}
