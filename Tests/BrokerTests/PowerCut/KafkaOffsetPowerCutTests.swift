import Glibc
import LogStore
import LogStoreTesting
import Logging
import NIOConcurrencyHelpers
import NIOPosix
import Testing

@testable import Broker

/// Seeded power cuts under Kafka offset commits: random OffsetCommit, OffsetFetch, OffsetDelete and
/// DeleteGroups run one after the other through the real ``KafkaOffsetStore`` (over a
/// ``GroupManager`` and its group state log on the simulated disk), and the power is cut at a
/// random point of each round, often with an operation in flight; now and then a write of the log
/// or of its checkpoint file fails (`ENOSPC`), failing the operation it hits. After the reopen, the committed
/// offsets of every group must be exactly what the operations up to some point made, a point no
/// earlier than the last one answered: an acknowledged commit survives, and no partition's offset
/// goes back behind what was acknowledged. Every answer during the run is checked against the
/// model too (a fetch shows exactly the offsets committed). A failure names its seed and round;
/// `SLUICE_PROPERTY_SEED=<seed>` replays it (the cut's instant may still vary with timing).
@Suite("Power cuts under Kafka offset commits", .serialized)
struct KafkaOffsetPowerCutTests {
    static let seeds = PowerCutSeeds.seeds(default: 12)
    static let topics: [(String, Int32)] = [("t1", 3), ("t2", 2)]
    static let groups = ["k1", "k2", "k3"]

    /// One request to the offset store.
    enum Operation: CustomStringConvertible {
        case commit(String, [KafkaOffsetCommit])
        case deleteOffsets(String, [KafkaTopicPartition])
        case deleteGroup(String)
        case fetch(String)

        var description: String {
            switch self {
            case .commit(let group, let offsets):
                "commit \(group) \(offsets.map { "\($0.partition.topic)/\($0.partition.partition)=\($0.offset)" })"
            case .deleteOffsets(let group, let partitions):
                "delete offsets \(group) \(partitions.map { "\($0.topic)/\($0.partition)" })"
            case .deleteGroup(let group): "delete group \(group)"
            case .fetch(let group): "fetch \(group)"
            }
        }
    }

    /// What the store holds: each existing Kafka group with its committed offsets.
    struct Model: Equatable {
        var groups: [String: [KafkaTopicPartition: KafkaFetchedOffset]] = [:]

        static func isValid(_ commit: KafkaOffsetCommit) -> Bool {
            guard let topic = KafkaOffsetPowerCutTests.topics.first(where: { $0.0 == commit.partition.topic }) else {
                return false
            }
            return commit.partition.partition >= 0 && commit.partition.partition < topic.1 && commit.offset >= 0
        }

        /// The operation's effect, decided from the operation alone (an operation in flight at
        /// the cut has no answer).
        mutating func apply(_ operation: Operation) {
            switch operation {
            case .commit(let group, let offsets):
                let accepted = offsets.filter(Self.isValid)
                guard !accepted.isEmpty else { return }
                for commit in accepted {
                    groups[group, default: [:]][commit.partition] = KafkaFetchedOffset(
                        commit.partition,
                        offset: commit.offset,
                        leaderEpoch: commit.leaderEpoch,
                        metadata: commit.metadata
                    )
                }
            case .deleteOffsets(let group, let partitions):
                guard groups[group] != nil else { return }
                for partition in partitions { groups[group]![partition] = nil }
            case .deleteGroup(let group):
                groups[group] = nil
            case .fetch:
                break
            }
        }

        func fetched(_ group: String) -> [KafkaFetchedOffset] {
            (groups[group] ?? [:]).sorted { $0.key < $1.key }.map(\.value)
        }
    }

    /// A random operation; offsets mostly move forward per partition (a consumer's commits),
    /// sometimes back (a seek).
    static func randomOperation(
        _ model: Model,
        next: inout [KafkaTopicPartition: Int64],
        using random: inout SeededGenerator
    ) -> Operation {
        let group = groups.randomElement(using: &random)!
        func partition() -> KafkaTopicPartition {
            switch Int.random(in: 0..<20, using: &random) {
            case 0: return KafkaTopicPartition(topic: "t1", partition: 3)  // no such partition
            case 1: return KafkaTopicPartition(topic: "missing", partition: 0)
            default:
                let (topic, count) = topics.randomElement(using: &random)!
                return KafkaTopicPartition(topic: topic, partition: Int32.random(in: 0..<count, using: &random))
            }
        }
        switch Int.random(in: 0..<100, using: &random) {
        case 0..<65:
            let offsets = (0..<Int.random(in: 1...3, using: &random)).map { _ in
                let target = partition()
                var offset = next[target, default: 0] + Int64.random(in: 0...40, using: &random)
                if Int.random(in: 0..<10, using: &random) == 0 { offset = Int64.random(in: 0...offset, using: &random) }
                if Int.random(in: 0..<30, using: &random) == 0 { offset = -1 }
                next[target] = max(0, offset)
                let metadata = Bool.random(using: &random) ? nil : "m\(Int.random(in: 0..<1000, using: &random))"
                return KafkaOffsetCommit(
                    target,
                    offset: offset,
                    leaderEpoch: Int32.random(in: -1...3, using: &random),
                    metadata: metadata
                )
            }
            return .commit(group, offsets)
        case 65..<80:
            return .fetch(group)
        case 80..<95:
            return .deleteOffsets(group, (0..<Int.random(in: 1...2, using: &random)).map { _ in partition() })
        default:
            return .deleteGroup(group)
        }
    }

    /// A write of the state log or of its checkpoint file that fails (`ENOSPC`, some bytes written
    /// first): the operation whose append it hits fails with `storageFailure` and writes nothing.
    static func randomFault(using random: inout SeededGenerator) -> SimulatedDisk.Fault {
        Bool.random(using: &random)
            ? .init(
                .write,
                pathSuffix: ".log",
                errno: ENOSPC,
                skip: Int.random(in: 0..<3, using: &random),
                bytesWrittenBeforeFailing: Int.random(in: 0..<40, using: &random)
            )
            : .init(.write, pathSuffix: "checkpoint.tmp", errno: ENOSPC)
    }

    /// Runs one operation and checks its answer against `model` (before the operation).
    /// - Returns: `false` if it failed with `storageFailure` (an injected fault): it changed nothing.
    static func run(
        _ operation: Operation,
        on store: KafkaOffsetStore,
        model: Model,
        _ context: String
    ) async throws -> Bool {
        do {
            try await runChecked(operation, on: store, model: model, context)
            return true
        } catch KafkaOffsetStoreError.storageFailure {
            return false
        }
    }

    private static func runChecked(
        _ operation: Operation,
        on store: KafkaOffsetStore,
        model: Model,
        _ context: String
    ) async throws {
        switch operation {
        case .commit(let group, let offsets):
            let results = try await store.commitOffsets(group: group, offsets: offsets)
            let expected = offsets.map { commit -> KafkaOffsetCommitResult in
                guard let topic = topics.first(where: { $0.0 == commit.partition.topic }),
                    commit.partition.partition >= 0, commit.partition.partition < topic.1
                else { return .unknownTopicOrPartition }
                return commit.offset >= 0 ? .committed : .invalidOffset
            }
            #expect(results == expected, "\(context): \(operation) answered \(results)")
        case .fetch(let group):
            let fetched = try await store.fetchOffsets(group: group, partitions: nil)
            #expect(
                fetched == model.fetched(group),
                "\(context): \(operation) shows \(fetched), committed \(model.fetched(group))"
            )
        case .deleteOffsets(let group, let partitions):
            do {
                try await store.deleteOffsets(group: group, partitions: partitions)
                #expect(model.groups[group] != nil, "\(context): \(operation) succeeded on no group")
            } catch KafkaOffsetStoreError.unknownGroup {
                #expect(model.groups[group] == nil, "\(context): \(operation) found no group")
            }
        case .deleteGroup(let group):
            do {
                try await store.deleteGroup(group)
                #expect(model.groups[group] != nil, "\(context): \(operation) succeeded on no group")
            } catch KafkaOffsetStoreError.unknownGroup {
                #expect(model.groups[group] == nil, "\(context): \(operation) found no group")
            }
        }
    }

    /// The offset store over a group state log opened on `disk`.
    static func openStore(
        _ disk: PowerCutDisk,
        _ configuration: GroupStateStore.Configuration,
        topics: PowerCutTopics
    ) throws -> (GroupStateStore, KafkaOffsetStore) {
        let state = try GroupStateStore.open(
            directory: "/data/" + GroupStateStore.directoryName,
            configuration: configuration,
            fileIO: disk.disk,
            flushScheduler: disk.scheduler
        )
        let manager = GroupManager(
            store: state,
            openStore: { throw BrokerError(.storageError, "the test opened the store already") },
            registry: topics.registry,
            deadLetters: DeadLetterWriter(registry: topics.registry, issued: { IssuedProducers(idBound: 0, epoch: 0) }),
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            logger: Logger(label: "power-cut-kafka")
        )
        return (state, try KafkaOffsetStore(groups: manager, limits: KafkaOffsetLimits()))
    }

    /// What the reopened store holds.
    static func observed(_ store: KafkaOffsetStore) async throws -> Model {
        var model = Model()
        for group in store.kafkaGroups() {
            let fetched = try await store.fetchOffsets(group: group, partitions: nil)
            model.groups[group] = Dictionary(uniqueKeysWithValues: fetched.map { ($0.partition, $0) })
        }
        return model
    }

    @Test("every acknowledged offset commit survives any power cut; no offset goes back", arguments: seeds)
    func acknowledgedCommitsSurvive(seed: UInt64) async throws {
        var random = SeededGenerator(seed: seed)
        var configuration = GroupStateStore.Configuration()
        configuration.snapshotEveryEvents = Int.random(in: 3...40, using: &random)
        configuration.checkpointBatchBytes = Int.random(in: 100...2_000, using: &random)
        configuration.segmentBytes = Int.random(in: 1024...8192, using: &random)
        configuration.clock = { 1_000 }
        let disk = PowerCutDisk()
        defer { disk.tearDown() }
        try await withPowerCutTopics(Self.topics) { topics in
            var model = Model()
            var next: [KafkaTopicPartition: Int64] = [:]
            var (state, store) = try Self.openStore(disk, configuration, topics: topics)
            for round in 0..<5 {
                let context = "Kafka offsets power-cut seed \(seed), round \(round)"
                let count = Int.random(in: 5...40, using: &random)
                // The cut falls before a random changing call of the disk (about four per commit; past them, at the end).
                let cutAt = Int.random(in: 1...(count * 3), using: &random)
                let cutSeed = random.next()
                let progress = OperationProgress()
                let answeredAtCut = NIOLockedValueBox<Int?>(nil)
                disk.arm(after: cutAt, seed: cutSeed) { answeredAtCut.withLockedValue { $0 = progress.answered } }
                // The operations, decided up front from the seed (their answers do not change them).
                var planned: [Operation] = []
                var planning = model
                for _ in 0..<count {
                    let operation = Self.randomOperation(planning, next: &next, using: &random)
                    planning.apply(operation)
                    planned.append(operation)
                }
                // Now and then a failed write (the operation it hits changes nothing).
                var faults: [Int: SimulatedDisk.Fault] = [:]
                for index in 0..<count where Int.random(in: 0..<12, using: &random) == 0 {
                    faults[index] = Self.randomFault(using: &random)
                }
                let failed = NIOLockedValueBox<Set<Int>>([])
                let faultyDisk = disk.disk.base
                let runner = Task { [store, model, planned, faults] in
                    var current = model
                    for (index, operation) in planned.enumerated() where !progress.shouldStop {
                        progress.start()
                        if let fault = faults[index] { faultyDisk.inject(fault) }
                        if try await Self.run(operation, on: store, model: current, context) {
                            current.apply(operation)
                        } else {
                            failed.withLockedValue { _ = $0.insert(index) }
                        }
                        progress.answer()
                    }
                }
                try await progress.wait { disk.afterCut != nil || progress.answered == count }
                // Whatever was answered before the cut must survive it.
                let after = disk.cut(seed: cutSeed) { answeredAtCut.withLockedValue { $0 = progress.answered } }
                progress.stop()
                try await runner.value
                let answered = answeredAtCut.withLockedValue { $0! }
                let started = progress.started
                try? state.close()
                disk.replace(with: after)
                (state, store) = try Self.openStore(disk, configuration, topics: topics)
                let reopened = try await Self.observed(store)
                // Which point? The state after each candidate prefix, from the answered one on.
                var candidate = model
                let failures = failed.withLockedValue { $0 }
                for (index, operation) in planned[..<answered].enumerated() where !failures.contains(index) {
                    candidate.apply(operation)
                }
                var matched: Int? = candidate == reopened ? answered : nil
                var length = answered
                while matched == nil, length < started {
                    if !failures.contains(length) { candidate.apply(planned[length]) }
                    length += 1
                    if candidate == reopened { matched = length }
                }
                guard let matched else {
                    Issue.record(
                        """
                        \(context): after the cut the store holds \(reopened.groups), which no point from the \
                        \(answered) answered to the \(started) started operations gives; operations: \
                        \(planned[..<started].map(\.description))
                        """
                    )
                    return
                }
                model = candidate
                print(
                    "\(context): \(answered) answered (\(failures.count) failed by a fault), \(started) started, the reopened store holds \(matched)"
                )
                // Offsets of commits lost in the cut may be committed again lower: forget them.
                next = [:]
                for offsets in model.groups.values {
                    for (partition, fetched) in offsets { next[partition] = max(next[partition] ?? 0, fetched.offset) }
                }
            }
            try state.close()
        }
    }
}
