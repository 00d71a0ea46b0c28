import BrokerProtocol
import NIOCore

extension RequestRouter {
    /// Serves a group member's request: subscribe, credit, ack, nack, reject, extend, leave.
    func serveGroupMember(
        _ apiKey: APIKey,
        _ body: ByteBuffer,
        from connection: PushOutlet,
        on eventLoop: any EventLoop
    ) throws -> EventLoopFuture<(any WireMessage)?> {
        guard let groups = groupManager.withLockedValue({ $0 }) else {
            throw BrokerError(.shuttingDown, "consumer groups are not available")
        }
        switch apiKey {
        case .subscribe:
            let request = try SubscribeRequest.decode(body)
            try checkEntries(request.topics.count, "topics", in: apiKey)
            return Self.erased(eventLoop.makeFutureWithTask { try await groups.subscribe(request, from: connection) })
        case .credit:
            let request = try CreditRequest.decode(body)
            return Self.erased(
                groups.withSubscription(request.subscriptionID, of: connection, on: eventLoop) { runtime, member in
                    try runtime.credit(member, Int(request.credits))
                    return runtime.loop.makeSucceededFuture(CreditResponse())
                }
            )
        case .ack:
            return try settle(AckRequest.self, AckResponse.self, body, from: connection, on: eventLoop, in: groups) {
                dispatch,
                entry,
                member,
                _ in
                let outcomes = dispatch.ack(entry.ranges, by: member)
                return outcomes.allSatisfy { $0 == .accepted } ? .accepted : .notDelivered
            }
        case .nack:
            return try settle(
                NackRequest.self,
                NackResponse.self,
                body,
                from: connection,
                on: eventLoop,
                in: groups,
                invalid: { entry in
                    // -1 (decoded as nil) or 0 ... 24 h, as the backoff (PROTOCOL.md §5.16).
                    guard let delay = entry.delayMilliseconds, !GroupSettings.backoffRange.contains(delay) else {
                        return nil
                    }
                    return "delayMs \(delay) is outside -1 (the group's backoff) and "
                        + "\(GroupSettings.backoffRange.lowerBound) ... \(GroupSettings.backoffRange.upperBound)"
                }
            ) {
                dispatch,
                entry,
                member,
                now in
                dispatch.nack(
                    offset: entry.offset,
                    by: member,
                    delay: entry.delayMilliseconds,
                    reason: entry.reason,
                    now: now
                )
            }
        case .reject:
            // Answered once the dead letters are written (PROTOCOL.md §5.17).
            return try settle(
                RejectRequest.self,
                RejectResponse.self,
                body,
                from: connection,
                on: eventLoop,
                in: groups,
                deadLetter: { $0.offset }
            ) {
                dispatch,
                entry,
                member,
                _ in
                dispatch.reject(offset: entry.offset, by: member, reason: entry.reason)
            }
        case .extend:
            return try settle(
                ExtendRequest.self,
                ExtendResponse.self,
                body,
                from: connection,
                on: eventLoop,
                in: groups
            ) {
                dispatch,
                entry,
                member,
                now in
                dispatch.extend(offset: entry.offset, by: member, now: now)
            }
        case .listGroups:
            _ = try ListGroupsRequest.decode(body)
            return Self.erased(eventLoop.makeFutureWithTask { try await groups.listGroups() })
        case .describeGroup:
            let request = try DescribeGroupRequest.decode(body)
            return Self.erased(eventLoop.makeFutureWithTask { try await groups.describeGroup(request.group) })
        case .resetGroup:
            let request = try ResetGroupRequest.decode(body)
            return Self.erased(eventLoop.makeFutureWithTask { try await groups.resetGroup(request) })
        case .deleteGroup:
            let request = try DeleteGroupRequest.decode(body)
            return Self.erased(
                eventLoop.makeFutureWithTask {
                    try await groups.deleteGroup(request.group)
                    return DeleteGroupResponse()
                }
            )
        case .redriveDeadLetters:
            let request = try RedriveDeadLettersRequest.decode(body)
            return Self.erased(eventLoop.makeFutureWithTask { try await groups.redriveDeadLetters(request) })
        case .leave:
            let request = try LeaveRequest.decode(body)
            guard groups.end(request.subscriptionID, of: connection) else {
                throw BrokerError(
                    .unknownSubscription,
                    "no subscription \(request.subscriptionID) on this connection"
                )
            }
            return Self.erased(eventLoop.makeSucceededFuture(LeaveResponse()))
        default:
            throw BrokerError(.unsupportedAPI, "API key \(apiKey.rawValue) is not a group member's")
        }
    }

    /// Decodes a request of ack, nack, reject or extend, checks its entry count, applies `body` to
    /// each entry's partition dispatcher on the subscription's group loop, and answers once what it
    /// recorded is durable.
    private func settle<Request: GroupSettleRequest, Response: GroupSettleResponse>(
        _: Request.Type,
        _: Response.Type,
        _ body: ByteBuffer,
        from connection: PushOutlet,
        on eventLoop: any EventLoop,
        in groups: GroupManager,
        deadLetter: (@Sendable (Request.Entry) -> Int64)? = nil,
        invalid: @escaping @Sendable (Request.Entry) -> String? = { _ in nil },
        _ apply:
            @escaping @Sendable (inout PartitionDispatch<UInt64>, Request.Entry, UInt64, Int64) ->
            PartitionDispatch<
                UInt64
            >.Outcome
    ) throws -> EventLoopFuture<(any WireMessage)?> {
        let request = try Request.decode(body)
        try checkEntries(request.countedEntries, Request.countedName, in: Request.apiKey)
        let entries = request.entries
        return groups.withSubscription(request.subscriptionID, of: connection, on: eventLoop) { runtime, member in
            let now = GroupRuntime.monotonicNow()
            return runtime.settle(
                entries,
                slot: { .init(topic: $0.topic, partition: $0.partition) },
                deadLetter: deadLetter,
                invalid: invalid
            ) {
                dispatch,
                entry in
                apply(&dispatch, entry, member, now)
            }
        }.map { Response(entries: $0) as (any WireMessage)? }
    }
}

/// A request of ack, nack, reject or extend: a subscription and entries, each about a partition.
protocol GroupSettleRequest: SubscriptionEntriesRequest where Entry: GroupEntryAddress {
    /// What counts against `maxEntriesPerRequest` (ack ranges count one each).
    var countedEntries: Int { get }
    /// What those are called in the limit's message.
    static var countedName: String { get }
}

extension GroupSettleRequest {
    static var countedName: String { "entries" }
}

/// The answer to a ``GroupSettleRequest``: one result per entry.
protocol GroupSettleResponse: WireMessage {
    init(entries: [GroupEntryResult])
}

extension AckRequest: GroupSettleRequest {
    static var countedName: String { "ranges" }
}
extension NackRequest: GroupSettleRequest {}
extension RejectRequest: GroupSettleRequest {}
extension ExtendRequest: GroupSettleRequest {}
extension AckResponse: GroupSettleResponse {}
extension NackResponse: GroupSettleResponse {}
extension RejectResponse: GroupSettleResponse {}
extension ExtendResponse: GroupSettleResponse {}

/// An entry of ack, nack, reject or extend: the partition it is about.
protocol GroupEntryAddress: Sendable {
    var topic: String { get }
    var partition: Int32 { get }
}

extension AckRequest.Entry: GroupEntryAddress {}
extension NackRequest.Entry: GroupEntryAddress {}
extension RejectRequest.Entry: GroupEntryAddress {}
extension ExtendRequest.Entry: GroupEntryAddress {}
