import Glibc
import LogStoreTesting
import NIOCore
import Testing

@testable import LogStore

/// Seeded random runs on the simulated disk, cut by power failures at random points: whatever the
/// cut keeps or tears, every batch acknowledged durable (through `whenDurable` and the flush thread,
/// as the broker's `acks=durable`) survives, recovery never serves a torn or foreign batch, and the
/// log goes on. Faults (ENOSPC, EIO) are injected now and then on the way. A failure names its seed
/// and round; rerun that seed to replay the disk's choices (the flush thread's timing may still vary).
@Suite("Power cuts on the simulated disk")
struct PowerCutPropertyTests {
    static let seeds: [UInt64] = Array(1...24)

    static func configuration(using random: inout SeededRandom) -> LogConfiguration {
        var configuration = LogConfiguration()
        configuration.segmentBytes = Int.random(in: 1024...8192, using: &random)
        configuration.indexIntervalBytes = Int.random(in: 1...1024, using: &random)
        configuration.segmentMilliseconds = nil
        configuration.flushPolicy = [.durable, .os, .interval(milliseconds: 5)].randomElement(using: &random)!
        return configuration
    }

    static func randomFault(using random: inout SeededRandom) -> SimulatedDisk.Fault {
        let suffix = [".log", ".index", ".timeindex", nil].randomElement(using: &random)!
        let errno = [ENOSPC, EIO].randomElement(using: &random)!
        switch Int.random(in: 0..<5, using: &random) {
        case 0:
            return .init(
                .write,
                pathSuffix: suffix,
                errno: errno,
                skip: Int.random(in: 0..<4, using: &random),
                bytesWrittenBeforeFailing: Int.random(in: 0..<40, using: &random)
            )
        case 1:
            return .init(.truncate, pathSuffix: suffix, errno: errno, times: Int.random(in: 1...3, using: &random))
        case 2:
            return .init(.open, pathSuffix: suffix, errno: EMFILE)
        case 3:
            // A failed fdatasync: the log refuses appends until the next open.
            return .init(.sync, pathSuffix: suffix, errno: EIO, skip: Int.random(in: 0..<20, using: &random))
        default:
            // Out of descriptors for the directory fsync, or no room for the checkpoint: recoverable.
            return Bool.random(using: &random)
                ? .init(.syncDirectory, errno: EMFILE, times: Int.random(in: 1...3, using: &random))
                : .init(.write, pathSuffix: "recovery-point.tmp", errno: ENOSPC)
        }
    }

    @Test("every batch acknowledged durable survives any power cut; recovery serves no torn batch", arguments: seeds)
    func acknowledgedBatchesSurvivePowerCuts(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        let configuration = Self.configuration(using: &random)
        try withSimulatedStorage { storage in
            var appended = AppendedBatches()
            // One past the last offset acknowledged durable.
            var acknowledgedEnd: Int64 = 0
            var knownGaps: [Range<Int64>] = []
            var log = try storage.open(configuration)
            for round in 0..<6 {
                let context = "seed \(seed), round \(round), \(configuration.flushPolicy)"
                for _ in 0..<Int.random(in: 5...60, using: &random) {
                    switch Int.random(in: 0..<100, using: &random) {
                    case 0..<70:
                        let batch = PartitionLogPropertyTests.randomBatch(using: &random)
                        guard let result = try? log.append(batch) else { continue }
                        appended.record(batch, result)
                        if Int.random(in: 0..<3, using: &random) == 0,
                            case .success = log.waitUntilDurableBlocking(result.lastOffset)
                        {
                            acknowledgedEnd = max(acknowledgedEnd, result.lastOffset + 1)
                        }
                    case 70..<80:
                        if log.logEndOffset > 0, case .success = log.waitUntilDurableBlocking(log.logEndOffset - 1) {
                            acknowledgedEnd = max(acknowledgedEnd, log.logEndOffset)
                        }
                    case 80..<88:
                        storage.disk.inject(Self.randomFault(using: &random))
                    case 88..<92:
                        storage.disk.clearFaults()
                    default:
                        let offset = Int64.random(in: 0...log.logEndOffset, using: &random)
                        _ = try? log.read(from: offset, maxBytes: 4096)
                    }
                }
                // The cut: what was acknowledged before it must survive it.
                let mustSurvive = acknowledgedEnd
                storage.powerCut(log, seed: random.next())
                log = try storage.open(configuration)
                #expect(
                    log.logEndOffset >= mustSurvive,
                    "\(context): log end \(log.logEndOffset) after the cut, but \(mustSurvive) were acknowledged"
                )
                // A cut may lose the unsynced end of a segment while the next segment's file survives:
                // a gap of offsets that were never acknowledged (and stays one).
                let gaps = try appended.expectMatches(log, context, gapsAllowedFrom: 0)
                for gap in gaps where !knownGaps.contains(gap) {
                    #expect(gap.lowerBound >= mustSurvive, "\(context): acknowledged offsets \(gap) are missing")
                    knownGaps.append(gap)
                }
                // Batches lost in the cut were never acknowledged; those past the new end have their
                // offsets used again.
                for gap in gaps { appended.forget(gap) }
                appended.forget(from: log.logEndOffset)
                acknowledgedEnd = min(acknowledgedEnd, log.logEndOffset)
            }
            try log.close()
        }
    }

    @Test("a new partition directory survives a power cut once an append in it is durable")
    func newDirectorySurvives() throws {
        for seed: UInt64 in 1...8 {
            try withSimulatedStorage { storage in
                let log = try storage.open()
                let batch = makeLogBatch()
                let result = try log.append(batch)
                _ = try log.waitUntilDurableBlocking(result.lastOffset).get()
                storage.powerCut(log, seed: seed)
                let reopened = try storage.open()
                #expect(reopened.logEndOffset == 1, "seed \(seed)")
                try reopened.close()
            }
        }
    }
}
