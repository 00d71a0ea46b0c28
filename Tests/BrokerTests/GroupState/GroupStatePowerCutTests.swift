import Glibc
import LogStore
import LogStoreTesting
import Testing

@testable import Broker

/// Seeded power cuts on the simulated disk: random changes for a few groups and partitions, some
/// waited durable (as an acknowledgement is), frequent checkpoints, and a power cut at a random
/// point of each round that drops or tears every unsynced byte. After each cut the reopened view
/// must be what applying some prefix of the written changes gives, a prefix that includes every
/// change waited durable; every offset acknowledged durably (and not reset since) is finished; and
/// no delivery count exceeds the deliveries written. A failure names its seed; rerun it to replay
/// the disk's choices (the flush thread's timing may still vary).
@Suite("Group state power cuts")
struct GroupStatePowerCutTests {
    static let seeds: [UInt64] = Array(1...16)

    /// What was written, in order, and how much of it was waited durable.
    struct History {
        var records: [GroupStateRecord] = []
        /// Records `0..<durableCount` were waited durable.
        var durableCount = 0
        /// Every delivery ever written per partition and offset (lost ones included): an upper bound.
        var deliveriesWritten: [GroupPartitionID: [Int64: Int]] = [:]

        mutating func append(_ record: GroupStateRecord) {
            records.append(record)
            if case .partitionEvent(let partition, .delivered(let offsets, _)) = record {
                for offset in offsets { deliveriesWritten[partition, default: [:]][offset, default: 0] += 1 }
            }
        }

        /// The ranges acknowledged by records waited durable, per partition, that no later record of
        /// the first `length` (a reset, a deletion) forgot.
        func durablyAcknowledged(within length: Int) -> [GroupPartitionID: [ClosedRange<Int64>]] {
            var acknowledged: [GroupPartitionID: [ClosedRange<Int64>]] = [:]
            for (index, record) in records[..<length].enumerated() {
                switch record {
                case .partitionEvent(let partition, .acknowledged(let ranges)) where index < durableCount:
                    acknowledged[partition, default: []].append(contentsOf: ranges)
                case .partitionEvent(let partition, .reset):
                    acknowledged[partition] = nil
                case .groupDeleted(let group):
                    acknowledged = acknowledged.filter { $0.key.group != group }
                default:
                    break
                }
            }
            return acknowledged
        }
    }

    /// Now and then: a failed write of the log (ENOSPC part-way) or of the checkpoint file, a
    /// directory fsync out of descriptors, a failed `fdatasync` (the log then refuses appends until
    /// the reopen).
    static func randomFault(using random: inout SeededGenerator) -> SimulatedDisk.Fault {
        switch Int.random(in: 0..<10, using: &random) {
        case 0..<5:
            return .init(
                .write,
                pathSuffix: ".log",
                errno: ENOSPC,
                skip: Int.random(in: 0..<4, using: &random),
                bytesWrittenBeforeFailing: Int.random(in: 0..<40, using: &random)
            )
        case 5, 6: return .init(.write, pathSuffix: "checkpoint.tmp", errno: ENOSPC)
        case 7, 8: return .init(.syncDirectory, errno: EMFILE)
        default: return .init(.sync, pathSuffix: ".log", errno: EIO, skip: Int.random(in: 0..<10, using: &random))
        }
    }

    @Test(
        "the reopened state is a prefix of what was written that includes everything waited durable",
        arguments: seeds
    )
    func powerCuts(seed: UInt64) throws {
        print("group state power-cut seed \(seed)")
        var random = SeededGenerator(seed: seed)
        var configuration = GroupStateStore.Configuration()
        configuration.snapshotEveryEvents = Int.random(in: 5...60, using: &random)
        configuration.checkpointBatchBytes = Int.random(in: 100...2_000, using: &random)
        configuration.segmentBytes = Int.random(in: 1024...8192, using: &random)
        try withSimulatedGroupState(configuration) { disk in
            var history = History()
            var store = try disk.open()
            for round in 0..<5 {
                let context = "seed \(seed), round \(round), \(configuration.snapshotEveryEvents) per checkpoint"
                var view = store.currentView
                for _ in 0..<Int.random(in: 20...120, using: &random) {
                    let records = GroupStateChanges.random(
                        Int.random(in: 1...3, using: &random),
                        applyingTo: &view,
                        using: &random
                    )
                    if Int.random(in: 0..<25, using: &random) == 0 {
                        disk.disk.inject(Self.randomFault(using: &random))
                    }
                    let offset: Int64
                    do {
                        offset = try store.append(records)
                    } catch {
                        // A fault: nothing of this append was written (all or nothing).
                        #expect(
                            (error as? BrokerError)?.code == .storageError,
                            "\(context): \(error)"
                        )
                        view = store.currentView
                        continue
                    }
                    for record in records { history.append(record) }
                    if Int.random(in: 0..<4, using: &random) == 0,
                        case .success = store.waitUntilDurableBlocking(offset)
                    {
                        history.durableCount = history.records.count
                    }
                }
                disk.disk.clearFaults()
                disk.powerCut(seed: random.next())
                store = try disk.open()
                let reopened = store.currentView
                // Which prefix? The state after each candidate prefix, from the durable one on.
                var model = GroupStateStore.View()
                for record in history.records[..<history.durableCount] { model.apply(record) }
                var matched: Int? = model == reopened ? history.durableCount : nil
                var length = history.durableCount
                while matched == nil, length < history.records.count {
                    model.apply(history.records[length])
                    length += 1
                    if model == reopened { matched = length }
                }
                guard let matched else {
                    let written = history.records.count
                    Issue.record(
                        "\(context): the reopened state is no prefix of the \(written) records written that includes the \(history.durableCount) waited durable"
                    )
                    return
                }
                for (partition, ranges) in history.durablyAcknowledged(within: matched) {
                    guard let state = reopened.partitions[partition] else {
                        Issue.record("\(context): \(partition) lost its state")
                        continue
                    }
                    for range in ranges {
                        #expect(
                            state.isFinished(range.lowerBound) && state.isFinished(range.upperBound),
                            "\(context): \(partition) acknowledged \(range) durably, but it is unfinished"
                        )
                    }
                }
                for (partition, state) in reopened.partitions {
                    for (offset, record) in state.deliveries {
                        let written = history.deliveriesWritten[partition]?[offset] ?? 0
                        #expect(
                            record.deliveryCount <= written,
                            "\(context): \(partition) offset \(offset) delivered \(record.deliveryCount) times, \(written) written"
                        )
                    }
                }
                // What was lost in the cut was never written, as far as the next rounds know.
                history.records.removeSubrange(matched...)
                history.durableCount = min(history.durableCount, matched)
            }
            try store.close()
        }
    }
}
