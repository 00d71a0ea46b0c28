import Foundation
import LogStore
import LogStoreTesting
import Testing

@testable import Broker

/// Checkpoints and compaction: start-up reads one checkpoint and at most about
/// `snapshotEveryEvents` changes however many were written; old segments go; a checkpoint cut
/// short at any step leaves the previous one in charge and replays to the same state.
@Suite("Group state checkpoints")
struct GroupStateCheckpointTests {
    static func configuration(every events: Int, batchBytes: Int = 1 << 20) -> GroupStateStore.Configuration {
        var configuration = GroupStateStore.Configuration()
        configuration.snapshotEveryEvents = events
        configuration.checkpointBatchBytes = batchBytes
        configuration.segmentBytes = 1 << 20
        return configuration
    }

    /// Appends `count` random changes one by one (the model follows), waiting for durability now
    /// and then so that checkpoints complete.
    static func appendRandom(
        _ count: Int,
        perAppend: Int = 1,
        to store: GroupStateStore,
        model: inout GroupStateStore.View,
        random: inout SeededGenerator
    ) throws {
        precondition(count % perAppend == 0)
        for index in 0..<(count / perAppend) {
            let offset = try store.append(GroupStateChanges.random(perAppend, applyingTo: &model, using: &random))
            if index % 500 == 499 { _ = store.waitUntilDurableBlocking(offset) }
        }
    }

    @Test("100,000 changes with a checkpoint every 1,000: the reopen reads one checkpoint and at most 1,000 changes")
    func startUpIsBounded() throws {
        try withSimulatedGroupState(Self.configuration(every: 1_000)) { disk in
            var store = try disk.open()
            var model = GroupStateStore.View()
            var random = SeededGenerator(seed: 100)
            // 10 changes per append (one batch), as a busy group's acknowledgements would be.
            try Self.appendRandom(100_000, perAppend: 10, to: store, model: &model, random: &random)
            let statistics = store.currentStatistics
            #expect(statistics.checkpointsWritten == 100)
            #expect(store.currentView == model)
            try store.close()

            store = try disk.open()
            let reopened = store.currentStatistics
            #expect(store.currentView == model)
            // One snapshot (a definition per group, a snapshot per partition: at most 3 groups
            // of 2 topics of 2 partitions), its marker and the changes since it began.
            let snapshotRecordsMax = 3 + 3 * 2 * 2
            #expect(reopened.recordsReadAtOpen <= snapshotRecordsMax + 1 + 1_000 + 10, "\(reopened)")
            #expect(reopened.recordsReadAtOpen > statistics.changesSinceCheckpoint)
            #expect(reopened.checkpointOffset == reopened.replayStartOffset)
            // Compaction: the segments before the checkpoint are gone.
            #expect(reopened.logStartOffset == reopened.checkpointOffset)
            #expect(reopened.segmentCount <= 2, "\(reopened)")
            #expect(try disk.logFileNames().filter { $0.hasSuffix(".log") }.count == reopened.segmentCount)
            try store.close()
        }
    }

    @Test("compaction runs while the store is open: segments before a completed checkpoint are deleted")
    func compactionWhileOpen() throws {
        try withSimulatedGroupState(Self.configuration(every: 50)) { disk in
            let store = try disk.open()
            var model = GroupStateStore.View()
            var random = SeededGenerator(seed: 5)
            for _ in 0..<20 {
                try Self.appendRandom(60, to: store, model: &model, random: &random)
                _ = store.waitUntilDurableBlocking(store.currentStatistics.logEndOffset - 1)
            }
            // A checkpoint completes on the flush thread after its marker is durable, possibly just
            // after the waiter above was woken.
            store.waitForCompletedCheckpoints(store.currentStatistics.checkpointsWritten)
            let statistics = store.currentStatistics
            #expect(statistics.checkpointsWritten >= 20)
            // The last checkpoint has completed: the file names it and the log starts there.
            #expect(statistics.checkpointsCompleted == statistics.checkpointsWritten)
            #expect(statistics.logStartOffset == statistics.checkpointOffset)
            #expect(statistics.segmentCount <= 2)
            try store.close()
        }
    }

    @Test(
        "a checkpoint cut short by a write failure: the reopen replays the old one, then the partial one, to the same state"
    )
    func checkpointCutShortByWriteFailure() throws {
        // Small checkpoint batches so that a checkpoint takes many writes.
        try withSimulatedGroupState(Self.configuration(every: 200, batchBytes: 200)) { disk in
            let store = try disk.open()
            var model = GroupStateStore.View()
            var random = SeededGenerator(seed: 21)
            try Self.appendRandom(199, to: store, model: &model, random: &random)
            // The 200th change starts the first checkpoint; let it complete.
            try Self.appendRandom(1, to: store, model: &model, random: &random)
            _ = store.waitUntilDurableBlocking(store.currentStatistics.logEndOffset - 1)
            store.waitForCompletedCheckpoints(1)
            let first = try #require(store.currentStatistics.checkpointOffset)
            #expect(store.currentStatistics.checkpointsCompleted == 1)

            try Self.appendRandom(199, to: store, model: &model, random: &random)
            // The next checkpoint: its third batch write fails (after a roll, whose segment
            // creation writes nothing to the .log).
            disk.disk.inject(.init(.write, pathSuffix: ".log", errno: ENOSPC, skip: 3, times: 1))
            let before = store.currentStatistics
            try Self.appendRandom(1, to: store, model: &model, random: &random)
            let after = store.currentStatistics
            #expect(after.checkpointsWritten == before.checkpointsWritten, "the checkpoint did not fail")
            // Some snapshot records of it were written.
            let partial = after.logEndOffset - before.logEndOffset - 1
            #expect(partial > 0)
            disk.disk.clearFaults()
            _ = store.waitUntilDurableBlocking(after.logEndOffset - 1)
            disk.processCrash()

            let reopened = try disk.open()
            #expect(reopened.currentView == model)
            let statistics = reopened.currentStatistics
            #expect(statistics.replayStartOffset == first)
            #expect(statistics.recordsReadAtOpen > 200 + Int(partial))
            try reopened.close()
        }
    }

    @Test("a checkpoint whose marker is durable but whose file write failed: the previous checkpoint stays in charge")
    func checkpointFileWriteFails() throws {
        try withSimulatedGroupState(Self.configuration(every: 100)) { disk in
            let store = try disk.open()
            var model = GroupStateStore.View()
            var random = SeededGenerator(seed: 8)
            try Self.appendRandom(100, to: store, model: &model, random: &random)
            _ = store.waitUntilDurableBlocking(store.currentStatistics.logEndOffset - 1)
            store.waitForCompletedCheckpoints(1)
            let first = try #require(store.currentStatistics.checkpointOffset)

            disk.disk.inject(.init(.write, pathSuffix: "checkpoint.tmp", errno: ENOSPC, times: Int.max))
            try Self.appendRandom(100, to: store, model: &model, random: &random)
            _ = store.waitUntilDurableBlocking(store.currentStatistics.logEndOffset - 1)
            let statistics = store.currentStatistics
            #expect(statistics.checkpointsWritten == 2)
            #expect(statistics.checkpointsCompleted == 1)
            #expect(statistics.checkpointOffset == first)
            #expect(statistics.logStartOffset <= first)
            try Self.appendRandom(30, to: store, model: &model, random: &random)
            disk.processCrash()

            let reopened = try disk.open()
            #expect(reopened.currentView == model)
            #expect(reopened.currentStatistics.replayStartOffset == first)
            try reopened.close()
        }
    }

    @Test("a snapshot over maxBatchBytes fails its checkpoint, which is counted and retried only after more changes")
    func snapshotOverTheBatchLimit() throws {
        var configuration = Self.configuration(every: 10)
        configuration.maxBatchBytes = 4096
        try withSimulatedGroupState(configuration) { disk in
            var store = try disk.open()
            let partition = GroupPartitionID(group: "orders", topic: "t1", partition: 0)
            var model = GroupStateStore.View()
            func append(_ records: [GroupStateRecord]) throws {
                try store.append(records)
                for record in records { model.apply(record) }
            }
            try append([.groupCreated(group: "orders", GroupDefinition(topics: ["t1"]))])
            // 36+ bytes per unfinished delivery: the snapshot outgrows 4 KiB after about 110.
            for offset in 0..<199 {
                try append([.partitionEvent(partition, .delivered(offsets: [Int64(offset)], at: 1))])
            }
            let statistics = store.currentStatistics
            #expect(statistics.checkpointsFailed > 0)
            #expect(statistics.checkpointsWritten > 0)
            // One attempt per 10 changes, failed or not.
            #expect(statistics.checkpointsFailed + statistics.checkpointsWritten == 20, "\(statistics)")
            #expect(store.currentView == model)
            try store.close()
            store = try disk.open()
            #expect(store.currentView == model)
            try store.close()
        }
    }

    @Test("a power cut at every step of a checkpoint recovers the same durable state", arguments: Array(UInt64(1)...16))
    func powerCutDuringCheckpoint(seed: UInt64) throws {
        try withSimulatedGroupState(Self.configuration(every: 40, batchBytes: 300)) { disk in
            let store = try disk.open()
            var model = GroupStateStore.View()
            var random = SeededGenerator(seed: seed)
            try Self.appendRandom(39 + 40 * Int(seed % 3), to: store, model: &model, random: &random)
            let durable = store.currentStatistics.logEndOffset - 1
            _ = store.waitUntilDurableBlocking(durable)
            let durableModel = model
            // The change that starts a checkpoint, then a cut without waiting: anything from none
            // of it to all of it (and the file, and the deletions) may be on the disk.
            try Self.appendRandom(1, to: store, model: &model, random: &random)
            disk.powerCut(seed: seed)
            let reopened = try disk.open()
            let view = reopened.currentView
            #expect(view == durableModel || view == model, "seed \(seed)")
            try reopened.close()
        }
    }
}
