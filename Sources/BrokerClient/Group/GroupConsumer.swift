import BrokerProtocol
import Logging
import NIOCore
import RecordCodec
import Synchronization

/// How a ``GroupConsumer`` joins its group.
public struct GroupConsumerConfiguration: Sendable {
    /// Where a new group starts: `.latest` (the default) or `.earliest`. An existing group goes on
    /// from its committed offsets.
    public var startAtEarliest = false
    /// How many messages this member holds unfinished at most (the credits it grants the broker).
    public var prefetch = 100
    /// The group's settings, for a group this member creates; `nil` for the broker's default or
    /// the existing group's. A value different from an existing group's is refused
    /// (`groupSettingsConflict`).
    public var ordering: GroupOrdering?
    public var ackTimeout: Duration?
    public var maxDeliveries: Int?
    public var maxUnfinishedPerPartition: Int?
    /// The backoff before a failed message is delivered again: after the n-th failure,
    /// `min(backoffInitial × backoffMultiplier^(n-1), backoffMax)` with jitter (docs/GROUPS.md);
    /// the broker's defaults are 1 s, ×2 and 5 min. The multiplier is sent in hundredths (1.5 is
    /// 150); the broker accepts 1 to 10, durations up to 24 h, and refuses others
    /// (`invalidRequest`).
    public var backoffInitial: Duration?
    public var backoffMultiplier: Double?
    public var backoffMax: Duration?
    /// The most bytes the records of one compressed (gzip) batch may decompress to; a pushed
    /// batch over it ends the message stream with `protocolViolation` instead of being inflated.
    /// Default 32 MiB, the broker's default `maxDecompressedBatchBytes`.
    public var maxDecompressedBatchBytes: Int = RecordBatch.defaultMaxDecompressedBytes

    /// The defaults: start at the end, prefetch 100, the group's settings.
    public init() {}
}

/// A member of a consumer group: the broker pushes it messages (never more unfinished than
/// ``GroupConsumerConfiguration/prefetch``), and it acknowledges each (``GroupMessage/ack()``), or
/// has it delivered again (``GroupMessage/nack(delay:reason:)``), or dead-lettered
/// (``GroupMessage/reject(reason:)``). docs/GROUPS.md has the guarantees: at least once, per-key
/// order, redelivery with backoff, dead letters.
///
/// ```swift
/// let consumer = GroupConsumer(connection: connection, group: "billing", topics: ["orders"])
/// for try await message in consumer.messages() {
///     try await handle(message.record)
///     try await message.ack()
/// }
/// ```
/// Acknowledgements are sent coalesced: acks made while one is on its way go out together, as
/// ranges. If the connection closes, the iteration ends with `connectionClosed` (the broker
/// delivers this member's unfinished messages to the others, or again later); iterate again to
/// rejoin. ``leave()`` ends it cleanly.
public actor GroupConsumer {
    public nonisolated let group: String
    public nonisolated let topics: [String]
    public nonisolated let configuration: GroupConsumerConfiguration
    let connection: BrokerConnection
    let logger: Logger

    private var subscription: (id: UInt32, session: UInt64)? {
        didSet { ackQueue.withLock { $0.isJoined = subscription != nil } }
    }
    private var continuation: AsyncThrowingStream<GroupMessage, any Error>.Continuation?
    private var finishedSinceCredit = 0
    /// Acks waiting to be sent: ``GroupMessage/ack()`` adds to it without a hop to the actor.
    private let ackQueue = Mutex(AckQueue())
    /// Set by ``leave()``: a join still under way leaves as soon as it is done.
    private var hasLeft = false

    /// Creates a member; it joins when ``messages()`` is first iterated.
    public init(
        connection: BrokerConnection,
        group: String,
        topics: [String],
        configuration: GroupConsumerConfiguration = GroupConsumerConfiguration(),
        logger: Logger = Logger(label: "sluice.group-consumer")
    ) {
        precondition(configuration.prefetch > 0, "prefetch must be positive")
        self.connection = connection
        self.group = group
        self.topics = topics
        self.configuration = configuration
        self.logger = logger
    }

    /// The messages the broker delivers to this member, until ``leave()`` or the connection closes.
    /// Joins the group (creating it if new) when called; iterate one sequence at a time.
    public nonisolated func messages() -> AsyncThrowingStream<GroupMessage, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: GroupMessage.self)
        let consumer = self
        let join = Task { await consumer.join(continuation) }
        continuation.onTermination = { _ in
            join.cancel()
            Task { await consumer.streamEnded() }
        }
        return stream
    }

    /// Leaves the group: the messages this member holds unfinished are delivered again at once
    /// (not counted as failures), and the iteration ends (also one still joining). A member that
    /// left does not join again: make a new `GroupConsumer` for that.
    public func leave() async throws {
        hasLeft = true
        guard let subscription else {
            // Not joined (yet): an iteration that is joining ends as soon as it has.
            continuation?.finish()
            continuation = nil
            return
        }
        self.subscription = nil
        connection.pushes.unsubscribe(session: subscription.session, subscription: subscription.id)
        // The iteration ends once the broker has taken the member out (or the request failed).
        defer {
            continuation?.finish()
            continuation = nil
        }
        _ = try await connection.send(LeaveRequest(subscriptionID: subscription.id), as: LeaveResponse.self)
    }

    // MARK: Joining

    private func join(_ continuation: AsyncThrowingStream<GroupMessage, any Error>.Continuation) async {
        do {
            try await connection.connect()
            // An earlier iteration that ended early (a `break`) left its subscription open, taking
            // deliveries nobody reads: leave it, so that what it holds comes again at once (a
            // clean leave, not a failure) instead of after the group's ack timeout.
            if let stale = subscription {
                subscription = nil
                finishedSinceCredit = 0
                connection.pushes.unsubscribe(session: stale.session, subscription: stale.id)
                if await connection.sessionID == stale.session {
                    _ = try? await connection.send(LeaveRequest(subscriptionID: stale.id), as: LeaveResponse.self)
                }
            }
            var settings = RequestedGroupSettings()
            settings.ordering = configuration.ordering
            settings.ackTimeoutMilliseconds = configuration.ackTimeout.map(Admin.milliseconds)
            settings.maxDeliveries = configuration.maxDeliveries.map { Int32(clamping: $0) }
            settings.maxUnfinishedPerPartition = configuration.maxUnfinishedPerPartition.map { Int32(clamping: $0) }
            settings.backoffInitialMilliseconds = configuration.backoffInitial.map(Admin.milliseconds)
            settings.backoffMultiplierPercent = configuration.backoffMultiplier.map(Self.percent)
            settings.backoffMaxMilliseconds = configuration.backoffMax.map(Admin.milliseconds)
            // Joins with no credits, so that nothing is pushed before this member is listening.
            let response = try await connection.send(
                SubscribeRequest(
                    group: group,
                    topics: topics,
                    startAt: configuration.startAtEarliest ? .earliest : .latest,
                    settings: settings,
                    initialCredits: 0
                ),
                as: SubscribeResponse.self
            )
            guard let session = await connection.sessionID else {
                throw ClientError(.connectionClosed, "the connection closed as the member joined group '\(group)'")
            }
            subscription = (response.subscriptionID, session)
            self.continuation = continuation
            let consumer = self
            connection.pushes.subscribe(
                session: session,
                subscription: response.subscriptionID,
                .init(
                    deliver: { push in Task { await consumer.received(push) } },
                    sessionClosed: { Task { await consumer.sessionClosed() } }
                )
            )
            if hasLeft {
                // leave() came while joining.
                try await leave()
                return
            }
            try await grant(configuration.prefetch)
            logger.debug("joined group", metadata: ["group": "\(group)", "subscription": "\(response.subscriptionID)"])
        } catch {
            continuation.finish(throwing: error)
        }
    }

    /// A multiplier in hundredths, rounded; one that is not finite or out of `Int32` is sent as
    /// `Int32.max`, which the broker refuses with the range (rather than trapping here).
    static func percent(_ multiplier: Double) -> Int32 {
        let hundredths = (multiplier * 100).rounded()
        guard hundredths.isFinite, hundredths >= 0, hundredths <= Double(Int32.max) else { return Int32.max }
        return Int32(hundredths)
    }

    private func received(_ push: DeliverPush) {
        guard let continuation, subscription?.id == push.subscriptionID else { return }
        // Each batch's records as decoded (not copied into one array), in offset order: the broker
        // sends them so, and they are sorted if not. Each delivery is found by binary searches.
        var batches: [[Record]] = []
        var bytes = push.records
        do {
            while let batch = try RecordBatch.next(from: &bytes) {
                var decoded = try batch.records(maxDecompressedBytes: configuration.maxDecompressedBatchBytes)
                guard !decoded.isEmpty else { continue }
                if zip(decoded, decoded.dropFirst()).contains(where: { $0.offset > $1.offset }) {
                    decoded.sort { $0.offset < $1.offset }
                }
                batches.append(decoded)
            }
        } catch {
            continuation.finish(
                throwing: ClientError(
                    .protocolViolation,
                    "the broker pushed a record batch that fails validation: \(error)"
                )
            )
            return
        }
        if zip(batches, batches.dropFirst()).contains(where: { $0[0].offset > $1[0].offset }) {
            batches.sort { $0[0].offset < $1[0].offset }
        }
        for delivery in push.deliveries {
            guard let record = Self.record(at: delivery.offset, in: batches) else { continue }
            continuation.yield(
                GroupMessage(
                    record: ConsumerRecord(
                        topic: push.topic,
                        partition: push.partition,
                        offset: record.offset,
                        timestamp: record.timestamp,
                        key: record.key,
                        value: record.value,
                        headers: record.headers
                    ),
                    deliveryCount: Int(delivery.deliveryCount),
                    consumer: self
                )
            )
        }
    }

    /// The record at `offset` in `batches` (each non-empty and sorted by offset, the batches sorted
    /// by their first offset), if any.
    static func record(at offset: Int64, in batches: [[Record]]) -> Record? {
        // The last batch starting at or before `offset`.
        var low = 0
        var high = batches.count
        while low < high {
            let middle = low + (high - low) / 2
            if batches[middle][0].offset <= offset { low = middle + 1 } else { high = middle }
        }
        return low > 0 ? record(at: offset, in: batches[low - 1]) : nil
    }

    /// The record at `offset` in `records` (sorted by offset), if any.
    static func record(at offset: Int64, in records: [Record]) -> Record? {
        var low = 0
        var high = records.count
        while low < high {
            let middle = low + (high - low) / 2
            if records[middle].offset < offset { low = middle + 1 } else { high = middle }
        }
        return low < records.count && records[low].offset == offset ? records[low] : nil
    }

    private func sessionClosed() {
        subscription = nil
        continuation?.finish(
            throwing: ClientError(
                .connectionClosed,
                "the connection to the broker closed: group '\(group)' delivers this member's unfinished messages "
                    + "again; iterate again to rejoin"
            )
        )
        continuation = nil
    }

    private func streamEnded() {
        continuation = nil
    }

    // MARK: Settling

    private func current() throws -> UInt32 {
        guard let subscription else { throw notJoined }
        return subscription.id
    }

    private nonisolated var notJoined: ClientError {
        ClientError(.closed, "this member is not in group '\(group)' (it left, or its connection closed)")
    }

    /// Grants credits as messages finish, half the prefetch at a time, in a request of its own
    /// (nothing waits for it). A message whose ack, nack or reject the broker refused
    /// (`notDelivered`: its ack timeout passed) counts too: the broker used a credit to deliver it
    /// either way, so a member that did not grant it back would get fewer and fewer messages, and
    /// none once `prefetch` settles had been refused. A failed grant does not fail the ack, nack or
    /// reject that finished the message (it was done); the member then holds fewer credits, and a
    /// connection that failed ends the iteration anyway.
    private func finished(_ count: Int) {
        finishedSinceCredit += count
        guard finishedSinceCredit >= max(1, configuration.prefetch / 2) else { return }
        let credits = finishedSinceCredit
        finishedSinceCredit = 0
        Task {
            do {
                try await self.grant(credits)
            } catch {
                self.logger.debug("credits not granted", metadata: ["group": "\(self.group)", "error": "\(error)"])
            }
        }
    }

    private func grant(_ credits: Int) async throws {
        _ = try await connection.send(
            CreditRequest(subscriptionID: try current(), credits: UInt32(clamping: credits)),
            as: CreditResponse.self
        )
    }

    /// An ack waiting to be sent, and its caller.
    struct PendingAck {
        var topic: String
        var partition: Int32
        var offset: Int64
        /// Resumed exactly once: by ``sendAcks()`` (every ack it takes from the queue), or at once
        /// when the member is not in the group. Unsafe (not checked) to save an allocation per ack.
        var done: UnsafeContinuation<Void, any Error>
    }

    /// The most offsets re-acknowledged one by one in a request (the broker's default
    /// `maxEntriesPerRequest`).
    static let maxEntriesPerAck = 4096

    /// A topic's partition, as acks are grouped into entries.
    struct PartitionKey: Hashable {
        var topic: String
        var partition: Int32
    }

    /// The acks waiting to be sent, shared by the callers of ``ack(_:)`` and ``sendAcks()``.
    struct AckQueue {
        /// Whether the member is in the group (mirrors `subscription`: an ack fails at once if not).
        var isJoined = false
        var pending: [PendingAck] = []
        /// Whether ``sendAcks()`` is running (it sends until `pending` is empty).
        var isSending = false
    }

    /// Queues the ack (without a hop to the actor: one per message would cost more than the ack)
    /// and returns once the broker has answered it. The credit for the message is granted by
    /// ``sendAcks()`` once the broker has answered.
    nonisolated func ack(_ record: ConsumerRecord) async throws {
        try await withUnsafeThrowingContinuation { (done: UnsafeContinuation<Void, any Error>) in
            let (isJoined, startSending) = ackQueue.withLock { queue -> (Bool, Bool) in
                guard queue.isJoined else { return (false, false) }
                queue.pending.append(
                    PendingAck(topic: record.topic, partition: record.partition, offset: record.offset, done: done)
                )
                defer { queue.isSending = true }
                return (true, !queue.isSending)
            }
            guard isJoined else {
                done.resume(throwing: notJoined)
                return
            }
            if startSending { Task { await self.sendAcks() } }
        }
    }

    /// Sends the acks waiting, coalesced into ranges per partition, until none waits. An entry
    /// refused with `notDelivered` names only its first such offset and still acknowledges the
    /// others, so its acks are then sent again one offset per entry (acknowledging a finished
    /// offset again is accepted): each `ack()` is answered with its own outcome.
    private func sendAcks() async {
        while true {
            let batch = ackQueue.withLock { queue -> [PendingAck] in
                var batch: [PendingAck] = []
                swap(&batch, &queue.pending)
                if batch.isEmpty { queue.isSending = false }
                return batch
            }
            guard !batch.isEmpty else { return }
            // One entry per partition: its offsets, and which acks of the batch it answers.
            var entryIndex: [PartitionKey: Int] = [:]
            var offsets: [[Int64]] = []
            var waiting: [[Int]] = []
            var keys: [PartitionKey] = []
            for (position, ack) in batch.enumerated() {
                let key = PartitionKey(topic: ack.topic, partition: ack.partition)
                if let index = entryIndex[key] {
                    offsets[index].append(ack.offset)
                    waiting[index].append(position)
                } else {
                    entryIndex[key] = keys.count
                    keys.append(key)
                    offsets.append([ack.offset])
                    waiting.append([position])
                }
            }
            let entries = keys.indices.map { index in
                AckRequest.Entry(
                    topic: keys[index].topic,
                    partition: keys[index].partition,
                    ranges: Self.ranges(offsets[index])
                )
            }
            do {
                let response = try await connection.send(
                    AckRequest(subscriptionID: try current(), entries: entries),
                    as: AckResponse.self
                )
                var refused: [PendingAck] = []
                for (index, key) in keys.enumerated() {
                    let result = response.entries.first { $0.topic == key.topic && $0.partition == key.partition }
                    if let result, result.errorCode == .notDelivered, waiting[index].count > 1 {
                        // It names only the first refused offset: each ack gets its own answer.
                        refused += waiting[index].map { batch[$0] }
                        continue
                    }
                    for position in waiting[index] {
                        if let result, result.errorCode != .none {
                            batch[position].done.resume(
                                throwing: ClientError.broker(result.errorCode, result.errorMessage)
                            )
                        } else {
                            batch[position].done.resume()
                        }
                    }
                }
                if !refused.isEmpty { await sendOneByOne(refused) }
                // Each message is no longer held, also when its ack was refused (`notDelivered`:
                // the broker took it back) — see ``settled(_:)``.
                finished(batch.count)
            } catch {
                for ack in batch { ack.done.resume(throwing: error) }
            }
        }
    }

    /// Acknowledges each of `acks` in an entry of its own and answers each with its result.
    private func sendOneByOne(_ acks: [PendingAck]) async {
        for start in stride(from: 0, to: acks.count, by: Self.maxEntriesPerAck) {
            let chunk = Array(acks[start..<min(start + Self.maxEntriesPerAck, acks.count)])
            do {
                let response = try await connection.send(
                    AckRequest(
                        subscriptionID: try current(),
                        entries: chunk.map {
                            .init(topic: $0.topic, partition: $0.partition, ranges: [$0.offset...$0.offset])
                        }
                    ),
                    as: AckResponse.self
                )
                for (index, ack) in chunk.enumerated() {
                    if index < response.entries.count, response.entries[index].errorCode != .none {
                        let result = response.entries[index]
                        ack.done.resume(throwing: ClientError.broker(result.errorCode, result.errorMessage))
                    } else {
                        ack.done.resume()
                    }
                }
            } catch {
                for ack in chunk { ack.done.resume(throwing: error) }
            }
        }
    }

    /// Sorted offsets as the fewest ranges.
    static func ranges(_ offsets: [Int64]) -> [ClosedRange<Int64>] {
        var ranges: [ClosedRange<Int64>] = []
        for offset in offsets.sorted() {
            if let last = ranges.last, offset <= last.upperBound + 1 {
                ranges[ranges.count - 1] = last.lowerBound...max(last.upperBound, offset)
            } else {
                ranges.append(offset...offset)
            }
        }
        return ranges
    }

    /// Runs a nack or reject and gives back the message's credit once the member no longer holds
    /// it: when the broker took the request, and also when it answered that the member did not
    /// hold it any more (`notDelivered`: its ack timeout passed, or its topic was deleted), since
    /// the broker does not give credits back by itself and the member would otherwise run out.
    private func settled(_ request: () async throws -> Void) async throws {
        do {
            try await request()
        } catch let error as ClientError {
            if error.code.brokerCode != nil { finished(1) }
            throw error
        }
        finished(1)
    }

    func nack(_ record: ConsumerRecord, delay: Duration?, reason: String?) async throws {
        try await settled { try await sendNack(record, delay: delay, reason: reason) }
    }

    private func sendNack(_ record: ConsumerRecord, delay: Duration?, reason: String?) async throws {
        let response = try await connection.send(
            NackRequest(
                subscriptionID: try current(),
                entries: [
                    .init(
                        topic: record.topic,
                        partition: record.partition,
                        offset: record.offset,
                        delayMilliseconds: delay.map(Admin.milliseconds),
                        reason: reason
                    )
                ]
            ),
            as: NackResponse.self
        )
        try Self.check(response.entries)
    }

    func reject(_ record: ConsumerRecord, reason: String?) async throws {
        try await settled { try await sendReject(record, reason: reason) }
    }

    private func sendReject(_ record: ConsumerRecord, reason: String?) async throws {
        let response = try await connection.send(
            RejectRequest(
                subscriptionID: try current(),
                entries: [
                    .init(topic: record.topic, partition: record.partition, offset: record.offset, reason: reason)
                ]
            ),
            as: RejectResponse.self
        )
        try Self.check(response.entries)
    }

    func extend(_ record: ConsumerRecord) async throws {
        let response = try await connection.send(
            ExtendRequest(
                subscriptionID: try current(),
                entries: [.init(topic: record.topic, partition: record.partition, offset: record.offset)]
            ),
            as: ExtendResponse.self
        )
        try Self.check(response.entries)
    }

    private static func check(_ entries: [GroupEntryResult]) throws {
        if let failed = entries.first(where: { $0.errorCode != .none }) {
            throw ClientError.broker(failed.errorCode, failed.errorMessage)
        }
    }
}

/// A message delivered to a ``GroupConsumer``: finish it with exactly one of ``ack()``,
/// ``nack(delay:reason:)`` or ``reject(reason:)``.
public struct GroupMessage: Sendable {
    /// The record: topic, partition, offset, key, value, headers, timestamp.
    public let record: ConsumerRecord
    /// How many times it has been delivered, this time included (1 the first time).
    public let deliveryCount: Int
    let consumer: GroupConsumer

    /// Done: it is not delivered again. Returns once the broker has made the acknowledgement
    /// durable.
    /// - Throws: ``ClientError`` `broker(.notDelivered)` if this member no longer holds it (its ack
    ///   timeout passed, so it went to another member).
    public func ack() async throws { try await consumer.ack(record) }

    /// Failed: deliver it again after `delay`, or after the group's backoff when `nil`. It counts
    /// towards the group's `maxDeliveries`.
    public func nack(delay: Duration? = nil, reason: String? = nil) async throws {
        try await consumer.nack(record, delay: delay, reason: reason)
    }

    /// Cannot be handled: it goes to the group's dead-letter topic at once.
    public func reject(reason: String? = nil) async throws { try await consumer.reject(record, reason: reason) }

    /// Still working on it: its ack timeout starts again.
    public func extend() async throws { try await consumer.extend(record) }
}
