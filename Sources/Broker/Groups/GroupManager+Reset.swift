import BrokerProtocol
import NIOCore

extension GroupManager {
    /// Sets a group's committed offset on every partition of `topic` (forgetting what it knew
    /// above the old one), while no member is connected.
    /// - Throws: `unknownGroup`, `unknownTopic` (not one of the group's), `groupHasMembers`.
    func resetGroup(_ request: ResetGroupRequest) async throws -> ResetGroupResponse {
        try await creation.run {
            let (store, definition) = try self.existingGroup(request.group)
            try Self.refuseOtherKind(request.group, definition, expected: .sluice)
            guard definition.topics.contains(request.topic), let topic = self.registry.topic(named: request.topic)
            else {
                throw BrokerError(.unknownTopic, "group '\(request.group)' does not consume topic '\(request.topic)'")
            }
            let runtime = self.runtime(named: request.group)
            try await self.refuseIfMembers(runtime, request.group, doing: "reset")
            var answers: [ResetGroupResponse.PartitionOffset] = []
            var lastOffset: Int64?
            for index in 0..<topic.partitionCount {
                guard let partition = topic.partition(index) else { continue }
                let bounds = try await partition.logBounds()
                let target: Int64
                switch request.to {
                case .earliest: target = bounds.start
                case .latest: target = bounds.end
                case .offset: target = min(max(request.value, bounds.start), bounds.end)
                case .timestamp:
                    let found = try await partition.offset(for: request.value).get()
                    target = found.offset >= 0 ? found.offset : bounds.end
                }
                let key = GroupRuntime.SlotKey(topic: request.topic, partition: index)
                if let runtime {
                    // The runtime's dispatcher forgets too, and writes the reset itself.
                    try await runtime.loop.submit { runtime.reset(key, to: target) }.get()
                } else {
                    let id = GroupPartitionID(group: request.group, topic: request.topic, partition: index)
                    lastOffset = try store.append(events: [.reset(committedOffset: target)], for: id)
                }
                answers.append(.init(partition: index, offset: target))
            }
            if let lastOffset { try await store.waitUntilDurable(lastOffset) }
            return ResetGroupResponse(partitions: answers)
        }
    }

    /// Deletes a group's state, while no member is connected. Its dead-letter topics stay (they
    /// are ordinary topics; delete them with `deleteTopic`).
    /// - Throws: `unknownGroup`, `groupHasMembers`.
    func deleteGroup(_ name: String) async throws {
        try await creation.run {
            let (store, _) = try self.existingGroup(name)
            try await self.refuseIfMembers(self.runtime(named: name), name, doing: "deleted")
            let offset = try store.append([.groupDeleted(group: name)])
            if let runtime = self.forget(name) {
                try? await runtime.loop.submit {
                    runtime.close()
                    runtime.metrics.destroy()
                }.get()
            }
            try await store.waitUntilDurable(offset)
        }
    }

    func existingGroup(_ name: String) throws -> (GroupStateStore, GroupDefinition) {
        guard let store, let definition = store.definition(of: name) else {
            throw BrokerError(.unknownGroup, "no group '\(name)'")
        }
        return (store, definition)
    }

    private func refuseIfMembers(_ runtime: GroupRuntime?, _ name: String, doing action: String) async throws {
        guard let runtime else { return }
        let members = try await runtime.loop.submit { runtime.members.count }.get()
        guard members == 0 else {
            throw BrokerError(
                .groupHasMembers,
                "group '\(name)' has \(members) connected member\(members == 1 ? "" : "s"); it can be \(action) "
                    + "only when none is connected"
            )
        }
    }
}
