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
                groups.withSubscription(request.subscriptionID, of: connection, on: eventLoop) { runtime, member in
                    runtime.settle(request.entries, slot: { .init(topic: $0.topic, partition: $0.partition) }) {
                        dispatch,
                        entry in
                        let outcomes = dispatch.ack(entry.ranges, by: member)
                        return outcomes.allSatisfy { $0 == .accepted } ? .accepted : .notDelivered
                    }.map(AckResponse.init(entries:))
                }
            )
        case .nack:
            let request = try NackRequest.decode(body)
            try checkEntries(request.countedEntries, "entries", in: apiKey)
            return wrap(
                groups.withSubscription(request.subscriptionID, of: connection, on: eventLoop) { runtime, member in
                    let now = GroupRuntime.monotonicNow()
                    return runtime.settle(request.entries, slot: { .init(topic: $0.topic, partition: $0.partition) }) {
                        dispatch,
                        entry in
                        dispatch.nack(
                            offset: entry.offset,
                            by: member,
                            delay: entry.delayMilliseconds,
                            reason: entry.reason,
                            now: now
                        )
                    }.map(NackResponse.init(entries:))
                }
            )
        case .reject:
            let request = try RejectRequest.decode(body)
            try checkEntries(request.countedEntries, "entries", in: apiKey)
            return wrap(
                groups.withSubscription(request.subscriptionID, of: connection, on: eventLoop) { runtime, member in
                    runtime.settle(request.entries, slot: { .init(topic: $0.topic, partition: $0.partition) }) {
                        dispatch,
                        entry in
                        dispatch.reject(offset: entry.offset, by: member, reason: entry.reason)
                    }.map(RejectResponse.init(entries:))
                }
            )
        case .extend:
            let request = try ExtendRequest.decode(body)
            try checkEntries(request.countedEntries, "entries", in: apiKey)
            return wrap(
                groups.withSubscription(request.subscriptionID, of: connection, on: eventLoop) { runtime, member in
                    let now = GroupRuntime.monotonicNow()
                    return runtime.settle(request.entries, slot: { .init(topic: $0.topic, partition: $0.partition) }) {
                        dispatch,
                        entry in
                        dispatch.extend(offset: entry.offset, by: member, now: now)
                    }.map(ExtendResponse.init(entries:))
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
}
