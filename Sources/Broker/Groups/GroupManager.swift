import BrokerProtocol
import LogStore
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Every consumer group of the broker: creates groups (serialised, in the group state log),
/// admits members, and routes each member's requests to its group's ``GroupRuntime`` on the
/// group's home event loop.
///
/// A subscription is identified by its connection and its id (``SubscribeResponse/subscriptionID``);
/// it ends when the member leaves or its connection closes.
final class GroupManager: Sendable {
    private struct SubscriptionKey: Hashable {
        var connection: UInt64
        var subscription: UInt32
    }

    private struct Subscription {
        var runtime: GroupRuntime
        var member: UInt64
    }

    private struct State {
        var runtimes: [String: GroupRuntime] = [:]
        var subscriptions: [SubscriptionKey: Subscription] = [:]
        var nextSubscriptionID: UInt32 = 0
        /// Subscribes of each connection being served, counted against
        /// ``BrokerLimits/maxSubscriptionsPerConnection`` with its subscriptions.
        var joining: [UInt64: Int] = [:]
        var isClosed = false
    }

    let registry: TopicRegistry
    let deadLetters: DeadLetterWriter
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    /// ``BrokerLimits/maxGroups``, ``BrokerLimits/maxMembersPerGroup`` and
    /// ``BrokerLimits/maxSubscriptionsPerConnection``.
    let limits: BrokerLimits
    private let state = NIOLockedValueBox(State())
    /// Serialises group creation (two first subscribes of one group create it once).
    let creation = GroupCreationQueue()
    /// The group state log, once open: at start-up if it exists, else at the first subscribe (a
    /// broker whose clients never use groups writes no group state).
    private let openedStore: NIOLockedValueBox<GroupStateStore?>
    private let openStore: @Sendable () async throws -> GroupStateStore

    init(
        store: GroupStateStore?,
        openStore: @escaping @Sendable () async throws -> GroupStateStore,
        registry: TopicRegistry,
        deadLetters: DeadLetterWriter,
        eventLoopGroup: any EventLoopGroup,
        logger: Logger,
        limits: BrokerLimits = BrokerLimits()
    ) {
        self.limits = limits
        self.openedStore = NIOLockedValueBox(store)
        self.openStore = openStore
        self.registry = registry
        self.deadLetters = deadLetters
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    /// The group state log, if it has been opened.
    var store: GroupStateStore? { openedStore.withLockedValue { $0 } }

    /// The group state log, opened if it is not yet (called inside the creation queue only).
    func openedOrOpenStore() async throws -> GroupStateStore {
        if let store = self.store { return store }
        let store = try await openStore()
        openedStore.withLockedValue { $0 = store }
        return store
    }

    // MARK: Subscribing

    /// Admits `connection` as a member of the request's group, creating the group if it is new.
    func subscribe(_ request: SubscribeRequest, from connection: PushOutlet) async throws -> SubscribeResponse {
        try Self.validateGroupName(request.group, topics: request.topics)
        for topic in request.topics where registry.topic(named: topic) == nil {
            throw BrokerError(.unknownTopic, "unknown topic '\(topic)'")
        }
        let connectionID = connection.connectionID
        let held = state.withLockedValue { state -> Int in
            let held =
                state.subscriptions.keys.reduce(0) { $0 + ($1.connection == connectionID ? 1 : 0) }
                + state.joining[connectionID, default: 0]
            if held < limits.maxSubscriptionsPerConnection { state.joining[connectionID, default: 0] += 1 }
            return held
        }
        guard held < limits.maxSubscriptionsPerConnection else {
            throw BrokerError(
                .limitExceeded,
                "this connection holds \(held) subscriptions, the most a connection may hold "
                    + "(maxSubscriptionsPerConnection); leave one first"
            )
        }
        defer {
            state.withLockedValue { state in
                state.joining[connectionID]! -= 1
                if state.joining[connectionID] == 0 { state.joining[connectionID] = nil }
            }
        }
        let subscriptionID = state.withLockedValue { state -> UInt32 in
            state.nextSubscriptionID &+= 1
            if state.nextSubscriptionID == 0 { state.nextSubscriptionID = 1 }
            return state.nextSubscriptionID
        }
        let credits = min(Int(request.initialCredits), limits.maxCreditsPerMember)
        // The member joins inside the queue, so that a reset or delete (also queued) sees it.
        let (runtime, created, member) = try await creation.run {
            let (runtime, created) = try await self.runtime(for: request)
            let maxMembers = self.limits.maxMembersPerGroup
            let member = try await runtime.loop.submit {
                guard runtime.members.count < maxMembers else {
                    throw BrokerError(
                        .limitExceeded,
                        "group '\(request.group)' has \(maxMembers) members, the most a group may have "
                            + "(maxMembersPerGroup)"
                    )
                }
                return runtime.addMember(outlet: connection, subscriptionID: subscriptionID, credits: credits)
            }.get()
            return (runtime, created, member)
        }
        let settings = ResolvedGroupSettings(runtime.definition.settings)
        let key = SubscriptionKey(connection: connection.connectionID, subscription: subscriptionID)
        state.withLockedValue { $0.subscriptions[key] = Subscription(runtime: runtime, member: member) }
        connection.onClose { [weak self] in self?.end(key, failed: true) }
        logger.debug(
            "member joined",
            metadata: ["group": "\(request.group)", "subscription": "\(subscriptionID)", "created": "\(created)"]
        )
        return SubscribeResponse(subscriptionID: subscriptionID, settings: settings, created: created)
    }

    /// The group's runtime, creating the group (in the state log) or loading it.
    private func runtime(for request: SubscribeRequest) async throws -> (GroupRuntime, Bool) {
        if let runtime = state.withLockedValue({ $0.runtimes[request.group] }) {
            try check(request, against: runtime.definition)
            // Partitions added to its topics since the group started running join it now.
            let known = try await runtime.loop.submit { Set(runtime.slots.keys) }.get()
            let added = try slots(of: request.group, runtime.definition, in: runtime.store, except: known)
            if !added.isEmpty { try await runtime.loop.submit { runtime.addSlots(added) }.get() }
            return (runtime, false)
        }
        let store = try await openedOrOpenStore()
        var created = false
        let definition: GroupDefinition
        if let existing = store.definition(of: request.group) {
            try Self.refuseOtherKind(request.group, existing, expected: .sluice)
            try check(request, against: existing)
            definition = existing
        } else {
            let groups = store.currentView.groups
            let sluiceGroups = groups.values.reduce(0) { $0 + ($1.kind == .sluice ? 1 : 0) }
            guard sluiceGroups < limits.maxGroups else {
                throw BrokerError(
                    .limitExceeded,
                    "the broker holds \(sluiceGroups) groups, the most it may hold (maxGroups); "
                        + "delete unused groups first"
                )
            }
            try Self.refuseSharedDeadLetterTopics(request.group, request.topics, existing: groups)
            definition = GroupDefinition(
                settings: try GroupSettings(request.settings.resolved(over: ResolvedGroupSettings(GroupSettings()))),
                topics: request.topics
            )
            try await create(request.group, definition, startAt: request.startAt, in: store)
            created = true
        }
        let loop = eventLoopGroup.next()
        let slots = try slots(of: request.group, definition, in: store, except: [])
        let runtime = GroupRuntime(
            name: request.group,
            definition: definition,
            slots: slots,
            loop: loop,
            store: store,
            deadLetters: deadLetters,
            logger: logger,
            maxUnwrittenEvents: limits.maxUnwrittenGroupEventsPerPartition,
            maxCredits: limits.maxCreditsPerMember
        )
        state.withLockedValue { $0.runtimes[request.group] = runtime }
        return (runtime, created)
    }

    /// The partitions of the group's topics other than `known`, with their state (a partition the
    /// state log has never seen, one added since the group was created, starts at its beginning),
    /// and the dead-letter partitions a redrive made sources of the group.
    private func slots(
        of group: String,
        _ definition: GroupDefinition,
        in store: GroupStateStore,
        except known: Set<GroupRuntime.SlotKey>
    ) throws -> [(GroupRuntime.SlotKey, Partition, PersistedPartitionState)] {
        var slots: [(GroupRuntime.SlotKey, Partition, PersistedPartitionState)] = []
        for topicName in definition.topics {
            guard let topic = registry.topic(named: topicName) else {
                throw BrokerError(.unknownTopic, "unknown topic '\(topicName)' (group '\(group)' consumes it)")
            }
            for index in 0..<topic.partitionCount {
                let key = GroupRuntime.SlotKey(topic: topicName, partition: index)
                guard !known.contains(key), let partition = topic.partition(index) else { continue }
                let id = GroupPartitionID(group: group, topic: topicName, partition: index)
                var restored = store.state(of: id)
                if restored == nil {
                    try store.append(events: [.reset(committedOffset: 0)], for: id)
                    restored = store.state(of: id)
                }
                slots.append((key, partition, restored!))
            }
            // The group's dead-letter partitions of this topic that a redrive made a source.
            let deadLetterName = DeadLetterWriter.topicName(group: group, topic: topicName)
            guard !definition.topics.contains(deadLetterName),
                let deadLetters = registry.topic(named: deadLetterName)
            else { continue }
            for index in 0..<deadLetters.partitionCount {
                let key = GroupRuntime.SlotKey(topic: deadLetterName, partition: index)
                let id = GroupPartitionID(group: group, topic: deadLetterName, partition: index)
                guard !known.contains(key), let partition = deadLetters.partition(index),
                    let state = store.state(of: id), state.readLimit != nil
                else { continue }
                slots.append((key, partition, state))
            }
        }
        return slots
    }

    /// Writes a new group and where it starts on each partition.
    private func create(
        _ group: String,
        _ definition: GroupDefinition,
        startAt: GroupStartPosition,
        in store: GroupStateStore
    ) async throws {
        var records: [GroupStateRecord] = [.groupCreated(group: group, definition)]
        for topicName in definition.topics {
            guard let topic = registry.topic(named: topicName) else {
                throw BrokerError(.unknownTopic, "unknown topic '\(topicName)'")
            }
            for index in 0..<topic.partitionCount {
                guard let partition = topic.partition(index) else { continue }
                let bounds = try await partition.logBounds()
                let start = startAt == .earliest ? bounds.start : bounds.end
                records.append(
                    .partitionEvent(
                        GroupPartitionID(group: group, topic: topicName, partition: index),
                        .reset(committedOffset: start)
                    )
                )
            }
        }
        let offset = try store.append(records)
        try await store.waitUntilDurable(offset)
    }

    /// Refuses to use `group` as a group of `expected` kind when its definition is of the other.
    /// - Throws: `groupKindMismatch` naming both kinds.
    static func refuseOtherKind(_ group: String, _ definition: GroupDefinition, expected: GroupKind) throws {
        if let problem = GroupStateStore.View.kindProblem(group, is: definition.kind, expected: expected) {
            throw BrokerError(.groupKindMismatch, problem)
        }
    }

    private func check(_ request: SubscribeRequest, against definition: GroupDefinition) throws {
        if let conflict = request.conflict(
            with: ResolvedGroupSettings(definition.settings),
            topics: Set(definition.topics)
        ) {
            throw BrokerError(.groupSettingsConflict, "group '\(request.group)': \(conflict)")
        }
    }

    /// Group names follow the topic name rules, and the group's dead-letter topics must be valid
    /// topic names too.
    static func validateGroupName(_ group: String, topics: [String]) throws {
        do {
            try TopicName.validate(group)
        } catch let error as BrokerError {
            throw BrokerError(
                .invalidGroupName,
                error.message.replacingOccurrences(of: "topic name", with: "group name")
            )
        }
        for topic in topics {
            let deadLetterTopic = DeadLetterWriter.topicName(group: group, topic: topic)
            guard deadLetterTopic.utf8.count <= TopicName.maximumLength else {
                throw BrokerError(
                    .invalidGroupName,
                    "the dead-letter topic '\(deadLetterTopic)' would be longer than \(TopicName.maximumLength) characters"
                )
            }
        }
    }

    /// Refuses a new group whose dead-letter topic for one of its topics would be another group's:
    /// names may hold dots, so group `a.b` on topic `c` and group `a` on topic `b.c` would both
    /// write to `dlq.a.b.c`, mixing their dead letters (and a redrive would deliver the other
    /// group's).
    /// - Throws: `invalidGroupName` naming the dead-letter topic and the group that has it.
    static func refuseSharedDeadLetterTopics(
        _ group: String,
        _ topics: [String],
        existing groups: [String: GroupDefinition]
    ) throws {
        var taken: [String: (group: String, topic: String)] = [:]
        for (name, definition) in groups where name != group {
            for topic in definition.topics {
                taken[DeadLetterWriter.topicName(group: name, topic: topic)] = (name, topic)
            }
        }
        for topic in Set(topics) {
            let deadLetters = DeadLetterWriter.topicName(group: group, topic: topic)
            if let owner = taken[deadLetters] {
                throw BrokerError(
                    .invalidGroupName,
                    "group '\(group)' on topic '\(topic)' would share the dead-letter topic '\(deadLetters)' with "
                        + "group '\(owner.group)' on topic '\(owner.topic)'"
                )
            }
            taken[deadLetters] = (group, topic)
        }
    }

    /// The running group named `name`, if a member has joined it since the broker started.
    func runtime(named name: String) -> GroupRuntime? {
        state.withLockedValue { $0.runtimes[name] }
    }

    /// Every running group.
    func runtimes() -> [GroupRuntime] {
        state.withLockedValue { Array($0.runtimes.values) }
    }

    // MARK: Members' requests

    /// Runs `body` on the subscription's group loop.
    func withSubscription<Result: Sendable>(
        _ subscriptionID: UInt32,
        of connection: PushOutlet,
        on eventLoop: any EventLoop,
        _ body: @escaping @Sendable (GroupRuntime, UInt64) throws -> EventLoopFuture<Result>
    ) -> EventLoopFuture<Result> {
        let key = SubscriptionKey(connection: connection.connectionID, subscription: subscriptionID)
        guard let subscription = state.withLockedValue({ $0.subscriptions[key] }) else {
            return eventLoop.makeFailedFuture(
                BrokerError(.unknownSubscription, "no subscription \(subscriptionID) on this connection")
            )
        }
        return subscription.runtime.loop.flatSubmit {
            do {
                return try body(subscription.runtime, subscription.member)
            } catch {
                return subscription.runtime.loop.makeFailedFuture(error)
            }
        }.hop(to: eventLoop)
    }

    /// Ends a subscription: its member leaves (`failed`: its connection dropped).
    func end(_ subscriptionID: UInt32, of connection: PushOutlet) -> Bool {
        end(SubscriptionKey(connection: connection.connectionID, subscription: subscriptionID), failed: false)
    }

    /// Forgets a deleted group's runtime.
    func forget(_ name: String) -> GroupRuntime? {
        state.withLockedValue { $0.runtimes.removeValue(forKey: name) }
    }

    @discardableResult
    private func end(_ key: SubscriptionKey, failed: Bool) -> Bool {
        guard let subscription = state.withLockedValue({ $0.subscriptions.removeValue(forKey: key) }) else {
            return false
        }
        subscription.runtime.loop.execute { subscription.runtime.removeMember(subscription.member, failed: failed) }
        return true
    }

    /// Stops every group (the broker is shutting down).
    func close() async {
        state.withLockedValue { $0.isClosed = true }
        let runtimes = runtimes()
        for runtime in runtimes { try? await runtime.loop.submit { runtime.close() }.get() }
    }
}

/// Runs group creations one at a time.
actor GroupCreationQueue {
    private var last: Task<Void, Never>?

    /// Runs `body` after every earlier one has finished (an actor alone would interleave them at
    /// their suspension points).
    func run<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let previous = last
        let task = Task { () async throws -> T in
            await previous?.value
            return try await body()
        }
        last = Task { _ = try? await task.value }
        return try await task.value
    }
}

extension ResolvedGroupSettings {
    /// The wire form of `settings`.
    init(_ settings: GroupSettings) {
        self.init(
            ordering: GroupOrdering(settings.ordering),
            ackTimeoutMilliseconds: settings.ackTimeoutMilliseconds,
            maxDeliveries: Int32(clamping: settings.maxDeliveries),
            maxUnfinishedPerPartition: Int32(clamping: settings.maxUnfinishedPerPartition),
            backoffInitialMilliseconds: settings.backoffInitialMilliseconds,
            backoffMultiplierPercent: Int32(clamping: settings.backoffMultiplierPercent),
            backoffMaxMilliseconds: settings.backoffMaxMilliseconds
        )
    }
}

extension GroupOrdering {
    init(_ mode: OrderingMode) {
        switch mode {
        case .key: self = .key
        case .partition: self = .partition
        case .none: self = .unordered
        }
    }
}

extension GroupSettings {
    /// Settings from their wire form, each checked against its range.
    /// - Throws: `invalidRequest` naming a setting outside its range.
    init(_ wire: ResolvedGroupSettings) throws {
        self.init()
        switch wire.ordering {
        case .key: ordering = .key
        case .partition: ordering = .partition
        case .unordered: ordering = .none
        }
        func check<T: Comparable>(_ name: String, _ value: T, _ range: ClosedRange<T>) throws -> T {
            guard range.contains(value) else {
                throw BrokerError(
                    .invalidRequest,
                    "\(name) \(value) is outside \(range.lowerBound)-\(range.upperBound)"
                )
            }
            return value
        }
        ackTimeoutMilliseconds = try check("ackTimeoutMs", wire.ackTimeoutMilliseconds, Self.ackTimeoutRange)
        maxDeliveries = try check("maxDeliveries", Int(wire.maxDeliveries), Self.maxDeliveriesRange)
        maxUnfinishedPerPartition = try check(
            "maxUnfinishedPerPartition",
            Int(wire.maxUnfinishedPerPartition),
            Self.maxUnfinishedRange
        )
        backoffInitialMilliseconds = try check("backoffInitialMs", wire.backoffInitialMilliseconds, Self.backoffRange)
        backoffMultiplierPercent = try check(
            "backoffMultiplierPercent",
            Int(wire.backoffMultiplierPercent),
            Self.backoffMultiplierRange
        )
        backoffMaxMilliseconds = try check("backoffMaxMs", wire.backoffMaxMilliseconds, Self.backoffRange)
    }
}
