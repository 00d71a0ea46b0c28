import NIOCore

extension GroupManager {
    /// Forgets every group's position on the partitions of `topic`, which was just deleted: running
    /// groups stop reading it, and each group-partition's state is reset to a new partition's
    /// (committed offset 0, no redrive), so that a topic created again under the same name is read
    /// from its start (a dead-letter topic: redriven from its start). Deliveries in flight from the
    /// topic are dropped; their acknowledgements are answered `unknownPartition`. Kafka groups' committed
    /// offsets on the topic are deleted.
    func topicDeleted(_ topic: String) async {
        do {
            try await creation.run {
                for runtime in self.runtimes() {
                    try await runtime.loop.submit { runtime.removeSlots(of: topic) }.get()
                }
                guard let store = self.store else { return }
                let stale = store.currentView.partitions.filter {
                    $0.key.topic == topic && $0.value != PersistedPartitionState(committedOffset: 0)
                }
                var last: Int64?
                for id in stale.keys.sorted(by: { ($0.group, $0.partition) < ($1.group, $1.partition) }) {
                    last = try store.append(events: [.reset(committedOffset: 0)], for: id)
                }
                if let kafka = try self.deleteKafkaOffsets(onTopic: topic, in: store) { last = kafka }
                if let last { try await store.waitUntilDurable(last) }
            }
        } catch {
            logger.error(
                "the groups' positions on a deleted topic were not forgotten",
                metadata: ["topic": "\(topic)", "error": "\(error)"]
            )
        }
    }
}
