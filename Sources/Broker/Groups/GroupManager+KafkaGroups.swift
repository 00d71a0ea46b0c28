import BrokerProtocol

extension GroupManager {
    /// A Kafka classic group's description: no members (the Kafka listener holds them), the
    /// default settings, and per partition it committed an offset on, that offset, the log end and
    /// the lag (`logEnd - committed`, 0 if negative). A partition whose topic no longer exists
    /// (never for long: a deleted topic's offsets are deleted) shows its committed offset as end.
    func describeKafkaGroup(
        _ name: String,
        _ definition: GroupDefinition,
        in store: GroupStateStore
    ) async throws
        -> DescribeGroupResponse
    {
        let committed = store.kafkaOffsets(of: name).offsets
        var partitions: [DescribeGroupResponse.PartitionState] = []
        for (key, offset) in committed.sorted(by: { $0.key < $1.key }) {
            var end = offset.offset
            if let partition = registry.topic(named: key.topic)?.partition(key.partition) {
                end = try await partition.logBounds().end
            }
            partitions.append(
                .init(
                    topic: key.topic,
                    partition: key.partition,
                    committedOffset: offset.offset,
                    logEndOffset: end,
                    lag: max(0, end - offset.offset),
                    inFlight: 0,
                    unfinished: 0,
                    deadLettered: 0
                )
            )
        }
        return DescribeGroupResponse(
            kind: .init(definition.kind),
            settings: ResolvedGroupSettings(definition.settings),
            members: [],
            partitions: partitions
        )
    }

    /// The topics a group shows in `listGroups`: a Sluice group's own, a Kafka group's those it
    /// committed offsets on (sorted).
    static func listedTopics(of name: String, _ definition: GroupDefinition, in view: GroupStateStore.View) -> [String]
    {
        switch definition.kind {
        case .sluice: definition.topics
        case .kafkaClassic: Set((view.kafkaOffsets[name] ?? [:]).keys.map(\.topic)).sorted()
        }
    }

    /// Deletes every Kafka group's committed offsets on `topic` (just deleted), so that a topic
    /// created again under the name is not read from stale offsets. Call inside the creation queue.
    /// - Returns: the offset of the last record written, if any.
    func deleteKafkaOffsets(onTopic topic: String, in store: GroupStateStore) throws -> Int64? {
        var last: Int64?
        for (group, offsets) in store.currentView.kafkaOffsets.sorted(by: { $0.key < $1.key }) {
            let stale = offsets.keys.filter { $0.topic == topic }.sorted()
            guard !stale.isEmpty else { continue }
            last = try store.append([.kafkaOffsetsDeleted(group: group, stale)])
        }
        return last
    }
}
