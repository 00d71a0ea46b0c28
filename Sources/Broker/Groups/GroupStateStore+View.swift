extension GroupStateStore {
    /// The state of every group as the log's records so far make it: each group's definition and
    /// each group-partition's ``PersistedPartitionState``. Bounded by the groups' windows.
    public struct View: Sendable, Hashable {
        /// Every group that exists, by name.
        public var groups: [String: GroupDefinition] = [:]
        /// The state of every group-partition that has had an event.
        public var partitions: [GroupPartitionID: PersistedPartitionState] = [:]
        /// The committed offsets of every Kafka classic group that has any, by group.
        public var kafkaOffsets: [String: [KafkaTopicPartition: KafkaCommittedOffset]] = [:]

        /// The most committed offsets one checkpoint snapshot record holds (a record with 256
        /// partitions of 249-byte topic names and 32 KiB metadata is under 9 MB, well inside the
        /// log's batch limit).
        static let kafkaEntriesPerSnapshot = 256

        /// An empty view: no groups.
        public init() {}

        /// Why `records` cannot be applied in order, or `nil` if they can: a partition event or a
        /// snapshot for a group that does not exist (at that point), or a deletion of one; a
        /// record of one kind of group (Sluice partition records, Kafka offset records, a
        /// definition) for a group of the other kind (``kindProblem(_:is:)``).
        public func problem(applying records: some Sequence<GroupStateRecord>) -> String? {
            // Only the groups the records create or delete, on top of `groups`.
            var changed: [String: GroupKind?] = [:]
            func kind(_ group: String) -> GroupKind? { changed[group] ?? groups[group]?.kind }
            func check(_ group: String, is expected: GroupKind) -> String? {
                guard let actual = kind(group) else { return "group '\(group)' does not exist" }
                return Self.kindProblem(group, is: actual, expected: expected)
            }
            for record in records {
                switch record {
                case .groupCreated(let group, let definition):
                    if let actual = kind(group),
                        let problem = Self.kindProblem(group, is: actual, expected: definition.kind)
                    {
                        return problem
                    }
                    changed[group] = .some(definition.kind)
                case .groupDeleted(let group):
                    guard kind(group) != nil else { return "group '\(group)' does not exist" }
                    changed[group] = .some(nil)
                case .partitionEvent(let partition, _), .partitionSnapshot(let partition, _):
                    if let problem = check(partition.group, is: .sluice) { return problem }
                case .kafkaOffsetsCommitted(let group, _), .kafkaOffsetsDeleted(let group, _),
                    .kafkaOffsetsSnapshot(let group, _):
                    if let problem = check(group, is: .kafkaClassic) { return problem }
                case .checkpointMarker:
                    break
                }
            }
            return nil
        }

        /// The message refusing a use of `group` as `expected` when it is `actual`, or `nil`.
        static func kindProblem(_ group: String, is actual: GroupKind, expected: GroupKind) -> String? {
            guard actual != expected else { return nil }
            return "group '\(group)' is a \(actual) group, not a \(expected) group"
        }

        /// Applies one record, which ``problem(applying:)`` accepted: a definition replaces the
        /// group's (its partitions stay), a deletion removes the group and its partitions, an event
        /// goes through ``PersistedPartitionState/apply(_:)`` (a partition starts at committed
        /// offset 0 until its first `reset`), a snapshot replaces the partition's state.
        public mutating func apply(_ record: GroupStateRecord) {
            switch record {
            case .groupCreated(let group, let definition):
                groups[group] = definition
            case .groupDeleted(let group):
                groups[group] = nil
                partitions = partitions.filter { $0.key.group != group }
                kafkaOffsets[group] = nil
            case .partitionEvent(let partition, let event):
                partitions[partition, default: PersistedPartitionState(committedOffset: 0)].apply(event)
            case .partitionSnapshot(let partition, let state):
                partitions[partition] = state
            case .kafkaOffsetsCommitted(let group, let entries), .kafkaOffsetsSnapshot(let group, let entries):
                var offsets = kafkaOffsets[group] ?? [:]
                for entry in entries { offsets[entry.partition] = entry.committed }
                kafkaOffsets[group] = offsets
            case .kafkaOffsetsDeleted(let group, let deleted):
                guard var offsets = kafkaOffsets[group] else { break }
                for partition in deleted { offsets[partition] = nil }
                kafkaOffsets[group] = offsets.isEmpty ? nil : offsets
            case .checkpointMarker:
                break
            }
        }

        /// The records a checkpoint writes for this view: per group (by name), its definition,
        /// then a snapshot of each of its partitions (by topic and partition), or for a Kafka group
        /// its committed offsets in snapshots of at most ``kafkaEntriesPerSnapshot`` partitions.
        func checkpointRecords() -> [GroupStateRecord] {
            var byGroup: [String: [GroupPartitionID]] = [:]
            for partition in partitions.keys { byGroup[partition.group, default: []].append(partition) }
            var records: [GroupStateRecord] = []
            records.reserveCapacity(groups.count + partitions.count)
            for group in groups.keys.sorted() {
                records.append(.groupCreated(group: group, groups[group]!))
                let sorted = (byGroup[group] ?? []).sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }
                for partition in sorted { records.append(.partitionSnapshot(partition, partitions[partition]!)) }
                if let offsets = kafkaOffsets[group] {
                    let entries = offsets.sorted { $0.key < $1.key }.map { KafkaOffsetEntry($0.key, $0.value) }
                    for start in stride(from: 0, to: entries.count, by: Self.kafkaEntriesPerSnapshot) {
                        let chunk = entries[start..<min(start + Self.kafkaEntriesPerSnapshot, entries.count)]
                        records.append(.kafkaOffsetsSnapshot(group: group, Array(chunk)))
                    }
                }
            }
            return records
        }
    }
}
