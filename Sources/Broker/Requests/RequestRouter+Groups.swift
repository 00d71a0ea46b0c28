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
        func wrap<M: WireMessage>(_ future: EventLoopFuture<M>) -> EventLoopFuture<(any WireMessage)?> {
            future.map { $0 as (any WireMessage)? }
        }
        switch apiKey {
        case .subscribe:
            let request = try SubscribeRequest.decode(body)
            try checkEntries(request.topics.count, "topics", in: apiKey)
            return wrap(eventLoop.makeFutureWithTask { try await groups.subscribe(request, from: connection) })
        case .credit:
            let request = try CreditRequest.decode(body)
            return wrap(
                groups.withSubscription(request.subscriptionID, of: connection, on: eventLoop) { runtime, member in
                    try runtime.credit(member, Int(request.credits))
                    return runtime.loop.makeSucceededFuture(CreditResponse())
                }
            )
        case .ack:
            let request = try AckRequest.decode(body)
            try checkEntries(request.countedEntries, "ranges", in: apiKey)
            return wrap(
                settle(request.subscriptionID, request.entries, of: connection, on: eventLoop, in: groups) {
                    dispatch,
                    entry,
                    member,
                    _ in
                    let outcomes = dispatch.ack(entry.ranges, by: member)
                    return outcomes.allSatisfy { $0 == .accepted } ? .accepted : .notDelivered
                }.map(AckResponse.init(entries:))
            )
        case .nack:
            let request = try NackRequest.decode(body)
            try checkEntries(request.countedEntries, "entries", in: apiKey)
            return wrap(
                settle(request.subscriptionID, request.entries, of: connection, on: eventLoop, in: groups) {
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
                }.map(NackResponse.init(entries:))
            )
        case .reject:
            let request = try RejectRequest.decode(body)
            try checkEntries(request.countedEntries, "entries", in: apiKey)
            return wrap(
                settle(request.subscriptionID, request.entries, of: connection, on: eventLoop, in: groups) {
                    dispatch,
                    entry,
                    member,
                    _ in
                    dispatch.reject(offset: entry.offset, by: member, reason: entry.reason)
                }.map(RejectResponse.init(entries:))
            )
        case .extend:
            let request = try ExtendRequest.decode(body)
            try checkEntries(request.countedEntries, "entries", in: apiKey)
            return wrap(
                settle(request.subscriptionID, request.entries, of: connection, on: eventLoop, in: groups) {
                    dispatch,
                    entry,
                    member,
                    now in
                    dispatch.extend(offset: entry.offset, by: member, now: now)
                }.map(ExtendResponse.init(entries:))
            )
        case .listGroups:
            _ = try ListGroupsRequest.decode(body)
            return wrap(eventLoop.makeFutureWithTask { try await groups.listGroups() })
        case .describeGroup:
            let request = try DescribeGroupRequest.decode(body)
            return wrap(eventLoop.makeFutureWithTask { try await groups.describeGroup(request.group) })
        case .resetGroup:
            let request = try ResetGroupRequest.decode(body)
            return wrap(eventLoop.makeFutureWithTask { try await groups.resetGroup(request) })
        case .deleteGroup:
            let request = try DeleteGroupRequest.decode(body)
            return wrap(
                eventLoop.makeFutureWithTask {
                    try await groups.deleteGroup(request.group)
                    return DeleteGroupResponse()
                }
            )
        case .leave:
            let request = try LeaveRequest.decode(body)
            guard groups.end(request.subscriptionID, of: connection) else {
                throw BrokerError(
                    .unknownSubscription,
                    "no subscription \(request.subscriptionID) on this connection"
                )
            }
            return wrap(eventLoop.makeSucceededFuture(LeaveResponse()))
        default:
            throw BrokerError(.unsupportedAPI, "API key \(apiKey.rawValue) is not a group member's")
        }
    }

    /// Applies `body` to each entry's partition dispatcher, on the subscription's group loop, and
    /// answers once what it recorded is durable.
    private func settle<Entry: GroupEntryAddress>(
        _ subscriptionID: UInt32,
        _ entries: [Entry],
        of connection: PushOutlet,
        on eventLoop: any EventLoop,
        in groups: GroupManager,
        _ body:
            @escaping @Sendable (inout PartitionDispatch<UInt64>, Entry, UInt64, Int64) ->
            PartitionDispatch<
                UInt64
            >.Outcome
    ) -> EventLoopFuture<[GroupEntryResult]> {
        groups.withSubscription(subscriptionID, of: connection, on: eventLoop) { runtime, member in
            let now = GroupRuntime.monotonicNow()
            return runtime.settle(entries, slot: { .init(topic: $0.topic, partition: $0.partition) }) {
                dispatch,
                entry in
                body(&dispatch, entry, member, now)
            }
        }
    }
}

/// An entry of ack, nack, reject or extend: the partition it is about.
protocol GroupEntryAddress: Sendable {
    var topic: String { get }
    var partition: Int32 { get }
}

extension AckRequest.Entry: GroupEntryAddress {}
extension NackRequest.Entry: GroupEntryAddress {}
extension RejectRequest.Entry: GroupEntryAddress {}
extension ExtendRequest.Entry: GroupEntryAddress {}
