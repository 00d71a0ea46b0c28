import BrokerProtocol
import NIOCore

extension GroupManager {
    /// Delivers a group's dead letters of `topic` again, to that group only: the group reads
    /// `dlq.<group>.<topic>` from where its last redrive ended (or the partition's start) up to the
    /// partition's end now, at most `limit` dead letters in all, partition by partition
    /// (docs/GROUPS.md, "Redrive"). Members need not be connected: the redrive is recorded and
    /// runs when they are.
    /// - Returns: How many dead letters will be delivered again.
    /// - Throws: `unknownGroup`; `invalidRequest` for a topic the group does not consume, or a
    ///   negative limit other than "all".
    func redriveDeadLetters(_ request: RedriveDeadLettersRequest) async throws -> RedriveDeadLettersResponse {
        if let limit = request.limit, limit < 0 {
            throw BrokerError(.invalidRequest, "limit \(limit) is negative (-1 means all)")
        }
        return try await creation.run {
            let (store, definition) = try self.existingGroup(request.group)
            try Self.refuseOtherKind(request.group, definition, expected: .sluice)
            guard definition.topics.contains(request.topic) else {
                throw BrokerError(
                    .invalidRequest,
                    "group '\(request.group)' does not consume topic '\(request.topic)'"
                )
            }
            let name = DeadLetterWriter.topicName(group: request.group, topic: request.topic)
            guard !definition.topics.contains(name) else {
                throw BrokerError(
                    .invalidRequest,
                    "group '\(request.group)' consumes its dead-letter topic '\(name)' as one of its topics"
                )
            }
            guard let deadLetters = self.registry.topic(named: name) else {
                return RedriveDeadLettersResponse(redriven: 0)
            }
            let runtime = self.runtime(named: request.group)
            var remaining = request.limit ?? .max
            var total: Int64 = 0
            var lastOffset: Int64?
            for index in 0..<deadLetters.partitionCount where remaining > 0 {
                guard let partition = deadLetters.partition(index) else { continue }
                let id = GroupPartitionID(group: request.group, topic: name, partition: index)
                let bounds = try await partition.logBounds()
                let stored = store.state(of: id)
                // Where the last redrive ended; dead letters written since are after it.
                let start = max(stored?.readLimit ?? bounds.start, bounds.start)
                let count = min(max(0, bounds.end - start), remaining)
                guard count > 0 else { continue }
                // A new source starts where this redrive starts.
                let redriven: GroupStateEvent = .redriven(upTo: start + count)
                let events = stored?.readLimit == nil ? [.reset(committedOffset: start), redriven] : [redriven]
                let offset: Int64
                if let runtime {
                    let key = GroupRuntime.SlotKey(topic: name, partition: index)
                    offset = try await runtime.loop.submit {
                        try runtime.redrive(key, partition: partition, events: events)
                    }.get()
                } else {
                    offset = try store.append(events: events, for: id)
                }
                lastOffset = offset
                total += count
                remaining -= count
            }
            if let lastOffset { try await store.waitUntilDurable(lastOffset) }
            self.logger.info(
                "dead letters redriven",
                metadata: ["group": "\(request.group)", "topic": "\(name)", "count": "\(total)"]
            )
            return RedriveDeadLettersResponse(redriven: total)
        }
    }
}
