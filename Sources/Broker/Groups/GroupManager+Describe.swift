import BrokerProtocol
import NIOCore

extension GroupManager {
    /// Every group the state log knows, with its topics and how many members are connected now.
    func listGroups() async throws -> ListGroupsResponse {
        guard let store else { return ListGroupsResponse(groups: []) }
        var summaries: [ListGroupsResponse.GroupSummary] = []
        let view = store.currentView
        for (name, definition) in view.groups.sorted(by: { $0.key < $1.key }) {
            var members = 0
            if let runtime = runtime(named: name) {
                members = try await runtime.loop.submit { runtime.members.count }.get()
            }
            summaries.append(
                .init(
                    group: name,
                    kind: .init(definition.kind),
                    topics: Self.listedTopics(of: name, definition, in: view),
                    members: Int32(members)
                )
            )
        }
        return ListGroupsResponse(groups: summaries)
    }

    /// A group's settings, its connected members, and per partition its committed offset, the log
    /// end, the lag, what is in flight and unfinished, and how many dead letters the partition's
    /// dead-letter partition holds.
    /// - Throws: `unknownGroup`.
    func describeGroup(_ name: String) async throws -> DescribeGroupResponse {
        guard let store, let definition = store.definition(of: name) else {
            throw BrokerError(.unknownGroup, "no group '\(name)'")
        }
        if definition.kind == .kafkaClassic { return try await describeKafkaGroup(name, definition, in: store) }
        struct Live: Sendable {
            var members: [DescribeGroupResponse.Member] = []
            var partitions: [GroupRuntime.SlotKey: (committed: Int64, inFlight: Int, unfinished: Int)] = [:]
        }
        var live = Live()
        if let runtime = runtime(named: name) {
            live = try await runtime.loop.submit {
                var live = Live()
                for member in runtime.members.values.sorted(by: { $0.id < $1.id }) {
                    let inFlight = runtime.slots.values.reduce(0) { $0 + $1.dispatch.inFlightCount(of: member.id) }
                    let address = member.outlet.peer
                    live.members.append(
                        .init(
                            memberID: "\(address)#\(member.subscriptionID)",
                            clientAddress: address,
                            credits: UInt32(clamping: member.credits),
                            inFlight: Int32(clamping: inFlight)
                        )
                    )
                }
                for (key, slot) in runtime.slots {
                    live.partitions[key] = (
                        slot.dispatch.committedOffset, slot.dispatch.inFlightCount, slot.dispatch.unfinishedCount
                    )
                }
                return live
            }.get()
        }
        var partitions: [DescribeGroupResponse.PartitionState] = []
        for topicName in definition.topics {
            guard let topic = registry.topic(named: topicName) else { continue }
            let deadLetterTopic = registry.topic(named: DeadLetterWriter.topicName(group: name, topic: topicName))
            for index in 0..<topic.partitionCount {
                guard let partition = topic.partition(index) else { continue }
                let key = GroupRuntime.SlotKey(topic: topicName, partition: index)
                let bounds = try await partition.logBounds()
                let stored = store.state(of: GroupPartitionID(group: name, topic: topicName, partition: index))
                var deadLettered: Int64 = 0
                if let deadLetters = deadLetterTopic?.partition(index) {
                    let held = try await deadLetters.logBounds()
                    deadLettered = held.end - held.start
                }
                partitions.append(
                    Self.row(
                        key,
                        stored: stored?.committedOffset ?? bounds.start,
                        end: bounds.end,
                        lagUpTo: bounds.end,
                        deadLettered: deadLettered,
                        live: live.partitions
                    )
                )
            }
            if let deadLetterTopic, !definition.topics.contains(deadLetterTopic.name) {
                partitions += try await redriveRows(of: name, deadLetterTopic, store: store, live: live.partitions)
            }
        }
        return DescribeGroupResponse(
            kind: .init(definition.kind),
            settings: ResolvedGroupSettings(definition.settings),
            members: live.members,
            partitions: partitions.sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }
        )
    }
}

extension GroupManager {
    /// The rows of the dead-letter partitions of `topic` that a redrive made sources of `group`:
    /// their lag is what is left to deliver of the redriven dead letters (below the read limit).
    private func redriveRows(
        of group: String,
        _ topic: Topic,
        store: GroupStateStore,
        live: [GroupRuntime.SlotKey: (committed: Int64, inFlight: Int, unfinished: Int)]
    ) async throws -> [DescribeGroupResponse.PartitionState] {
        var rows: [DescribeGroupResponse.PartitionState] = []
        for index in 0..<topic.partitionCount {
            let id = GroupPartitionID(group: group, topic: topic.name, partition: index)
            guard let partition = topic.partition(index), let stored = store.state(of: id),
                let limit = stored.readLimit
            else { continue }
            let key = GroupRuntime.SlotKey(topic: topic.name, partition: index)
            let bounds = try await partition.logBounds()
            rows.append(
                Self.row(
                    key,
                    stored: stored.committedOffset,
                    end: bounds.end,
                    lagUpTo: limit,
                    deadLettered: 0,
                    live: live
                )
            )
        }
        return rows
    }

    /// A partition's row: the running group's figures if it runs, else its stored committed
    /// offset; the lag is counted up to `lagUpTo`.
    private static func row(
        _ key: GroupRuntime.SlotKey,
        stored: Int64,
        end: Int64,
        lagUpTo: Int64,
        deadLettered: Int64,
        live: [GroupRuntime.SlotKey: (committed: Int64, inFlight: Int, unfinished: Int)]
    ) -> DescribeGroupResponse.PartitionState {
        let committed = live[key]?.committed ?? stored
        return .init(
            topic: key.topic,
            partition: key.partition,
            committedOffset: committed,
            logEndOffset: end,
            lag: max(0, lagUpTo - committed),
            inFlight: Int32(clamping: live[key]?.inFlight ?? 0),
            unfinished: Int32(clamping: live[key]?.unfinished ?? 0),
            deadLettered: deadLettered
        )
    }
}

extension BrokerProtocol.GroupKind {
    init(_ kind: Broker.GroupKind) {
        switch kind {
        case .sluice: self = .sluice
        case .kafkaClassic: self = .kafka
        }
    }
}
