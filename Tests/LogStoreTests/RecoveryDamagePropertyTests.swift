import Foundation
import NIOCore
import Testing

@testable import LogStore

/// Random damage anywhere in a log, found by recovery or by reads: every batch whose checked bytes
/// are intact stays readable, every damaged batch's offsets are reported lost (one range per run of
/// lost batches), and no offset is handed out twice.
@Suite("Recovery of random damage (property)")
struct RecoveryDamagePropertyTests {
    @Test("random damaged regions lose exactly the batches they hit", arguments: 0..<48)
    func randomDamage(seed: Int) throws {
        try withStorageFixture { fixture in
            var random = SeededRandom(seed: UInt64(seed) + 5_000)
            // Even seeds: an unclean stop without a checkpoint (every segment validated). Odd seeds:
            // a clean shutdown (damage found by the tail scans and by reads).
            let forced = seed % 2 == 0
            var (model, bases) = try RecoveryDamageTests.write(fixture, seed: UInt64(seed) + 5_100, cleanShutdown: true)
            if forced {
                try FileManager.default.removeItem(atPath: fixture.path(RecoveryCheckpoint.fileName))
                try FileManager.default.removeItem(atPath: fixture.path(PartitionLog.cleanShutdownFileName))
            }
            let layout = model.layout(segmentBaseOffsets: bases)
            var damaged: [(segment: Int64, range: Range<Int64>)] = []
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let segment = bases.randomElement(using: &random)!
                let path = fixture.segmentPath(segment, ".log")
                let size = try fixture.fileSize(path)
                let position = Int64.random(in: 0..<size, using: &random)
                let count = min(Int64.random(in: 1...200, using: &random), size - position)
                try FileDamage.flip(path, at: Int(position), masks: [UInt8](repeating: 0xFF, count: Int(count)))
                damaged.append((segment, position..<(position + count)))
            }
            let lost = Set(
                layout.indices.filter { index in
                    let entry = layout[index]
                    return damaged.contains { damage in
                        damage.segment == entry.segment
                            && damage.range.contains { byte in
                                byte >= entry.position && byte < entry.position + Int64(entry.batch.sizeInBytes)
                                    && RecoveryTests.isCovered(byte - entry.position)
                            }
                    }
                }
            )
            // With no checkpoint, lost batches at the very end look like a torn tail: the log ends
            // before them. After a clean shutdown the checkpoint keeps the end.
            let lastSurvivor = layout.indices.last { !lost.contains($0) } ?? -1
            let trailing = forced ? lost.filter { $0 > lastSurvivor } : []
            model.keepBatches(layout.count - trailing.count)
            let context = "seed \(seed), forced \(forced): damage \(damaged), lost batches \(lost.sorted())"

            let log = try fixture.open(RecoveryDamageTests.configuration)
            #expect(log.logEndOffset == model.endOffset, "\(context)")
            #expect(Set(bases).isSubset(of: Set(log.segmentBaseOffsets)), "\(context)")
            try RecoveryDamageTests.expectSurvivors(log, model, lost: lost.subtracting(trailing), context)
            let (offsets, gaps) = try RecoveryDamageTests.readAll(log)
            let keptOffsets = model.batches.indices.filter { !lost.contains($0) }.flatMap {
                model.batches[$0].firstOffset...model.batches[$0].lastOffset
            }
            #expect(offsets == keptOffsets, "\(context)")
            // One range per run of lost batches, and nothing else.
            var runs: [Range<Int64>] = []
            for index in lost.subtracting(trailing).sorted() {
                let batch = model.batches[index]
                if let last = runs.last, last.upperBound == batch.firstOffset {
                    runs[runs.count - 1] = last.lowerBound..<(batch.lastOffset + 1)
                } else {
                    runs.append(batch.firstOffset..<(batch.lastOffset + 1))
                }
            }
            #expect(gaps == runs, "\(context)")
            let end = model.endOffset
            let appended = try model.append(makeLogBatch(count: 2), to: log)
            #expect(appended.firstOffset == end, "\(context)")
            try log.close()

            // A restart changes nothing a reader sees.
            let again = try fixture.open(RecoveryDamageTests.configuration)
            #expect(again.logEndOffset == model.endOffset, "\(context)")
            #expect(try RecoveryDamageTests.readAll(again).offsets == keptOffsets + [end, end + 1], "\(context)")
            try again.close()
        }
    }
}
