import Foundation
import NIOCore
import Testing

@testable import LogStore

extension RecoveryTests {
    @Test("lowering maxBatchBytes never makes stored batches look damaged", arguments: [true, false])
    func loweredBatchLimitKeepsStoredBatches(cleanShutdown: Bool) throws {
        try withStorageFixture { fixture in
            var model = LogModel()
            let large = makeLogBatch(count: 10, valueSize: 10_000)
            try fixture.runThenCrash { log in
                try model.append(makeLogBatch(count: 2), to: log)
                try model.append(large, to: log)
                if cleanShutdown { try log.close() }
            }
            var lowered = LogConfiguration()
            lowered.maxBatchBytes = 4096
            let log = try fixture.open(lowered)
            #expect(log.recoveryReport.damage == nil)
            #expect(log.logEndOffset == model.endOffset)
            try expectLog(log, matches: model)
            // The lower limit applies to new appends.
            let error = expectLogStoreError(.batchTooLarge) { try log.append(large) }
            #expect(error != nil)
        }
    }

    @Test("damage below the checkpoint loses only the damaged batch; the checkpoint stays inside the log")
    func damageBelowCheckpoint() throws {
        try withStorageFixture { fixture in
            var random = SeededRandom(seed: 99)
            let (model, bases) = try Self.writeThenCrash(fixture, batchCount: 60, using: &random)
            try #require(bases.count >= 3)
            let point = try #require(try RecoveryCheckpoint.read(directory: fixture.directory)).offset
            #expect(point == bases.last!)
            // Damage the last batch of the first segment: a trusted segment, whose tail is still
            // read at open. Only that batch is lost; nothing after it is cut.
            let layout = model.layout(segmentBaseOffsets: bases)
            let damaged = layout.indices.last { layout[$0].segment == bases[0] }!
            let entry = layout[damaged]
            try FileDamage.flip(
                fixture.segmentPath(bases[0], ".log"),
                at: Int(entry.position) + entry.batch.sizeInBytes - 1,
                masks: [0x01]
            )

            let log = try fixture.open(Self.configuration)
            #expect(log.recoveryReport.damage != nil)
            #expect(log.recoveryReport.lostOffsets == [entry.batch.firstOffset..<bases[1]])
            #expect(log.segmentBaseOffsets == bases)
            #expect(log.logEndOffset == model.endOffset)
            let checkpoint = try #require(try RecoveryCheckpoint.read(directory: fixture.directory)).offset
            #expect(checkpoint == point && checkpoint <= log.logEndOffset)
            try RecoveryDamageTests.expectSurvivors(log, model, lost: [damaged], "last batch of segment 0")
        }
    }
}
