/// The committed offsets of Kafka classic consumer groups, kept durably in the group state log
/// with Sluice's own groups (docs/KAFKA.md, "Offsets"; the records in docs/GROUPS.md): what the
/// Kafka listener calls for OffsetCommit, OffsetFetch, ListGroups and DeleteGroups.
///
/// A group name belongs to one kind: a Kafka group cannot take a Sluice group's name
/// (``KafkaOffsetStoreError/groupKindMismatch(group:)``) and a Sluice subscribe to a Kafka group's
/// name is refused with `groupKindMismatch`. A Kafka group exists in the state log from its first
/// accepted commit until it is deleted (here, or by the native `deleteGroup`).
///
/// Writes run one at a time in the group manager's creation queue (with Sluice group creations,
/// resets and topic deletions, so that the kind and limit checks and the write are atomic); each
/// answers once its records are on disk, sharing the `fdatasync` with every other waiter. Reads
/// take the state log's lock only. Thread-safe.
public final class KafkaOffsetStore: Sendable {
    let groups: GroupManager
    /// The limits commits are checked against.
    public let limits: KafkaOffsetLimits

    /// A store over `groups`' state log.
    /// - Throws: ``BrokerError`` (`invalidRequest`) for a limit outside its range.
    init(groups: GroupManager, limits: KafkaOffsetLimits) throws {
        try limits.validate()
        self.groups = groups
        self.limits = limits
    }

    /// Stores `offsets` for `group`, creating the group at its first accepted offset, and answers
    /// once they are durable. Each partition is checked on its own (topic and partition exist,
    /// offset not negative, metadata and partition limits); the accepted ones are written in one
    /// batch. Validating the member and generation is the caller's (``KafkaClassicGroups``).
    /// - Returns: one result per entry of `offsets`, in order (a partition listed twice: the last
    ///   entry wins).
    /// - Throws: ``KafkaOffsetStoreError``: `invalidGroupID`, `groupKindMismatch`, `tooManyGroups`
    ///   (a new group beyond ``KafkaOffsetLimits/maxGroups``), `storageFailure`.
    public func commitOffsets(group: String, offsets: [KafkaOffsetCommit]) async throws -> [KafkaOffsetCommitResult] {
        try validate(group)
        let (results, written) = try await run {
            let store = try await self.groups.openedOrOpenStore()
            let (kind, committed) = store.kafkaOffsets(of: group)
            if kind == .sluice { throw KafkaOffsetStoreError.groupKindMismatch(group: group) }
            var results: [KafkaOffsetCommitResult] = []
            var accepted: [KafkaTopicPartition: KafkaOffsetEntry] = [:]
            // Partitions accepted that the group had no offset on (counted once each).
            var added = 0
            let now = store.configuration.clock()
            for commit in offsets {
                let isNew = committed[commit.partition] == nil && accepted[commit.partition] == nil
                let result = self.check(commit, isNew: isNew, partitionsAfter: committed.count + added + 1)
                results.append(result)
                guard result == .committed else { continue }
                if isNew { added += 1 }
                accepted[commit.partition] = KafkaOffsetEntry(
                    commit.partition,
                    KafkaCommittedOffset(
                        offset: commit.offset,
                        leaderEpoch: commit.leaderEpoch,
                        metadata: commit.metadata,
                        commitTimestamp: now
                    )
                )
            }
            guard !accepted.isEmpty else { return (results, nil as (GroupStateStore, Int64)?) }
            if kind == nil, store.kafkaGroupCount() >= self.limits.maxGroups {
                throw KafkaOffsetStoreError.tooManyGroups(limit: self.limits.maxGroups)
            }
            var records: [GroupStateRecord] = []
            if kind == nil {
                records.append(.groupCreated(group: group, GroupDefinition(kind: .kafkaClassic, topics: [])))
            }
            records.append(.kafkaOffsetsCommitted(group: group, accepted.values.sorted { $0.partition < $1.partition }))
            return (results, (store, try store.append(records)))
        }
        if let (store, offset) = written { try await durable(offset, in: store) }
        return results
    }

    /// The committed offsets of `group` on `partitions` (in order; -1 where there is none), or on
    /// every partition it has one on (sorted) when `partitions` is `nil`. An unknown group has
    /// none (-1 everywhere), as in Kafka. Answers once what it read is durable (a commit still
    /// waiting for its fsync is never answered before it is, so a power cut cannot take back an
    /// offset a client was shown).
    /// - Throws: ``KafkaOffsetStoreError``: `groupKindMismatch` for a Sluice group's name,
    ///   `storageFailure`.
    public func fetchOffsets(group: String, partitions: [KafkaTopicPartition]?) async throws -> [KafkaFetchedOffset] {
        guard let store = groups.store else { return (partitions ?? []).map { KafkaFetchedOffset($0, offset: -1) } }
        let (kind, committed, lastAppended) = store.kafkaOffsetsAndLastAppended(of: group)
        if kind == .sluice { throw KafkaOffsetStoreError.groupKindMismatch(group: group) }
        if let lastAppended { try await durable(lastAppended, in: store) }
        func fetched(_ partition: KafkaTopicPartition) -> KafkaFetchedOffset {
            guard let offset = committed[partition] else { return KafkaFetchedOffset(partition, offset: -1) }
            return KafkaFetchedOffset(
                partition,
                offset: offset.offset,
                leaderEpoch: offset.leaderEpoch,
                metadata: offset.metadata
            )
        }
        return (partitions ?? committed.keys.sorted()).map(fetched)
    }

    /// Checks that `group` may be used as a Kafka classic group: a valid group name that is not
    /// a Sluice group's. For the requests that write no offsets (JoinGroup, SyncGroup, Heartbeat,
    /// LeaveGroup), before they reach the coordinator.
    /// - Throws: ``KafkaOffsetStoreError``: `invalidGroupID`, `groupKindMismatch`.
    public func checkGroupName(_ group: String) throws {
        try validate(group)
        if groups.store?.kafkaOffsets(of: group).kind == .sluice {
            throw KafkaOffsetStoreError.groupKindMismatch(group: group)
        }
    }

    /// The names of every Kafka classic group in the state log, sorted.
    public func kafkaGroups() -> [String] {
        guard let view = groups.store?.currentView else { return [] }
        return view.groups.filter { $0.value.kind == .kafkaClassic }.keys.sorted()
    }

    /// Deletes `group` with its committed offsets, durably (DeleteGroups; checking that the
    /// group has no members is the caller's). The name is then free for either kind.
    /// - Throws: ``KafkaOffsetStoreError``: `unknownGroup`, `groupKindMismatch`.
    public func deleteGroup(_ group: String) async throws {
        try validate(group)
        let written = try await run {
            guard let store = self.groups.store, let kind = store.kafkaOffsets(of: group).kind else {
                throw KafkaOffsetStoreError.unknownGroup(group: group)
            }
            if kind == .sluice { throw KafkaOffsetStoreError.groupKindMismatch(group: group) }
            return (store, try store.append([.groupDeleted(group: group)]))
        }
        try await durable(written.1, in: written.0)
    }

    /// Deletes `group`'s committed offsets on `partitions` (OffsetDelete), durably; partitions
    /// without one are ignored. The group stays.
    /// - Throws: ``KafkaOffsetStoreError``: `unknownGroup`, `groupKindMismatch`.
    public func deleteOffsets(group: String, partitions: [KafkaTopicPartition]) async throws {
        try validate(group)
        let written = try await run { () throws -> (GroupStateStore, Int64)? in
            guard let store = self.groups.store else { throw KafkaOffsetStoreError.unknownGroup(group: group) }
            let (kind, committed) = store.kafkaOffsets(of: group)
            guard let kind else { throw KafkaOffsetStoreError.unknownGroup(group: group) }
            if kind == .sluice { throw KafkaOffsetStoreError.groupKindMismatch(group: group) }
            let present = Set(partitions.filter { committed[$0] != nil }).sorted()
            guard !present.isEmpty else { return nil }
            return (store, try store.append([.kafkaOffsetsDeleted(group: group, present)]))
        }
        if let (store, offset) = written { try await durable(offset, in: store) }
    }

    // MARK: Helpers

    /// The result for one partition; `partitionsAfter`: how many partitions the group would have
    /// offsets on if this one (`isNew`: not among them yet) were accepted.
    private func check(_ commit: KafkaOffsetCommit, isNew: Bool, partitionsAfter: Int) -> KafkaOffsetCommitResult {
        guard let topic = groups.registry.topic(named: commit.partition.topic),
            commit.partition.partition >= 0, commit.partition.partition < topic.partitionCount
        else { return .unknownTopicOrPartition }
        guard commit.offset >= 0, commit.offset < Int64.max else { return .invalidOffset }
        guard commit.leaderEpoch >= -1 else { return .invalidOffset }
        if let metadata = commit.metadata, metadata.utf8.count > limits.maxMetadataBytes { return .metadataTooLarge }
        if isNew, partitionsAfter > limits.maxCommittedPartitionsPerGroup { return .tooManyPartitions }
        return .committed
    }

    private func validate(_ group: String) throws {
        do {
            try GroupManager.validateGroupName(group, topics: [])
        } catch {
            throw KafkaOffsetStoreError.invalidGroupID(group: group, reason: BrokerError(error).message)
        }
    }

    /// Runs `body` in the creation queue, turning the store's errors into ``KafkaOffsetStoreError``.
    private func run<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        do {
            return try await groups.creation.run(body)
        } catch let error as KafkaOffsetStoreError {
            throw error
        } catch {
            throw KafkaOffsetStoreError.storageFailure(BrokerError(error).message)
        }
    }

    private func durable(_ offset: Int64, in store: GroupStateStore) async throws {
        do {
            try await store.waitUntilDurable(offset)
        } catch {
            throw KafkaOffsetStoreError.storageFailure(BrokerError(error).message)
        }
    }
}

extension GroupStateStore {
    /// ``kafkaOffsets(of:)`` and the offset of the last record appended so far (`nil` if none),
    /// read together.
    func kafkaOffsetsAndLastAppended(
        of group: String
    ) -> (kind: GroupKind?, offsets: [KafkaTopicPartition: KafkaCommittedOffset], lastAppended: Int64?) {
        lock.withLock {
            let end = log.logEndOffset
            return (view.groups[group]?.kind, view.kafkaOffsets[group] ?? [:], end > 0 ? end - 1 : nil)
        }
    }

    /// How many Kafka groups the view holds (a scan: called when a commit would create one).
    func kafkaGroupCount() -> Int {
        lock.withLock { view.groups.values.lazy.filter { $0.kind == .kafkaClassic }.count }
    }

    /// The kind of `group` (`nil` if it does not exist) and its Kafka committed offsets.
    func kafkaOffsets(of group: String) -> (kind: GroupKind?, offsets: [KafkaTopicPartition: KafkaCommittedOffset]) {
        lock.withLock { (view.groups[group]?.kind, view.kafkaOffsets[group] ?? [:]) }
    }
}

extension BrokerServer {
    /// The Kafka classic groups' offset store over this broker's group state, once the broker
    /// has started (`nil` before).
    /// - Throws: ``BrokerError`` (`invalidRequest`) for a limit outside its range.
    public func kafkaOffsetStore(limits: KafkaOffsetLimits = KafkaOffsetLimits()) throws -> KafkaOffsetStore? {
        guard let groups else { return nil }
        return try KafkaOffsetStore(groups: groups, limits: limits)
    }
}
