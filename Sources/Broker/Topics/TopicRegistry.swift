import BrokerProtocol
import LogStore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// The broker's topics: creation, deletion, growth, and the lookup every request makes.
///
/// Lookups read a lock-protected snapshot (cheap, from any event loop). Changes run one at a time
/// (``serialized(_:)``: the actor alone would interleave them at every `await`) and do their
/// blocking work (directories, log recovery, fsync) on the thread pool.
actor TopicRegistry {
    nonisolated let configuration: BrokerConfiguration
    nonisolated let eventLoopGroup: any EventLoopGroup
    nonisolated let threadPool: NIOThreadPool
    nonisolated let flushScheduler: FlushScheduler
    nonisolated let logger: Logger
    private nonisolated let snapshot = NIOLockedValueBox<[String: Topic]>([:])
    private nonisolated let longPollsEnded = NIOLockedValueBox(false)
    /// Whether a change (create, delete, add partitions, close) is running.
    private var isChanging = false
    /// Changes waiting for the running one to finish, oldest first.
    private var changeWaiters: [CheckedContinuation<Void, Never>] = []
    /// Set by ``closeAll()``: later changes are refused.
    private var isClosed = false

    init(
        configuration: BrokerConfiguration,
        eventLoopGroup: any EventLoopGroup,
        threadPool: NIOThreadPool,
        flushScheduler: FlushScheduler,
        logger: Logger
    ) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.threadPool = threadPool
        self.flushScheduler = flushScheduler
        self.logger = logger
    }

    /// The topic named `name`, if it exists.
    nonisolated func topic(named name: String) -> Topic? {
        snapshot.withLockedValue { $0[name] }
    }

    /// Whether long-polling fetches should answer at once (the broker is shutting down).
    nonisolated var isEndingLongPolls: Bool { longPollsEnded.withLockedValue { $0 } }

    /// Answers every waiting long-polling fetch now, and later ones without waiting: the first
    /// step of a graceful shutdown, so that idle consumers do not hold up the drain.
    nonisolated func endLongPolls() {
        longPollsEnded.withLockedValue { $0 = true }
        for topic in allTopics() {
            for partition in topic.partitions { partition.endLongPolls() }
        }
    }

    /// Every topic, sorted by name.
    nonisolated func allTopics() -> [Topic] {
        snapshot.withLockedValue { Array($0.values) }.sorted { $0.name < $1.name }
    }

    // MARK: Start-up

    /// Opens every topic in the data directory (recovering logs as needed) and removes the
    /// leftovers of interrupted deletions.
    func load() async throws {
        let root = configuration.dataDirectory
        try TopicDirectory.prepareDataDirectory(root)
        for name in try TopicDirectory.contents(of: root).sorted() {
            let path = root + "/" + name
            if TopicDirectory.isLeftover(name) {
                do {
                    try TopicDirectory.removeTree(path)
                } catch {
                    logger.warning(
                        "could not remove the leftover of an interrupted create or delete",
                        metadata: ["path": "\(path)", "error": "\(BrokerError(error).message)"]
                    )
                }
                continue
            }
            guard (try? TopicName.validate(name, allowInternal: true)) != nil,
                TopicDirectory.exists(path + "/" + TopicSettings.fileName)
            else { continue }
            let settings = try TopicSettings.read(from: path)
            let partitions = try await openPartitions(
                topic: name,
                range: 0..<settings.partitionCount,
                settings: settings
            )
            let topic = Topic(name: name, directory: path, settings: settings, partitions: partitions)
            snapshot.withLockedValue { $0[name] = topic }
            logger.info("loaded topic", metadata: ["topic": "\(name)", "partitions": "\(settings.partitionCount)"])
        }
    }

    private func openPartitions(topic: String, range: Range<Int32>, settings: TopicSettings) async throws -> [Partition]
    {
        let logConfiguration = settings.logConfiguration(broker: configuration)
        let directory = configuration.dataDirectory + "/" + topic
        let scheduler = flushScheduler
        let configuration = self.configuration
        var partitions: [Partition] = []
        for index in range {
            let path = directory + "/" + String(index)
            let opened: (SendableLog, Partition.RecoveredState)
            do {
                opened = try await threadPool.runIfActive {
                    let log = try PartitionLog.open(
                        directory: path,
                        configuration: logConfiguration,
                        scheduler: scheduler
                    )
                    return (SendableLog(log), try Partition.recoverState(from: log, configuration: configuration))
                }
            } catch {
                // Leave nothing half-open: close what this call opened (locks, retention timers).
                for partition in partitions { try? await partition.close(on: threadPool).get() }
                throw error
            }
            let (log, state) = opened
            RecoveryLogging.log(log.log.recoveryReport, topic: topic, partition: index, to: logger)
            partitions.append(
                Partition(
                    topic: topic,
                    index: index,
                    log: log,
                    state: state,
                    eventLoop: eventLoopGroup.next(),
                    configuration: configuration
                )
            )
        }
        return partitions
    }

    // MARK: Administration

    /// Runs `change` once no other change is running. An actor is reentrant: without this, a
    /// create and a delete of one name (or two creates) would interleave at their awaits, check
    /// the snapshot before the other had updated it, and open or move the same directories.
    private func serialized<T>(_ change: () async throws -> T) async throws -> T {
        while isChanging { await withCheckedContinuation { changeWaiters.append($0) } }
        isChanging = true
        defer {
            isChanging = false
            if !changeWaiters.isEmpty { changeWaiters.removeFirst().resume() }
        }
        guard !isClosed else { throw BrokerError(.shuttingDown, "the broker is shutting down") }
        return try await change()
    }

    /// Creates a topic.
    /// - Throws: ``BrokerError``: invalid or reserved name, already exists, bad settings, too many.
    func create(_ request: CreateTopicRequest, allowInternal: Bool = false) async throws -> Topic {
        try await serialized { try await createNow(request, allowInternal: allowInternal) }
    }

    private func createNow(_ request: CreateTopicRequest, allowInternal: Bool) async throws -> Topic {
        try TopicName.validate(request.topic, allowInternal: allowInternal)
        guard topic(named: request.topic) == nil else {
            throw BrokerError(.topicAlreadyExists, "topic '\(request.topic)' already exists")
        }
        guard snapshot.withLockedValue({ $0.count }) < configuration.limits.maxTopics else {
            throw BrokerError(
                .limitExceeded,
                "the broker already has maxTopics (\(configuration.limits.maxTopics)) topics"
            )
        }
        let settings = try settings(for: request)
        try checkTotalPartitions(adding: Int(settings.partitionCount))
        let root = configuration.dataDirectory
        let name = request.topic
        // The directory appears with its topic.json in one rename; a failure removes it again.
        let directory = try await threadPool.runIfActive {
            try TopicDirectory.create(name, settings: settings, in: root)
        }
        let partitions: [Partition]
        do {
            partitions = try await openPartitions(topic: name, range: 0..<settings.partitionCount, settings: settings)
            try await threadPool.runIfActive { try TopicDirectory.syncDirectory(directory) }
        } catch {
            // A topic that failed to open must not come back at the next start.
            do {
                try await threadPool.runIfActive { try TopicDirectory.discard(directory, in: root) }
            } catch {
                logger.error(
                    "could not remove the directory of a topic that failed to open",
                    metadata: ["topic": "\(name)", "error": "\(BrokerError(error).message)"]
                )
            }
            let cause = BrokerError(error)
            throw BrokerError(cause.code, "creating topic '\(name)' failed: \(cause.message)")
        }
        let topic = Topic(name: request.topic, directory: directory, settings: settings, partitions: partitions)
        snapshot.withLockedValue { $0[request.topic] = topic }
        logger.info(
            "created topic",
            metadata: ["topic": "\(request.topic)", "partitions": "\(settings.partitionCount)"]
        )
        return topic
    }

    private func settings(for request: CreateTopicRequest) throws -> TopicSettings {
        let limit = configuration.limits.maxPartitionsPerTopic
        guard request.partitionCount >= 1, request.partitionCount <= limit else {
            throw BrokerError(
                .invalidTopicConfiguration,
                "partition count must be 1-\(limit), got \(request.partitionCount)"
            )
        }
        let defaults = configuration.topicDefaults
        func optional(_ value: Int64, _ fallback: Int64?, _ name: String) throws -> Int64? {
            switch value {
            case TopicSettingValue.brokerDefault: return fallback
            case TopicSettingValue.unlimited: return nil
            case 1...: return value
            default: throw BrokerError(.invalidTopicConfiguration, "\(name) must be positive, -1 or -2, got \(value)")
            }
        }
        let segmentBytes: Int
        switch request.segmentBytes {
        case TopicSettingValue.brokerDefault: segmentBytes = defaults.segmentBytes
        case Int64(configuration.limits.minSegmentBytes)...Int64(LogConfiguration.segmentBytesLimit):
            segmentBytes = Int(request.segmentBytes)
        default:
            throw BrokerError(
                .invalidTopicConfiguration,
                "segment bytes must be \(configuration.limits.minSegmentBytes)-\(LogConfiguration.segmentBytesLimit)"
                    + " (or -2 for the broker's default), got \(request.segmentBytes)"
            )
        }
        return TopicSettings(
            partitionCount: request.partitionCount,
            retentionMilliseconds: try optional(
                request.retentionMilliseconds,
                defaults.retentionMilliseconds,
                "retention"
            ),
            retentionBytes: try optional(request.retentionBytes, defaults.retentionBytes, "retention bytes"),
            segmentBytes: segmentBytes,
            incarnation: UInt64.random(in: 1...UInt64.max)
        )
    }

    /// Refuses a change that would take the broker past `maxPartitionsTotal` partitions.
    private func checkTotalPartitions(adding count: Int) throws {
        let total = snapshot.withLockedValue { $0.values.reduce(0) { $0 + Int($1.partitionCount) } }
        let limit = configuration.limits.maxPartitionsTotal
        guard total + count <= limit else {
            throw BrokerError(
                .limitExceeded,
                "the broker has \(total) partitions; \(count) more would pass maxPartitionsTotal (\(limit))"
            )
        }
    }

    /// Grows a topic to `partitionCount` partitions.
    func addPartitions(_ name: String, to partitionCount: Int32) async throws {
        try await serialized { try await addPartitionsNow(name, to: partitionCount) }
    }

    private func addPartitionsNow(_ name: String, to partitionCount: Int32) async throws {
        guard let topic = topic(named: name) else { throw BrokerError(.unknownTopic, "unknown topic '\(name)'") }
        let current = topic.partitionCount
        guard partitionCount > current else {
            throw BrokerError(
                .invalidTopicConfiguration,
                "topic '\(name)' has \(current) partitions; the new count must be larger, got \(partitionCount)"
            )
        }
        guard partitionCount <= configuration.limits.maxPartitionsPerTopic else {
            throw BrokerError(
                .invalidTopicConfiguration,
                "partition count must be at most \(configuration.limits.maxPartitionsPerTopic), got \(partitionCount)"
            )
        }
        try checkTotalPartitions(adding: Int(partitionCount - current))
        var settings = topic.settings
        settings.partitionCount = partitionCount
        let newSettings = settings
        let directory = topic.directory
        let partitions: [Partition]
        do {
            partitions = try await openPartitions(topic: name, range: current..<partitionCount, settings: settings)
            do {
                try await threadPool.runIfActive {
                    try TopicDirectory.syncDirectory(directory)
                    try newSettings.write(to: directory)
                }
            } catch {
                for partition in partitions { try? await partition.close(on: threadPool).get() }
                throw error
            }
        } catch {
            // Leave no partition directory behind: the topic keeps its former partitions only.
            do {
                try await threadPool.runIfActive {
                    for index in current..<partitionCount {
                        try TopicDirectory.removeTree(directory + "/" + String(index))
                    }
                    try TopicDirectory.syncDirectory(directory)
                }
            } catch {
                logger.error(
                    "could not remove the partitions that failed to open",
                    metadata: ["topic": "\(name)", "error": "\(BrokerError(error).message)"]
                )
            }
            let cause = BrokerError(error)
            throw BrokerError(cause.code, "adding partitions to topic '\(name)' failed: \(cause.message)")
        }
        topic.add(partitions, settings: settings)
        logger.info("added partitions", metadata: ["topic": "\(name)", "partitions": "\(partitionCount)"])
    }

    /// Deletes a topic: it disappears from lookups at once, its directory is renamed to
    /// `.deleted-…` (durably: the topic never comes back), its partitions close, and the directory
    /// is removed (a leftover is removed at the next start). If the rename fails, nothing has
    /// changed: the topic is still there, open.
    func delete(_ name: String) async throws {
        try await serialized { try await deleteNow(name) }
    }

    private func deleteNow(_ name: String) async throws {
        guard let topic = snapshot.withLockedValue({ $0.removeValue(forKey: name) }) else {
            throw BrokerError(.unknownTopic, "unknown topic '\(name)'")
        }
        let root = configuration.dataDirectory
        let trash: String
        let syncFailure: BrokerError?
        do {
            // The partitions stay open across the rename (their descriptors follow the files),
            // so a failed rename leaves the topic exactly as it was.
            (trash, syncFailure) = try await threadPool.runIfActive {
                try TopicDirectory.moveToTrash(topic.directory, in: root)
            }
        } catch {
            snapshot.withLockedValue { $0[name] = topic }
            throw BrokerError(.storageError, "deleting topic '\(name)' failed: \(BrokerError(error).message)")
        }
        for partition in topic.partitions {
            do {
                try await partition.close(on: threadPool).get()
            } catch {
                // Expected: the close's checkpoint and marker have no directory to go to any more.
                logger.debug(
                    "closing a partition of a deleted topic failed",
                    metadata: ["topic": "\(name)", "partition": "\(partition.index)", "error": "\(error)"]
                )
            }
        }
        do {
            try await threadPool.runIfActive {
                try TopicDirectory.removeTree(trash)
                if syncFailure != nil { try TopicDirectory.syncDirectory(root) }
            }
        } catch {
            logger.warning(
                "could not remove a deleted topic's files; they are removed at the next start",
                metadata: ["topic": "\(name)", "path": "\(trash)", "error": "\(BrokerError(error).message)"]
            )
            if let syncFailure {
                throw BrokerError(
                    .storageError,
                    "topic '\(name)' was deleted but the deletion may not survive a crash: \(syncFailure.message)"
                )
            }
        }
        logger.info("deleted topic", metadata: ["topic": "\(name)"])
    }

    /// Closes every partition cleanly (flush, checkpoint, clean-shutdown marker), after the change
    /// in progress; later changes fail with `shuttingDown`.
    func closeAll() async {
        try? await serialized {
            isClosed = true
            await closeAllNow()
        }
    }

    private func closeAllNow() async {
        for topic in allTopics() {
            for partition in topic.partitions {
                do {
                    try await partition.close(on: threadPool).get()
                } catch {
                    logger.error(
                        "closing a partition failed",
                        metadata: ["topic": "\(topic.name)", "partition": "\(partition.index)", "error": "\(error)"]
                    )
                }
            }
        }
        // Let go of the closed logs: their descriptors close when the last reference goes, and
        // whoever still holds the registry (an embedding process) must not keep them open.
        snapshot.withLockedValue { $0.removeAll() }
    }
}
