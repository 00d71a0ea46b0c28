import Glibc
import LogStoreTesting
import NIOCore
import RecordCodec
import Testing

@testable import LogStore

/// A write that fails half-way through an append, a roll or a seal (a full disk, a failing one)
/// must leave the log exactly as it was, refuse writes while it cannot, and never cost an
/// acknowledged batch at the next start. Faults are injected by the simulated disk.
@Suite("Failed writes")
struct WriteFailureTests {
    /// Small segments and index entries on every batch, so that each append writes all three files.
    static var configuration: LogConfiguration {
        var configuration = LogConfiguration()
        configuration.segmentBytes = 4096
        configuration.indexIntervalBytes = 1
        configuration.segmentMilliseconds = nil
        configuration.flushPolicy = .os
        return configuration
    }

    static func batch(_ index: Int) -> RecordBatch {
        makeLogBatch(count: 2, valueSize: 100 + index, timestamp: 1_000 + Int64(index))
    }

    /// Appends until the log rolls twice, flushing each batch as `acks=durable` would.
    static func appendAcknowledged(
        _ count: Int,
        from start: Int,
        to log: PartitionLog,
        _ appended: inout AppendedBatches
    ) throws {
        for index in start..<(start + count) {
            let batch = batch(index)
            let result = try log.append(batch)
            appended.record(batch, result)
            #expect(try log.waitUntilDurableBlocking(result.lastOffset).get() > result.lastOffset)
        }
    }

    /// After a failed append: the log end and every file are as before, the next append gets the
    /// same offset, and after more appends, rolls and a power cut nothing acknowledged is lost.
    func expectFailedAppendLeavesNoTrace(
        _ fault: SimulatedDisk.Fault,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        try withSimulatedStorage { storage in
            var appended = AppendedBatches()
            let log = try storage.open(Self.configuration)
            try Self.appendAcknowledged(3, from: 0, to: log, &appended)
            let endBefore = log.logEndOffset
            let base = log.segmentBaseOffsets.last!
            let sizes = [".log", ".index", ".timeindex"].map {
                storage.disk.contents(of: storage.segmentPath(base, $0))?.count
            }
            storage.disk.inject(fault)
            #expect(throws: LogStoreError.self, sourceLocation: sourceLocation) {
                try log.append(Self.batch(99))
            }
            #expect(log.logEndOffset == endBefore, sourceLocation: sourceLocation)
            #expect(
                [".log", ".index", ".timeindex"].map { storage.disk.contents(of: storage.segmentPath(base, $0))?.count }
                    == sizes,
                "the failed append left bytes behind",
                sourceLocation: sourceLocation
            )
            // The log goes on: same offset, then enough batches to roll twice.
            try Self.appendAcknowledged(40, from: 3, to: log, &appended)
            #expect(log.segmentCount >= 3, sourceLocation: sourceLocation)
            for seed: UInt64 in 1...4 {
                let after = SimulatedStorage(disk: storage.disk.powerCut(seed: seed))
                defer { after.tearDown() }
                let reopened = try after.open(Self.configuration)
                #expect(reopened.recoveryReport.lostOffsets.isEmpty, sourceLocation: sourceLocation)
                #expect(reopened.logEndOffset == log.logEndOffset, sourceLocation: sourceLocation)
                try appended.expectMatches(reopened, "power cut \(seed)", sourceLocation: sourceLocation)
                reopened.abandon()
            }
            log.abandon()
        }
    }

    @Test("ENOSPC at the offset-index write leaves the segment as it was")
    func offsetIndexWriteFails() throws {
        try expectFailedAppendLeavesNoTrace(.init(.write, pathSuffix: ".index", errno: ENOSPC))
    }

    @Test("EIO at the time-index write leaves the segment as it was")
    func timeIndexWriteFails() throws {
        try expectFailedAppendLeavesNoTrace(.init(.write, pathSuffix: ".timeindex", errno: EIO))
    }

    @Test("ENOSPC part-way through the batch write leaves the segment as it was")
    func batchWriteFailsPartWay() throws {
        try expectFailedAppendLeavesNoTrace(
            .init(.write, pathSuffix: ".log", errno: ENOSPC, bytesWrittenBeforeFailing: 61)
        )
    }

    @Test("a torn index entry (ENOSPC after 5 bytes) leaves the segment as it was")
    func indexEntryTorn() throws {
        try expectFailedAppendLeavesNoTrace(
            .init(.write, pathSuffix: ".index", errno: ENOSPC, bytesWrittenBeforeFailing: 5)
        )
    }

    @Test(
        "the issue's case: a failed index write, then a roll, loses no acknowledged batch at restart",
        arguments: [".index", ".timeindex"]
    )
    func failedIndexWriteThenRoll(suffix: String) throws {
        try withSimulatedStorage { storage in
            var appended = AppendedBatches()
            let log = try storage.open(Self.configuration)
            // Fill the segment with small batches until a large one no longer fits; a small one still does.
            // Timestamps grow, so that every append writes a time-index entry too.
            var timestamp: Int64 = 5_000
            var small: RecordBatch { makeLogBatch(count: 1, valueSize: 1, timestamp: timestamp) }
            let large = Self.batch(500)
            while log.activeSegment.size + Int64(large.sizeInBytes) <= 4096 {
                timestamp += 1
                let small = small
                let result = try log.append(small)
                appended.record(small, result)
                _ = try log.waitUntilDurableBlocking(result.lastOffset).get()
            }
            try #require(log.activeSegment.size + Int64(small.sizeInBytes) <= 4096)
            // The small one fails at its index entry...
            storage.disk.inject(.init(.write, pathSuffix: suffix, errno: ENOSPC))
            #expect(throws: LogStoreError.self) { try log.append(small) }
            // ...then a large one rolls; everything from here on is acknowledged durable.
            try Self.appendAcknowledged(20, from: 500, to: log, &appended)
            #expect(log.segmentCount >= 3)
            try log.close()
            for restart in ["clean", "power cut"] {
                let disk = restart == "clean" ? storage.disk.cleanRestart() : storage.disk.powerCut(seed: 11)
                let after = SimulatedStorage(disk: disk)
                defer { after.tearDown() }
                let reopened = try after.open(Self.configuration)
                #expect(reopened.recoveryReport.lostOffsets.isEmpty, "\(restart)")
                #expect(reopened.logEndOffset == log.logEndOffset, "\(restart)")
                try appended.expectMatches(reopened, restart)
                reopened.abandon()
            }
        }
    }

    /// Appends acknowledged batches until the next one would roll the active segment.
    static func fillToRoll(_ log: PartitionLog, _ appended: inout AppendedBatches, _ index: inout Int) throws {
        while log.activeSegment.size == 0
            || log.activeSegment.size + Int64(Self.batch(index).sizeInBytes) <= Int64(configuration.segmentBytes)
        {
            try appendAcknowledged(1, from: index, to: log, &appended)
            index += 1
        }
    }

    /// Makes the roll before the next append fail with `fault`, then checks that the log and its
    /// files are as before, that it goes on, and that a power cut afterwards loses nothing.
    func expectFailedRollLeavesNoTrace(
        _ fault: SimulatedDisk.Fault,
        sourceLocation: SourceLocation = #_sourceLocation
    )
        throws
    {
        try withSimulatedStorage { storage in
            var appended = AppendedBatches()
            let log = try storage.open(Self.configuration)
            var index = 0
            try Self.appendAcknowledged(2, from: 0, to: log, &appended)
            index = 2
            try Self.fillToRoll(log, &appended, &index)
            let names = try storage.fileNames()
            let contents = names.map { storage.disk.contents(of: storage.path($0)) }
            let end = log.logEndOffset
            let segments = log.segmentCount
            storage.disk.inject(fault)
            #expect(throws: LogStoreError.self, sourceLocation: sourceLocation) { try log.append(Self.batch(index)) }
            #expect(log.logEndOffset == end, sourceLocation: sourceLocation)
            #expect(log.segmentCount == segments, sourceLocation: sourceLocation)
            #expect(try storage.fileNames() == names, "a failed roll left files behind", sourceLocation: sourceLocation)
            #expect(
                names.map { storage.disk.contents(of: storage.path($0)) } == contents,
                "a failed roll changed a file",
                sourceLocation: sourceLocation
            )
            try Self.appendAcknowledged(30, from: index, to: log, &appended)
            #expect(log.segmentCount > segments, sourceLocation: sourceLocation)
            for seed: UInt64 in 1...4 {
                let after = SimulatedStorage(disk: storage.disk.powerCut(seed: seed))
                defer { after.tearDown() }
                let reopened = try after.open(Self.configuration)
                #expect(reopened.recoveryReport.lostOffsets.isEmpty, sourceLocation: sourceLocation)
                try appended.expectMatches(
                    reopened,
                    "power cut \(seed) after a failed roll",
                    sourceLocation: sourceLocation
                )
                reopened.abandon()
            }
            log.abandon()
        }
    }

    @Test("a roll whose new segment cannot be created (EMFILE at its .index) leaves no trace")
    func rollFailsCreatingTheNewSegment() throws {
        try expectFailedRollLeavesNoTrace(.init(.open, pathSuffix: ".index", errno: EMFILE))
    }

    @Test("a roll whose new segment cannot be emptied (EIO truncating its .timeindex) leaves no trace")
    func rollFailsTruncatingTheNewSegment() throws {
        try expectFailedRollLeavesNoTrace(.init(.truncate, pathSuffix: ".timeindex", errno: EIO))
    }

    @Test("a seal entry torn by ENOSPC at a roll is undone and the roll retried")
    func sealEntryWriteFails() throws {
        try expectFailedRollLeavesNoTrace(
            .init(.write, pathSuffix: ".timeindex", errno: ENOSPC, bytesWrittenBeforeFailing: 7)
        )
    }

    @Test("when the cut back fails too, the log refuses appends until it succeeds, and loses nothing")
    func truncateBackFails() throws {
        try withSimulatedStorage { storage in
            var appended = AppendedBatches()
            let log = try storage.open(Self.configuration)
            try Self.appendAcknowledged(3, from: 0, to: log, &appended)
            let end = log.logEndOffset
            storage.disk.inject(.init(.write, pathSuffix: ".index", errno: ENOSPC))
            storage.disk.inject(.init(.truncate, pathSuffix: ".log", errno: EIO, times: 3))
            #expect(throws: LogStoreError.self) { try log.append(Self.batch(3)) }
            // Two more attempts: the cut still fails, so nothing is written and no offset is used.
            for _ in 0..<2 {
                let error = #expect(throws: LogStoreError.self) { try log.append(Self.batch(3)) }
                #expect(error?.message.contains("refuses writes until it can undo") == true)
                #expect(log.logEndOffset == end)
            }
            // A process crash now keeps the stale bytes; recovery must not lose anything acknowledged.
            let crashed = SimulatedStorage(disk: storage.disk.powerCut(seed: 3))
            defer { crashed.tearDown() }
            let recovered = try crashed.open(Self.configuration)
            #expect(recovered.logEndOffset >= end)
            var recoveredAppended = appended
            if recovered.logEndOffset > end {
                // The un-acknowledged batch survived whole: it is the one that failed.
                recoveredAppended.record(Self.batch(3), .init(firstOffset: end, lastOffset: end + 1, maxTimestamp: 0))
            }
            try recoveredAppended.expectMatches(recovered, "after a crash with a pending cut")
            recovered.abandon()
            // The disk recovers: the cut succeeds and the log goes on where it was.
            try Self.appendAcknowledged(40, from: 3, to: log, &appended)
            #expect(appended.bodies[end] != nil)
            let after = SimulatedStorage(disk: storage.disk.powerCut(seed: 5))
            defer { after.tearDown() }
            let reopened = try after.open(Self.configuration)
            #expect(reopened.recoveryReport.lostOffsets.isEmpty)
            try appended.expectMatches(reopened, "after the repair")
            reopened.abandon()
            log.abandon()
        }
    }

    @Test("a failed recovery-point write leaves no temporary file behind")
    func checkpointWriteFails() throws {
        try withSimulatedStorage { storage in
            let log = try storage.open(Self.configuration)
            storage.disk.inject(.init(.write, pathSuffix: "recovery-point.tmp", errno: ENOSPC, times: .max))
            while log.segmentCount == 1 { try log.append(Self.batch(0)) }
            #expect(throws: LogStoreError.self) { try log.flush() }
            // The flush thread may be writing (and failing) a recovery point of its own right now:
            // let it finish before looking.
            storage.scheduler.shutdown()
            #expect(!(try storage.fileNames()).contains { $0.hasSuffix(".tmp") })
            log.abandon()
        }
    }

    @Test("recovery keeps a later segment and cuts the stale tail of the one before it", arguments: [true, false])
    func staleTailBeforeALaterSegment(cleanShutdown: Bool) throws {
        try withSimulatedStorage { storage in
            var appended = AppendedBatches()
            let log = try storage.open(Self.configuration)
            try Self.appendAcknowledged(40, from: 0, to: log, &appended)
            let bases = log.segmentBaseOffsets
            try #require(bases.count >= 3)
            try log.close()
            // What the old append path left after a failed index write and a roll: segment 0 ends
            // with a batch holding segment 1's first offset, with other bytes.
            let first = try #require(storage.disk.contents(of: storage.segmentPath(bases[1], ".log")))
            let size = Int(Int32(bigEndian: first[8..<12].withUnsafeBytes { $0.loadUnaligned(as: Int32.self) })) + 12
            var stale = Array(first[..<size])
            stale[size - 1] ^= 0xFF
            let staleBatch = resealedBatch(stale)
            let path = storage.segmentPath(bases[0], ".log")
            storage.disk.overwrite(path, with: storage.disk.contents(of: path)! + batchBytes(staleBatch))
            if !cleanShutdown { try storage.disk.unlink(storage.path(PartitionLog.cleanShutdownFileName)) }
            let reopened = try storage.open(Self.configuration)
            #expect(reopened.recoveryReport.lostOffsets.isEmpty)
            #expect(reopened.recoveryReport.truncatedBytes == Int64(size))
            #expect(reopened.segmentBaseOffsets == bases)
            #expect(reopened.logEndOffset == log.logEndOffset)
            try appended.expectMatches(reopened, "after cutting the stale tail")
            try reopened.close()
        }
    }
}
