import Dispatch
import Foundation
import LogStore
import LogStoreTesting

@testable import Broker

/// A group state store on a ``SimulatedDisk``, with its flush thread; ``powerCut(seed:)`` and
/// ``processCrash()`` swap in the disk the next open finds (the old store keeps writing to the
/// old disk, which nothing reads any more).
final class SimulatedGroupState {
    static let directory = "/data/" + GroupStateStore.directoryName
    private(set) var disk = SimulatedDisk()
    private(set) var scheduler = FlushScheduler()
    private var stoppedSchedulers: [FlushScheduler] = []
    var configuration: GroupStateStore.Configuration

    init(configuration: GroupStateStore.Configuration = GroupStateStore.Configuration()) {
        self.configuration = configuration
        self.configuration.clock = { 1_000 }
    }

    func open() throws -> GroupStateStore {
        try GroupStateStore.open(
            directory: Self.directory,
            configuration: configuration,
            fileIO: disk,
            flushScheduler: scheduler
        )
    }

    /// The disk as a power cut now would leave it: unsynced bytes dropped or torn.
    func powerCut(seed: UInt64) {
        let after = disk.powerCut(seed: seed)
        replaceScheduler()
        disk = after
    }

    /// The disk as a `kill -9` leaves it: everything written (the page cache) is kept.
    func processCrash() {
        let after = disk.cleanRestart()
        replaceScheduler()
        disk = after
    }

    private func replaceScheduler() {
        scheduler.shutdown()
        stoppedSchedulers.append(scheduler)
        scheduler = FlushScheduler()
    }

    func logFileNames() throws -> [String] {
        try disk.contentsOfDirectory(Self.directory + "/" + GroupStateStore.logDirectoryName).sorted()
    }

    func tearDown() {
        scheduler.shutdown()
        for scheduler in stoppedSchedulers { scheduler.shutdown() }
    }
}

/// Runs `body` with a fresh ``SimulatedGroupState`` and stops its flush threads afterwards.
func withSimulatedGroupState<T>(
    _ configuration: GroupStateStore.Configuration = GroupStateStore.Configuration(),
    _ body: (SimulatedGroupState) throws -> T
) throws -> T {
    let state = SimulatedGroupState(configuration: configuration)
    defer { state.tearDown() }
    return try body(state)
}

extension GroupStateStore {
    /// Blocks (at most about 20 s) until `count` checkpoints have completed: a checkpoint completes
    /// on the flush thread after its marker is durable, possibly after other waiters of the same
    /// flush have been woken.
    func waitForCompletedCheckpoints(_ count: Int) {
        for _ in 0..<2000 where currentStatistics.checkpointsCompleted < count {
            usleep(10_000)
        }
    }

    /// Blocks until `offset` is durable (the flush thread completes it).
    func waitUntilDurableBlocking(_ offset: Int64) -> Result<Void, BrokerError> {
        let semaphore = DispatchSemaphore(value: 0)
        let box = ResultBox()
        whenDurable(offset) { result in
            box.set(result)
            semaphore.signal()
        }
        semaphore.wait()
        return box.get()
    }
}

private final class ResultBox: @unchecked Sendable {
    private let lock = DispatchSemaphore(value: 1)
    private var result: Result<Void, BrokerError>?

    func set(_ result: Result<Void, BrokerError>) {
        lock.wait()
        self.result = result
        lock.signal()
    }

    func get() -> Result<Void, BrokerError> {
        lock.wait()
        defer { lock.signal() }
        return result!
    }
}

/// Random valid changes for a few groups, topics and partitions, given the view they apply to.
enum GroupStateChanges {
    static let groups = ["orders", "billing", "audit"]
    static let topics = ["t1", "t2"]

    static func randomDefinition(using random: inout SeededGenerator) -> GroupDefinition {
        var settings = GroupSettings()
        settings.ordering = OrderingMode.allCases.randomElement(using: &random)!
        settings.maxDeliveries = Int.random(in: 1...10, using: &random)
        settings.ackTimeoutMilliseconds = Int64.random(in: 100...60_000, using: &random)
        return GroupDefinition(settings: settings, topics: Array(topics.prefix(Int.random(in: 1...2, using: &random))))
    }

    /// Kafka classic groups (their names are never Sluice groups').
    static let kafkaGroups = ["kafka-a", "kafka-b"]

    /// One random change that applies to `view`: about one in eight concerns a Kafka group.
    static func random(for view: GroupStateStore.View, using random: inout SeededGenerator) -> GroupStateRecord {
        if Int.random(in: 0..<8, using: &random) == 0 { return randomKafka(for: view, using: &random) }
        let existing = view.groups.filter { $0.value.kind == .sluice }.keys.sorted()
        let roll = Int.random(in: 0..<100, using: &random)
        if existing.isEmpty || roll < 3 {
            let group = groups.randomElement(using: &random)!
            return .groupCreated(group: group, randomDefinition(using: &random))
        }
        if roll < 5 { return .groupDeleted(group: existing.randomElement(using: &random)!) }
        let partition = GroupPartitionID(
            group: existing.randomElement(using: &random)!,
            topic: topics.randomElement(using: &random)!,
            partition: Int32.random(in: 0..<2, using: &random)
        )
        let base = view.partitions[partition]?.committedOffset ?? 0
        func offset() -> Int64 { base + Int64.random(in: 0..<30, using: &random) }
        let event: GroupStateEvent
        switch Int.random(in: 0..<100, using: &random) {
        case 0..<40:
            event = .delivered(offsets: (0..<Int.random(in: 1...4, using: &random)).map { _ in offset() }, at: 5_000)
        case 40..<55:
            let reason = Bool.random(using: &random) ? nil : "nack \(Int.random(in: 0..<100, using: &random))"
            event = .failed(offset: offset(), reason: reason)
        case 55..<88:
            event = .acknowledged(
                (0..<Int.random(in: 1...3, using: &random)).map { _ in
                    let start = offset()
                    return start...(start + Int64.random(in: 0..<3, using: &random))
                }
            )
        case 88..<96:
            event = .deadLettered(offset: offset())
        default:
            event = .reset(committedOffset: base + Int64.random(in: 0..<5, using: &random))
        }
        return .partitionEvent(partition, event)
    }

    /// One random change of a Kafka group: its creation, a commit of 1-3 partitions, a deletion
    /// of some of its offsets, or (rarely) of the group.
    static func randomKafka(for view: GroupStateStore.View, using random: inout SeededGenerator) -> GroupStateRecord {
        let group = kafkaGroups.randomElement(using: &random)!
        guard view.groups[group] != nil else {
            return .groupCreated(group: group, GroupDefinition(kind: .kafkaClassic, topics: []))
        }
        func partition() -> KafkaTopicPartition {
            KafkaTopicPartition(
                topic: topics.randomElement(using: &random)!,
                partition: Int32.random(in: 0..<3, using: &random)
            )
        }
        switch Int.random(in: 0..<100, using: &random) {
        case 0..<75:
            let entries = (0..<Int.random(in: 1...3, using: &random)).map { _ in
                let metadata = Bool.random(using: &random) ? nil : "m\(Int.random(in: 0..<100, using: &random))"
                return KafkaOffsetEntry(
                    partition(),
                    KafkaCommittedOffset(
                        offset: Int64.random(in: 0..<1_000, using: &random),
                        leaderEpoch: Int32.random(in: -1..<3, using: &random),
                        metadata: metadata,
                        commitTimestamp: 5_000
                    )
                )
            }
            return .kafkaOffsetsCommitted(group: group, entries)
        case 75..<95:
            return .kafkaOffsetsDeleted(group: group, [partition()])
        default:
            return .groupDeleted(group: group)
        }
    }

    /// `count` random changes applied in turn to `view` (which ends up with them applied).
    static func random(
        _ count: Int,
        applyingTo view: inout GroupStateStore.View,
        using random: inout SeededGenerator
    ) -> [GroupStateRecord] {
        (0..<count).map { _ in
            let record = Self.random(for: view, using: &random)
            view.apply(record)
            return record
        }
    }
}
