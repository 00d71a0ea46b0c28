extension GroupStateStore {
    /// The state of every group as the log's records so far make it: each group's definition and
    /// each group-partition's ``PersistedPartitionState``. Bounded by the groups' windows.
    public struct View: Sendable, Hashable {
        /// Every group that exists, by name.
        public var groups: [String: GroupDefinition] = [:]
        /// The state of every group-partition that has had an event.
        public var partitions: [GroupPartitionID: PersistedPartitionState] = [:]

        /// An empty view: no groups.
        public init() {}

        /// Why `records` cannot be applied in order, or `nil` if they can: a partition event or a
        /// snapshot for a group that does not exist (at that point), or a deletion of one.
        public func problem(applying records: some Sequence<GroupStateRecord>) -> String? {
            // Only the groups the records create or delete, on top of `groups`.
            var changed: [String: Bool] = [:]
            func exists(_ group: String) -> Bool { changed[group] ?? (groups[group] != nil) }
            for record in records {
                switch record {
                case .groupCreated(let group, _):
                    changed[group] = true
                case .groupDeleted(let group):
                    guard exists(group) else { return "group '\(group)' does not exist" }
                    changed[group] = false
                case .partitionEvent(let partition, _), .partitionSnapshot(let partition, _):
                    guard exists(partition.group) else { return "group '\(partition.group)' does not exist" }
                case .checkpointMarker:
                    break
                }
            }
            return nil
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
            case .partitionEvent(let partition, let event):
                partitions[partition, default: PersistedPartitionState(committedOffset: 0)].apply(event)
            case .partitionSnapshot(let partition, let state):
                partitions[partition] = state
            case .checkpointMarker:
                break
            }
        }

        /// The records a checkpoint writes for this view: per group (by name), its definition,
        /// then a snapshot of each of its partitions (by topic and partition).
        func checkpointRecords() -> [GroupStateRecord] {
            var byGroup: [String: [GroupPartitionID]] = [:]
            for partition in partitions.keys { byGroup[partition.group, default: []].append(partition) }
            var records: [GroupStateRecord] = []
            records.reserveCapacity(groups.count + partitions.count)
            for group in groups.keys.sorted() {
                records.append(.groupCreated(group: group, groups[group]!))
                let sorted = (byGroup[group] ?? []).sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }
                for partition in sorted { records.append(.partitionSnapshot(partition, partitions[partition]!)) }
            }
            return records
        }
    }
}
