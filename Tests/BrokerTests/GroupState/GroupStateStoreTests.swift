import Foundation
import LogStore
import LogStoreTesting
import NIOCore
import RecordCodec
import Synchronization
import Testing

@testable import Broker

/// The group state store: appends apply to its view, survive a reopen (clean or after a crash),
/// wait for durability through the log's group commit, and refuse what they cannot store.
@Suite("Group state store")
struct GroupStateStoreTests {
    static let orders = GroupPartitionID(group: "orders", topic: "payments", partition: 0)

    @Test("appends build the view; a clean reopen and a crash reopen rebuild the same view")
    func appendAndReopen() throws {
        try withSimulatedGroupState { disk in
            var store = try disk.open()
            var model = GroupStateStore.View()
            var random = SeededGenerator(seed: 11)
            var lastOffset: Int64 = -1
            for _ in 0..<200 {
                let records = GroupStateChanges.random(
                    Int.random(in: 1...3, using: &random),
                    applyingTo: &model,
                    using: &random
                )
                let offset = try store.append(records)
                #expect(offset == lastOffset + Int64(records.count))
                lastOffset = offset
            }
            #expect(store.currentView == model)
            try store.close()
            #expect(throws: BrokerError.self) { try store.append([.groupDeleted(group: "orders")]) }

            store = try disk.open()
            #expect(store.currentView == model)
            #expect(store.currentStatistics.recordsReadAtOpen == Int(lastOffset + 1))
            // A crash (the page cache survives): no clean close.
            let more = GroupStateChanges.random(5, applyingTo: &model, using: &random)
            try store.append(more)
            disk.processCrash()
            store = try disk.open()
            #expect(store.currentView == model)
            try store.close()
        }
    }

    @Test("the view answers per group and per partition; a deleted group takes its partitions along")
    func viewQueries() throws {
        try withSimulatedGroupState { disk in
            let store = try disk.open()
            let definition = GroupDefinition(topics: ["payments"])
            try store.append([.groupCreated(group: "orders", definition)])
            try store.append(
                events: [.reset(committedOffset: 10), .delivered(offsets: [10, 11], at: 5)],
                for: Self.orders
            )
            let acknowledged = try store.append(events: [.acknowledged([10...10])], for: Self.orders)
            #expect(store.definition(of: "orders") == definition)
            var expected = PersistedPartitionState(committedOffset: 11)
            expected.deliveries[11] = DeliveryRecord(
                deliveryCount: 1,
                failureCount: 0,
                firstDeliveredAt: 5,
                lastDeliveredAt: 5,
                lastFailureReason: nil
            )
            #expect(store.state(of: Self.orders) == expected)
            #expect(throws: Never.self) { try store.waitUntilDurableBlocking(acknowledged).get() }

            try store.append([.groupDeleted(group: "orders")])
            #expect(store.definition(of: "orders") == nil)
            #expect(store.state(of: Self.orders) == nil)
            try store.close()
        }
    }

    @Test("refused appends change nothing: events for unknown groups, snapshots, limits, empty lists")
    func refusedAppends() throws {
        try withSimulatedGroupState { disk in
            let store = try disk.open()
            let before = store.currentStatistics.logEndOffset
            func refused(_ records: [GroupStateRecord], _ expected: String) {
                do {
                    try store.append(records)
                    Issue.record("\(records) was accepted")
                } catch let error as BrokerError {
                    #expect(error.code == .invalidRequest)
                    #expect(error.message.contains(expected), "\(error.message)")
                } catch {
                    Issue.record("unexpected \(error)")
                }
            }
            refused([], "no group state records")
            refused([.partitionEvent(Self.orders, .deadLettered(offset: 1))], "group 'orders' does not exist")
            refused([.groupDeleted(group: "orders")], "does not exist")
            // All or nothing: the creation in the same list is not kept either.
            refused(
                [
                    .groupCreated(group: "a", GroupDefinition(topics: [])), .groupDeleted(group: "a"),
                    .groupDeleted(group: "a"),
                ],
                "group 'a' does not exist"
            )
            refused(
                [.partitionSnapshot(Self.orders, PersistedPartitionState(committedOffset: 0))],
                "written by the store"
            )
            refused([.checkpointMarker(firstOffset: 0)], "written by the store")
            try store.append([.groupCreated(group: "orders", GroupDefinition(topics: []))])
            refused(
                [.partitionEvent(Self.orders, .failed(offset: 1, reason: String(repeating: "x", count: 5000)))],
                "4096-byte limit"
            )
            #expect(store.currentStatistics.logEndOffset == before + 1)
            #expect(store.currentView.groups.keys.sorted() == ["orders"])
            try store.close()
        }
    }

    @Test("an append over the log's batch limit is refused with the limit named, and nothing changes")
    func batchLimit() throws {
        var configuration = GroupStateStore.Configuration()
        configuration.maxBatchBytes = 4096
        try withSimulatedGroupState(configuration) { disk in
            let store = try disk.open()
            try store.append([.groupCreated(group: "orders", GroupDefinition(topics: []))])
            let offsets = (0..<1000).map { Int64($0) }
            do {
                try store.append(events: [.delivered(offsets: offsets, at: 1)], for: Self.orders)
                Issue.record("an 8 KB record was accepted")
            } catch let error as BrokerError {
                #expect(error.code == .recordBatchTooLarge, "\(error)")
            }
            #expect(store.state(of: Self.orders) == nil)
            try store.append(events: [.delivered(offsets: [1], at: 1)], for: Self.orders)
            try store.close()
        }
    }

    @Test("whenDurable completes after the flush, never under the store's lock (the completion may append)")
    func durabilityCompletions() async throws {
        try await withSimulatedGroupStateAsync { disk in
            let store = try disk.open()
            let created = try store.append([.groupCreated(group: "orders", GroupDefinition(topics: []))])
            try await store.waitUntilDurable(created)
            // Already durable: the completion runs at once, on this thread, and may append.
            let appended = Mutex<Int64?>(nil)
            store.whenDurable(created) { _ in
                appended.withLock { $0 = try? store.append(events: [.deadLettered(offset: 3)], for: Self.orders) }
            }
            #expect(appended.withLock { $0 } == created + 1)
            // Many waiters on many appends: all complete.
            var offsets: [Int64] = []
            for offset in 0..<50 {
                offsets.append(
                    try store.append(events: [.delivered(offsets: [Int64(offset)], at: 1)], for: Self.orders)
                )
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for offset in offsets { group.addTask { try await store.waitUntilDurable(offset) } }
                try await group.waitForAll()
            }
            #expect(disk.disk.unsyncedByteCount(of: disk.activeLogPath(store)) == 0)
            try store.close()
        }
    }

    @Test("a failed flush fails the waiters with the storage error")
    func failedFlush() throws {
        try withSimulatedGroupState { disk in
            let store = try disk.open()
            disk.disk.inject(.init(.sync, pathSuffix: ".log", errno: EIO, times: Int.max))
            let offset = try store.append([.groupCreated(group: "orders", GroupDefinition(topics: []))])
            let result = store.waitUntilDurableBlocking(offset)
            guard case .failure(let error) = result else {
                Issue.record("the wait succeeded")
                return
            }
            #expect(error.code == .storageError)
            #expect(error.message.contains("fdatasync"), "\(error.message)")
        }
    }

    @Test("a torn tail is cut by LogStore's recovery; the view is what the intact batches make")
    func tornTail() throws {
        try withSimulatedGroupState { disk in
            let store = try disk.open()
            var model = GroupStateStore.View()
            var random = SeededGenerator(seed: 3)
            let kept = GroupStateChanges.random(20, applyingTo: &model, using: &random)
            let durable = try store.append(kept)
            _ = store.waitUntilDurableBlocking(durable)
            var lost = model
            try store.append(GroupStateChanges.random(20, applyingTo: &lost, using: &random))
            // Tear the last batch: cut its last bytes off.
            let path = disk.activeLogPath(store)
            let bytes = disk.disk.contents(of: path)!
            disk.processCrash()
            disk.disk.overwrite(path, with: Array(bytes.dropLast(7)))
            let reopened = try disk.open()
            #expect(reopened.currentView == model)
            try reopened.close()
        }
    }

    @Test(
        "a gap the log lost in a power cut: the replay stops there, checkpoints at once, and the lost tail never returns"
    )
    func lostOffsetsInTheMiddle() throws {
        var configuration = GroupStateStore.Configuration()
        configuration.segmentBytes = 1024
        try withSimulatedGroupState(configuration) { disk in
            var store = try disk.open()
            // Nothing is synced from here on (every append asks the flush thread for an fsync,
            // which would otherwise race the tear below): the torn bytes are unsynced ones, as
            // after a power cut.
            disk.scheduler.shutdown()
            var model = GroupStateStore.View()
            var random = SeededGenerator(seed: 9)
            // Each append is one batch: remember the first offset of each and the records.
            var appended: [(first: Int64, records: [GroupStateRecord])] = []
            while store.currentStatistics.segmentCount < 3 {
                let records = GroupStateChanges.random(2, applyingTo: &model, using: &random)
                let last = try store.append(records)
                appended.append((last - 1, records))
            }
            disk.processCrash()
            // As if the power cut had lost the unsynced end of the first segment while the second
            // one's bytes reached the disk: tear the first segment's last batch.
            let logNames = try disk.logFileNames().filter { $0.hasSuffix(".log") }
            let secondBase = try #require(Int64(logNames[1].dropLast(4)))
            let path = SimulatedGroupState.directory + "/" + GroupStateStore.logDirectoryName + "/" + logNames[0]
            disk.disk.overwrite(path, with: Array(try #require(disk.disk.contents(of: path)).dropLast(5)))
            let tornFirst = try #require(appended.last { $0.first < secondBase }?.first)

            store = try disk.open()
            var expected = GroupStateStore.View()
            for (first, records) in appended where first < tornFirst {
                for record in records { expected.apply(record) }
            }
            #expect(store.currentView == expected)
            let statistics = store.currentStatistics
            #expect(statistics.offsetsDroppedAtOpen?.lowerBound == tornFirst)
            #expect(statistics.checkpointsCompleted == 1)
            #expect(statistics.logStartOffset == statistics.checkpointOffset)
            // Go on from there; a second open (after a crash) must not bring the dropped records back.
            var next = expected
            try store.append(GroupStateChanges.random(3, applyingTo: &next, using: &random))
            disk.processCrash()
            store = try disk.open()
            #expect(store.currentView == next)
            #expect(store.currentStatistics.offsetsDroppedAtOpen == nil)
            try store.close()
        }
    }

    @Test("damage to fsynced bytes: the replay reads on past it, keeping every later change that still applies")
    func damageBelowTheRecoveryPoint() throws {
        var configuration = GroupStateStore.Configuration()
        configuration.segmentBytes = 1024
        try withSimulatedGroupState(configuration) { disk in
            var store = try disk.open()
            var model = GroupStateStore.View()
            var random = SeededGenerator(seed: 4)
            var appended: [(first: Int64, records: [GroupStateRecord])] = []
            while store.currentStatistics.segmentCount < 3 {
                let records = GroupStateChanges.random(2, applyingTo: &model, using: &random)
                appended.append((try store.append(records) - 1, records))
            }
            // A clean close: everything is synced and the recovery point is the log end.
            try store.close()
            // Damage a record byte of the first segment's second batch (one append: two records).
            let logNames = try disk.logFileNames().filter { $0.hasSuffix(".log") }
            let path = SimulatedGroupState.directory + "/" + GroupStateStore.logDirectoryName + "/" + logNames[0]
            var bytes = try #require(disk.disk.contents(of: path))
            let firstBatchSize = 12 + Int(bytes[8...11].reduce(0) { $0 << 8 | UInt32($1) })
            bytes[firstBatchSize + 65] ^= 0xFF
            disk.disk.overwrite(path, with: bytes)

            store = try disk.open()
            var expected = GroupStateStore.View()
            var skipped = 0
            for (first, records) in appended where first != appended[1].first {
                for record in records {
                    if expected.problem(applying: CollectionOfOne(record)) == nil {
                        expected.apply(record)
                    } else {
                        skipped += 1
                    }
                }
            }
            #expect(store.currentView == expected)
            let statistics = store.currentStatistics
            #expect(statistics.offsetsDamagedAtOpen == [appended[1].first..<(appended[1].first + 2)])
            #expect(statistics.recordsSkippedAtOpen == skipped)
            #expect(statistics.offsetsDroppedAtOpen == nil)
            try store.close()
        }
    }

    @Test("a record that does not decode inside a valid batch fails the open, naming its offset")
    func badRecordInValidBatch() throws {
        try withSimulatedGroupState { disk in
            let store = try disk.open()
            try store.append([.groupCreated(group: "orders", GroupDefinition(topics: []))])
            try store.append(events: [.reset(committedOffset: 4)], for: Self.orders)
            try store.close()
            // Append, with the log itself, a batch whose record has a valid CRC but an unknown type.
            let log = try PartitionLog.open(
                directory: SimulatedGroupState.directory + "/" + GroupStateStore.logDirectoryName,
                scheduler: disk.scheduler,
                fileIO: disk.disk
            )
            try log.append(
                RecordBatch(records: [
                    Record(key: ByteBuffer(string: "orders"), value: ByteBuffer(bytes: [1, 77]), timestamp: 0)
                ])
            )
            try log.close()
            do {
                _ = try disk.open()
                Issue.record("the open succeeded")
            } catch let error as BrokerError {
                #expect(error.code == .storageError)
                #expect(error.message.contains("offset 2"), "\(error.message)")
                #expect(error.message.contains("unknown group state record type 77"), "\(error.message)")
            }
        }
    }

    @Test("a damaged checkpoint file fails the open with a clear error")
    func damagedCheckpointFile() throws {
        var configuration = GroupStateStore.Configuration()
        configuration.snapshotEveryEvents = 3
        try withSimulatedGroupState(configuration) { disk in
            let store = try disk.open()
            try store.append([.groupCreated(group: "orders", GroupDefinition(topics: []))])
            try store.append(events: [.reset(committedOffset: 4), .deadLettered(offset: 5)], for: Self.orders)
            try store.close()
            let path = SimulatedGroupState.directory + "/" + GroupStateStore.checkpointFileName
            var bytes = try #require(disk.disk.contents(of: path))
            #expect(bytes.count == 18)
            bytes[9] ^= 1
            disk.disk.overwrite(path, with: bytes)
            #expect {
                _ = try disk.open()
            } throws: { error in
                (error as? BrokerError)?.message.contains("damaged (CRC mismatch)") == true
            }
        }
    }
}

extension SimulatedGroupState {
    /// The path of the log's active segment.
    func activeLogPath(_ store: GroupStateStore) -> String {
        let base = store.currentStatistics.logEndOffset
        let names = (try? logFileNames()) ?? []
        let last = names.filter { $0.hasSuffix(".log") }.sorted().last { name in
            Int64(name.dropLast(4)).map { $0 <= base } ?? false
        }
        return SimulatedGroupState.directory + "/" + GroupStateStore.logDirectoryName + "/" + (last ?? "")
    }
}

/// Runs `body` with a fresh ``SimulatedGroupState`` and stops its flush threads afterwards.
func withSimulatedGroupStateAsync(
    _ configuration: GroupStateStore.Configuration = GroupStateStore.Configuration(),
    _ body: (SimulatedGroupState) async throws -> Void
) async throws {
    let state = SimulatedGroupState(configuration: configuration)
    defer { state.tearDown() }
    try await body(state)
}

/// Appends from many threads at once (the store is shared by every partition's event loop).
@Suite("Group state store concurrency")
struct GroupStateStoreConcurrencyTests {
    @Test("concurrent appends and durability waits from many tasks all land, in one consistent view")
    func concurrentAppends() async throws {
        var configuration = GroupStateStore.Configuration()
        configuration.snapshotEveryEvents = 100
        try await withSimulatedGroupStateAsync(configuration) { disk in
            var store = try disk.open()
            try store.append([.groupCreated(group: "orders", GroupDefinition(topics: ["t"]))])
            let shared = store
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<8 {
                    group.addTask {
                        let partition = GroupPartitionID(group: "orders", topic: "t", partition: Int32(task))
                        for offset in 0..<100 {
                            let events: [GroupStateEvent] = [
                                .delivered(offsets: [Int64(offset)], at: 1),
                                .acknowledged([Int64(offset)...Int64(offset)]),
                            ]
                            let written = try shared.append(events: events, for: partition)
                            if offset % 10 == 9 { try await shared.waitUntilDurable(written) }
                        }
                    }
                }
                try await group.waitForAll()
            }
            var expected = GroupStateStore.View()
            expected.groups["orders"] = GroupDefinition(topics: ["t"])
            for task in 0..<8 {
                expected.partitions[GroupPartitionID(group: "orders", topic: "t", partition: Int32(task))] =
                    PersistedPartitionState(committedOffset: 100)
            }
            #expect(store.currentView == expected)
            #expect(store.currentStatistics.checkpointsWritten >= 15)
            disk.processCrash()
            store = try disk.open()
            #expect(store.currentView == expected)
            try store.close()
        }
    }
}
