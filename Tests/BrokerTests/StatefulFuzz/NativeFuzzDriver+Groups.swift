import BrokerProtocol
import Foundation
import NIOCore

/// Consumer groups, dead letters and schedules.
extension NativeFuzzDriver {
    /// A subscription the fuzzer opened (mostly), else an id nobody has.
    func pickSubscription() -> (connection: Int, id: UInt32) {
        if !subscriptions.isEmpty, values.chance(0.85) { return values.pick(subscriptions) }
        return (values.int(in: 0...connections.count - 1), values.uint32(ordinary: 0...10))
    }

    /// An offset delivered to `subscription` (mostly), else a hurtful one.
    func pickDelivered(
        _ subscription: (connection: Int, id: UInt32)
    ) -> (topic: String, partition: Int32, offset: Int64) {
        let delivered = connections[subscription.connection].delivered.filter { $0.subscriptionID == subscription.id }
        if let pick = delivered.isEmpty ? nil : values.pick(delivered), values.chance(0.7) {
            return (pick.topic, pick.partition, pick.offset)
        }
        let topic = pickTopic()
        return (topic, pickPartition(of: topic), values.int64(ordinary: 0...50))
    }

    func reason() -> String? {
        values.chance(0.5) ? nil : String(repeating: "r", count: values.pick([0, 1, 1000]))
    }

    func subscribe() async throws {
        if subscriptions.count >= 6 { return try await leave() }
        let connection = values.int(in: 0...connections.count - 1)
        let group =
            values.chance(0.93)
            ? values.pick(Self.groups)
            : values.chance(0.5) ? values.pick(Self.kafkaGroups) : values.name(lengths: [1, 249, 250, 65_534])
        // Mostly the group's own topics and no settings (so that most subscribes join), else
        // anything: a conflict, an unknown topic, settings out of range.
        let ordinary = values.chance(0.6)
        let topicCount = values.int(in: 1...2)
        let settings =
            ordinary
            ? RequestedGroupSettings(ackTimeoutMilliseconds: values.chance(0.5) ? nil : 100)
            : RequestedGroupSettings(
                ordering: values.chance(0.5) ? nil : values.pick(GroupOrdering.allCases),
                ackTimeoutMilliseconds: values.optionalInt64(ordinary: 10...60_000),
                maxDeliveries: values.optionalInt32(ordinary: 1...5),
                maxUnfinishedPerPartition: values.optionalInt32(ordinary: 1...100),
                backoffInitialMilliseconds: values.optionalInt64(ordinary: 0...1000),
                backoffMultiplierPercent: values.optionalInt32(ordinary: 100...300),
                backoffMaxMilliseconds: values.optionalInt64(ordinary: 0...10_000)
            )
        let request = SubscribeRequest(
            group: group,
            topics: ordinary
                ? [Self.topicNames[Self.groups.firstIndex(of: group) ?? 0]] : (0..<topicCount).map { _ in pickTopic() },
            startAt: values.pick(GroupStartPosition.allCases),
            settings: settings,
            initialCredits: values.uint32(ordinary: 0...100)
        )
        note("subscribe \(group) \(request.topics) \(request.startAt) credits \(request.initialCredits) \(settings)")
        let (response, _) = try await call(request, as: SubscribeResponse.self, on: connection)
        guard let response else { return }
        subscriptions.append((connection, response.subscriptionID))
        subscriptionGroups[connection, default: [:]][response.subscriptionID] = group
    }

    func credit() async throws {
        let subscription = pickSubscription()
        let credits = values.uint32(ordinary: 0...100)
        note("credit \(subscription.id) \(credits)")
        _ = try await call(
            CreditRequest(subscriptionID: subscription.id, credits: credits),
            as: CreditResponse.self,
            on: subscription.connection
        )
    }

    func ackRange(_ subscription: (connection: Int, id: UInt32)) -> ClosedRange<Int64> {
        if values.chance(0.6) {
            let offset = pickDelivered(subscription).offset
            return offset...offset
        }
        let a = values.int64(ordinary: 0...100)
        let b = values.int64(ordinary: 0...100)
        return min(a, b)...max(a, b)
    }

    func acknowledge() async throws {
        let subscription = pickSubscription()
        let entries = (0..<values.int(in: 1...3)).map { _ in
            let target = pickDelivered(subscription)
            var ranges = (0..<values.int(in: 0...3)).map { _ in ackRange(subscription) }
            if values.chance(0.2), let first = ranges.first { ranges += [first, first] }
            return AckRequest.Entry(topic: target.topic, partition: target.partition, ranges: ranges)
        }
        note("ack \(subscription.id) \(entries.map { "\($0.topic)/\($0.partition) \($0.ranges)" })")
        let (response, _) = try await call(
            AckRequest(subscriptionID: subscription.id, entries: entries),
            as: AckResponse.self,
            on: subscription.connection
        )
        try checkGroupEntries(response?.entries, sent: entries.count, api: .ack)
        // An accepted ack entry finished every offset of its ranges (PROTOCOL.md §5.15). The
        // deliveries that arrived before its answer are checked against what was finished before.
        try checkDeliveries()
        if let group = subscriptionGroups[subscription.connection]?[subscription.id] {
            for (entry, result) in zip(entries, response?.entries ?? []) where result.errorCode == .none {
                let place = AcknowledgedLog.Place(topic: entry.topic, partition: entry.partition)
                finished[group, default: [:]][place, default: []].append(contentsOf: entry.ranges)
            }
        }
    }

    func checkGroupEntries(_ entries: [GroupEntryResult]?, sent: Int, api: APIKey) throws {
        guard let entries else { return }
        guard entries.count == sent else {
            throw Finding(description: "\(api): \(entries.count) results for \(sent) entries")
        }
        try checkEntries(entries.map(\.errorCode), entries.map(\.errorMessage), api: api)
    }

    func nack() async throws {
        let subscription = pickSubscription()
        let entries = (0..<values.int(in: 1...3)).map { _ in
            let target = pickDelivered(subscription)
            return NackRequest.Entry(
                topic: target.topic,
                partition: target.partition,
                offset: target.offset,
                delayMilliseconds: values.optionalInt64(ordinary: 0...1000),
                reason: reason()
            )
        }
        note(
            "nack \(subscription.id) \(entries.map { "\($0.topic)/\($0.partition)@\($0.offset) delay \(String(describing: $0.delayMilliseconds))" })"
        )
        let (response, _) = try await call(
            NackRequest(subscriptionID: subscription.id, entries: entries),
            as: NackResponse.self,
            on: subscription.connection
        )
        try checkGroupEntries(response?.entries, sent: entries.count, api: .nack)
        for (entry, result) in zip(entries, response?.entries ?? []) {
            // -1 on the wire is "not given".
            let inRange = entry.delayMilliseconds.map { $0 == -1 || (0...86_400_000).contains($0) } ?? true
            if !inRange, result.errorCode != .invalidRequest {
                throw Finding(
                    description:
                        "nack delayMs \(entry.delayMilliseconds ?? -1) answered \(result.errorCode), not invalidRequest"
                )
            }
        }
    }

    func reject() async throws {
        let subscription = pickSubscription()
        let entries = (0..<values.int(in: 1...3)).map { _ in
            let target = pickDelivered(subscription)
            return RejectRequest.Entry(
                topic: target.topic,
                partition: target.partition,
                offset: target.offset,
                reason: reason()
            )
        }
        note("reject \(subscription.id) \(entries.map { "\($0.topic)/\($0.partition)@\($0.offset)" })")
        let (response, _) = try await call(
            RejectRequest(subscriptionID: subscription.id, entries: entries),
            as: RejectResponse.self,
            on: subscription.connection
        )
        try checkGroupEntries(response?.entries, sent: entries.count, api: .reject)
    }

    func extend() async throws {
        let subscription = pickSubscription()
        let entries = (0..<values.int(in: 1...3)).map { _ in
            let target = pickDelivered(subscription)
            return ExtendRequest.Entry(topic: target.topic, partition: target.partition, offset: target.offset)
        }
        note("extend \(subscription.id) \(entries.map { "\($0.topic)/\($0.partition)@\($0.offset)" })")
        let (response, _) = try await call(
            ExtendRequest(subscriptionID: subscription.id, entries: entries),
            as: ExtendResponse.self,
            on: subscription.connection
        )
        try checkGroupEntries(response?.entries, sent: entries.count, api: .extend)
    }

    func leave() async throws {
        let subscription = pickSubscription()
        note("leave \(subscription.id)")
        _ = try await call(
            LeaveRequest(subscriptionID: subscription.id),
            as: LeaveResponse.self,
            on: subscription.connection
        )
        subscriptions.removeAll { $0.connection == subscription.connection && $0.id == subscription.id }
        try checkDeliveries()
        subscriptionGroups[subscription.connection]?[subscription.id] = nil
    }

    func groupAdministration() async throws {
        // The Kafka listener's groups too: their kind is checked, their lag computed.
        let group =
            values.chance(0.9) ? values.pick(Self.groups + Self.kafkaGroups) : values.name(lengths: [1, 249, 65_534])
        switch values.int(in: 0...4) {
        case 0:
            note("listGroups")
            _ = try await call(ListGroupsRequest(), as: ListGroupsResponse.self)
        case 1:
            note("describeGroup \(group)")
            _ = try await call(DescribeGroupRequest(group: group), as: DescribeGroupResponse.self)
        case 2:
            let target = values.pick(GroupResetTarget.allCases)
            let value = values.int64(ordinary: 0...100)
            let topic = pickTopic()
            note("resetGroup \(group) \(topic) \(target) \(value)")
            let (reset, _) = try await call(
                ResetGroupRequest(group: group, topic: topic, to: target, value: value),
                as: ResetGroupResponse.self
            )
            if reset != nil { finished[group] = finished[group]?.filter { $0.key.topic != topic } }
        case 3:
            note("deleteGroup \(group)")
            let (deleted, _) = try await call(DeleteGroupRequest(group: group), as: DeleteGroupResponse.self)
            if deleted != nil {
                finished[group] = nil
                kafkaCommitted = kafkaCommitted.filter { $0.key.group != group }
            }
        default:
            let limit = values.chance(0.3) ? nil : values.int64(ordinary: 1...10)
            let topic = pickTopic()
            note("redriveDeadLetters \(group) \(topic) limit \(String(describing: limit))")
            _ = try await call(
                RedriveDeadLettersRequest(group: group, topic: topic, limit: limit),
                as: RedriveDeadLettersResponse.self
            )
        }
    }

    /// An ack whose range is inverted: a documented `malformedRequest` and close (PROTOCOL.md §5.11).
    func invertedAckRange() async throws {
        let connection = values.int(in: 0...connections.count - 1)
        let first = values.int64(ordinary: 1...100)
        let last = first == .min ? first : first - 1
        guard first > last else { return }
        var body = ByteBuffer()
        body.writeInteger(UInt32(values.int(in: 0...3)))
        body.writeInteger(UInt32(1))
        body.writeWireString(pickTopic())
        body.writeInteger(Int32(0))
        body.writeInteger(UInt32(1))
        body.writeInteger(first)
        body.writeInteger(last)
        note("ack with the inverted range \(first)...\(last) (expects malformedRequest and a close)")
        let frame = try await exchange(on: connection) { connection, id in
            try await connection.send(apiKey: .ack, body: body, correlationID: id)
        }
        guard let frame, frame.errorCode == .malformedRequest else {
            throw Finding(
                description:
                    "an inverted ack range got \(frame.map { "\($0.errorCode)" } ?? "no answer"), not malformedRequest"
            )
        }
        let deadline = Date().addingTimeInterval(Self.answerSeconds)
        while !connections[connection].isClosed {
            guard Date() < deadline else {
                throw Finding(description: "the connection stayed open after malformedRequest")
            }
            try await Task.sleep(for: .milliseconds(1))
        }
        try await reopen(connection)
    }
}

extension NativeFuzzDriver {
    /// No delivery since the last check is of an offset its group finished.
    func checkDeliveries() throws {
        for (index, connection) in connections.enumerated() {
            let (new, total) = connection.deliveries(after: deliveriesChecked[index])
            deliveriesChecked[index] = total
            for delivery in new {
                guard let group = subscriptionGroups[index]?[delivery.subscriptionID] else { continue }
                let place = AcknowledgedLog.Place(topic: delivery.topic, partition: delivery.partition)
                if let range = finished[group]?[place]?.first(where: { $0.contains(delivery.offset) }) {
                    throw Finding(
                        description: "offset \(delivery.offset) of \(place) was delivered to group \(group) again "
                            + "after an ack of \(range) was answered"
                    )
                }
            }
        }
    }
}
