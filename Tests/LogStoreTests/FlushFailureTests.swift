import Glibc
import LogStoreTesting
import NIOCore
import Testing

@testable import LogStore

/// A flush that fails for want of a resource (descriptors, memory, space for the checkpoint) fails
/// its waiters and nothing more: the log keeps taking appends, and the next flush that succeeds
/// makes everything durable again. A failed `fdatasync` is different: the kernel may have dropped
/// the unsynced pages, so the log refuses appends until it is reopened (and recovered).
@Suite("Failed flushes")
struct FlushFailureTests {
    static var configuration: LogConfiguration {
        var configuration = LogConfiguration()
        configuration.segmentBytes = 2048
        configuration.segmentMilliseconds = nil
        configuration.flushPolicy = .os
        return configuration
    }

    /// Appends until the log rolls (so that the next flush syncs the directory and writes a checkpoint).
    static func appendUntilRoll(_ log: PartitionLog) throws -> PartitionLog.AppendResult {
        let segments = log.segmentCount
        var result: PartitionLog.AppendResult
        repeat { result = try log.append(makeLogBatch(count: 3, valueSize: 100)) } while log.segmentCount == segments
        return result
    }

    @Test(
        "a flush that cannot get a resource fails its waiters; a later flush clears the failure",
        arguments: [
            SimulatedDisk.Fault(.syncDirectory, errno: EMFILE, times: .max),
            SimulatedDisk.Fault(.open, pathSuffix: "recovery-point.tmp", errno: ENFILE, times: .max),
            SimulatedDisk.Fault(.write, pathSuffix: "recovery-point.tmp", errno: ENOSPC, times: .max),
        ]
    )
    func transientFailureIsRecoverable(fault: SimulatedDisk.Fault) throws {
        try withSimulatedStorage { storage in
            let log = try storage.open(Self.configuration)
            let durableBefore = log.durableEndOffset
            storage.disk.inject(fault)
            let rolled = try Self.appendUntilRoll(log)
            let failed = log.waitUntilDurableBlocking(rolled.lastOffset)
            #expect(throws: LogStoreError.self) { try failed.get() }
            #expect(log.durableEndOffset == durableBefore, "a failed flush must not move the durable end")
            // The log goes on, and once the resource is back, the next flush syncs everything, the
            // failed flushes' files included.
            let next = try log.append(makeLogBatch())
            #expect(throws: LogStoreError.self) { try log.waitUntilDurableBlocking(next.lastOffset).get() }
            storage.disk.clearFaults()
            let durable = try log.waitUntilDurableBlocking(next.lastOffset).get()
            #expect(durable == log.logEndOffset)
            // Nothing acknowledged is lost to a power cut.
            for seed: UInt64 in 1...4 {
                let after = SimulatedStorage(disk: storage.disk.powerCut(seed: seed))
                defer { after.tearDown() }
                let reopened = try after.open(Self.configuration)
                #expect(reopened.logEndOffset == log.logEndOffset, "seed \(seed)")
                reopened.abandon()
            }
            try log.close()
        }
    }

    @Test("a failed fdatasync makes the log refuse appends and never report the data durable")
    func failedSyncIsPermanent() throws {
        try withSimulatedStorage { storage in
            let log = try storage.open(Self.configuration)
            let first = try log.append(makeLogBatch())
            storage.disk.inject(.init(.sync, pathSuffix: ".log", errno: EIO))
            #expect(throws: LogStoreError.self) { try log.waitUntilDurableBlocking(first.lastOffset).get() }
            let error = #expect(throws: LogStoreError.self) { try log.append(makeLogBatch()) }
            #expect(error?.message.contains("failed flush") == true)
            // The disk "recovers": a second fdatasync would succeed, but the first one's pages may be
            // gone, so the offset must still not be reported durable.
            #expect(throws: LogStoreError.self) { try log.waitUntilDurableBlocking(first.lastOffset).get() }
            #expect(log.durableEndOffset == 0)
            log.abandon()
        }
    }
}
