import BrokerProtocol
import LogStore
import Logging
import NIOCore

/// One consumer group while the broker runs: its members and their credits, and a
/// ``PartitionDispatch`` per partition of its topics. Confined to its home event loop (`loop`):
/// every method must be called there.
///
/// A dispatch round hands each member with credits (and a writable connection) what the
/// dispatchers have ready, records the deliveries in the group state log, then reads the batches
/// holding them on the partition's loop and pushes them. Acknowledgements are answered once their
/// state is durable. Records are read ahead on the partitions' loops while a window has room.
final class GroupRuntime: @unchecked Sendable {
    struct Member {
        let id: UInt64
        let outlet: PushOutlet
        let subscriptionID: UInt32
        var credits: Int
        /// Whether a callback for its connection becoming writable is registered (one at a time).
        var awaitsWritable = false
        /// Sends whose records are still being read: nothing more is handed to the member until
        /// they are pushed, so that its connection's writability has seen them (a member that does
        /// not read gets about one round past its connection's high water mark, not its window).
        var sending = 0
    }

    struct SlotKey: Hashable, Sendable {
        var topic: String
        var partition: Int32
    }

    struct Slot {
        let partition: Partition
        var dispatch: PartitionDispatch<UInt64>
        var isReading = false
        var isWaitingForData = false
        /// Reads in a row that found nothing new (a closing partition wakes waiters at once).
        var emptyReads = 0
        /// A redriven dead-letter partition is read only below this offset (`nil`: to the end).
        var readLimit: Int64?
        /// What the last read held beyond the window's room (the records from the dispatcher's
        /// read position on, at most ``maxReadAheadEntries`` or the window, and where they end):
        /// fed before the log is read again, so that a read is decoded once however small the
        /// room each time.
        var readAhead: (entries: ArraySlice<GroupRead.Entry>, nextOffset: Int64)?
        /// Events the group state log refused (a full disk): written first by the slot's next
        /// append, which a timer tries every ``unwrittenRetryInterval`` (``persistThrowing(_:)``).
        var unwritten: [GroupStateEvent] = []

        /// Whether this is a dead-letter partition the group redrives.
        var isRedrive: Bool { readLimit != nil }
    }

    /// The most deliveries in one push.
    static let maxDeliveriesPerPush = 512
    /// How much a read ahead takes from a partition at a time.
    static let readAheadBytes = 1 << 20
    /// The most records of a read that a partition keeps for later when its window has no room for
    /// them (or the window, if larger): its memory stays bounded however small the records are.
    static let maxReadAheadEntries = 8_192

    let name: String
    let definition: GroupDefinition
    let loop: any EventLoop
    let store: GroupStateStore
    let deadLetters: DeadLetterWriter
    let logger: Logger
    /// The most refused events a slot keeps (``BrokerLimits/maxUnwrittenGroupEventsPerPartition``):
    /// past it the oldest are dropped, and what they recorded comes back after a restart. A slot
    /// that cannot write hands out nothing, so its events grow only with the acks, failures and
    /// timeouts of what was in flight: at most a few per message of its window.
    let maxUnwrittenEvents: Int
    /// The most credits a member may hold (``BrokerLimits/maxCreditsPerMember``).
    let maxCredits: Int

    var members: [UInt64: Member] = [:]
    private var memberOrder: [UInt64] = []
    var slots: [SlotKey: Slot] = [:]
    private var slotOrder: [SlotKey] = []
    private var nextMemberID: UInt64 = 0
    private var roundScheduled = false
    private var timer: Scheduled<Void>?
    private var timerDeadline: Int64?
    var deadLettersInProgress: Set<DeadLetterKey> = []
    /// Rejects waiting for their dead letters to be written (``settle(_:slot:deadLetter:_:)``).
    var deadLetterWaiters: [DeadLetterKey: [EventLoopPromise<Void>]] = [:]
    private(set) var isClosed = false
    /// Redeliveries and dead letters since the broker started (``GroupMetrics``).
    var metrics: GroupMetrics
    /// Whether a retry of the slots' unwritten events is scheduled.
    var unwrittenRetryScheduled = false

    struct DeadLetterKey: Hashable {
        var slot: SlotKey
        var offset: Int64
    }

    init(
        name: String,
        definition: GroupDefinition,
        slots: [(SlotKey, Partition, PersistedPartitionState)],
        loop: any EventLoop,
        store: GroupStateStore,
        deadLetters: DeadLetterWriter,
        logger: Logger,
        maxUnwrittenEvents: Int,
        maxCredits: Int
    ) {
        self.maxUnwrittenEvents = max(0, maxUnwrittenEvents)
        self.maxCredits = max(1, maxCredits)
        self.name = name
        self.definition = definition
        self.loop = loop
        self.store = store
        self.deadLetters = deadLetters
        self.logger = logger
        self.metrics = GroupMetrics(group: name)
        for (key, partition, state) in slots { insertSlot(key, partition, state) }
    }

    private func insertSlot(_ key: SlotKey, _ partition: Partition, _ state: PersistedPartitionState) {
        let id = GroupPartitionID(group: name, topic: key.topic, partition: key.partition)
        slots[key] = Slot(
            partition: partition,
            dispatch: PartitionDispatch(
                id: id,
                settings: definition.settings,
                restoring: state,
                randomSeed: UInt64(truncatingIfNeeded: id.hashValue)
            ),
            readLimit: state.readLimit
        )
        slotOrder.append(key)
    }

    /// Adds partitions (added to the group's topics since it started running) and dispatches them.
    func addSlots(_ added: [(SlotKey, Partition, PersistedPartitionState)]) {
        loop.preconditionInEventLoop()
        for (key, partition, state) in added where slots[key] == nil { insertSlot(key, partition, state) }
        scheduleRound()
    }

    /// Stops reading the partitions of `topic` (it was deleted): their dispatchers go, with what
    /// they had in flight; a later subscribe adds the partitions of a topic created again.
    func removeSlots(of topic: String) {
        loop.preconditionInEventLoop()
        for key in slotOrder where key.topic == topic { slots[key] = nil }
        settleDeadLetterWaiters(.failure(BrokerError(.unknownTopic, "topic '\(topic)' was deleted"))) {
            $0.slot.topic == topic
        }
        slotOrder.removeAll { $0.topic == topic }
        deadLettersInProgress = deadLettersInProgress.filter { $0.slot.topic != topic }
        armTimer()
    }

    /// Milliseconds on the monotonic clock (ack deadlines, backoffs).
    static func monotonicNow() -> Int64 { Int64(NIODeadline.now().uptimeNanoseconds / 1_000_000) }

    // MARK: Members

    /// Adds a member with `credits` and starts dispatching to it.
    func addMember(outlet: PushOutlet, subscriptionID: UInt32, credits: Int) -> UInt64 {
        loop.preconditionInEventLoop()
        nextMemberID += 1
        let member = Member(id: nextMemberID, outlet: outlet, subscriptionID: subscriptionID, credits: credits)
        members[member.id] = member
        memberOrder.append(member.id)
        scheduleRound()
        return member.id
    }

    /// Removes a member; what it held is delivered again at once (a dropped connection counts as
    /// a failed delivery, a clean leave does not).
    func removeMember(_ id: UInt64, failed: Bool) {
        loop.preconditionInEventLoop()
        guard members.removeValue(forKey: id) != nil else { return }
        memberOrder.removeAll { $0 == id }
        let now = Self.monotonicNow()
        for key in slotOrder {
            // The broker shutting down is not the member's failure.
            _ = slots[key]!.dispatch.memberLeft(id, failed: failed && !isClosed, now: now)
            persist(key)
        }
        startDeadLetters()
        scheduleRound()
    }

    /// Whether the group has members.
    var hasMembers: Bool { !members.isEmpty }

    /// Adds credits to a member.
    /// - Throws: `limitExceeded` past ``maxCredits``.
    func credit(_ id: UInt64, _ credits: Int) throws {
        loop.preconditionInEventLoop()
        guard var member = members[id] else {
            throw BrokerError(.unknownSubscription, "the subscription has ended")
        }
        guard member.credits + credits <= maxCredits else {
            throw BrokerError(
                .limitExceeded,
                "a member may hold at most \(maxCredits) credits (maxCreditsPerMember); it has \(member.credits)"
            )
        }
        member.credits += credits
        members[id] = member
        scheduleRound()
    }

    // MARK: Acknowledgements

    /// Applies `body` to the slot of each entry and answers once what it recorded is durable.
    /// With `deadLetter` (a reject), an accepted entry is answered once the dead letter of the
    /// message at the offset it names is written and its finished mark durable (or with the error
    /// that kept it from being written; the write is tried again). An entry for which `invalid`
    /// names a problem is answered `invalidRequest` with it, and `body` is not applied to it.
    func settle<Entry>(
        _ entries: [Entry],
        slot: (Entry) -> SlotKey,
        deadLetter: ((Entry) -> Int64)? = nil,
        invalid: (Entry) -> String? = { _ in nil },
        _ body: (inout PartitionDispatch<UInt64>, Entry) -> PartitionDispatch<UInt64>.Outcome
    ) -> EventLoopFuture<[GroupEntryResult]> {
        loop.preconditionInEventLoop()
        var results: [GroupEntryResult] = []
        var lastOffset: Int64?
        var deadLettersAwaited: [(index: Int, written: EventLoopFuture<Void>)] = []
        var deadLettersAwaitedKeys: [DeadLetterKey] = []
        // The slots the entries changed, and the results that depend on their events being written.
        var touched: [SlotKey] = []
        var written: [Int] = []
        for entry in entries {
            let key = slot(entry)
            if let problem = invalid(entry) {
                // A value in range for its type but not for the API: this entry fails, nothing changes.
                results.append(
                    GroupEntryResult(
                        topic: key.topic,
                        partition: key.partition,
                        errorCode: .invalidRequest,
                        errorMessage: problem
                    )
                )
                continue
            }
            guard slots[key] != nil else {
                results.append(
                    GroupEntryResult(
                        topic: key.topic,
                        partition: key.partition,
                        errorCode: .unknownPartition,
                        errorMessage: "group '\(name)' does not consume \(key.topic)/\(key.partition)"
                    )
                )
                continue
            }
            let outcome = body(&slots[key]!.dispatch, entry)
            if !touched.contains(key) { touched.append(key) }
            written.append(results.count)
            results.append(
                outcome == .accepted
                    ? GroupEntryResult(topic: key.topic, partition: key.partition)
                    : GroupEntryResult(
                        topic: key.topic,
                        partition: key.partition,
                        errorCode: .notDelivered,
                        errorMessage: "not in flight for this subscription (never delivered to it, "
                            + "timed out, or taken back)"
                    )
            )
            if outcome == .accepted, let offset = deadLetter?(entry) {
                let written = awaitDeadLetter(DeadLetterKey(slot: key, offset: offset))
                deadLettersAwaited.append((results.count - 1, written))
                deadLettersAwaitedKeys.append(DeadLetterKey(slot: key, offset: offset))
            }
        }
        // One append for the whole request, however many partitions it names.
        do {
            lastOffset = try persistThrowing(touched)
        } catch {
            let error = BrokerError(error)
            // A reject whose failure mark was not written gets no dead letter until it is
            // (startDeadLetters waits for the slot's unwritten events): it is answered now.
            for awaited in deadLettersAwaitedKeys {
                settleDeadLetterWaiters(.failure(error)) { $0 == awaited }
            }
            for index in written {
                results[index] = GroupEntryResult(
                    topic: results[index].topic,
                    partition: results[index].partition,
                    errorCode: error.code,
                    errorMessage: error.message
                )
            }
        }
        startDeadLetters()
        scheduleRound()
        let durable = answer(results, whenDurable: lastOffset)
        guard !deadLettersAwaited.isEmpty else { return durable }
        let loop = self.loop
        return durable.flatMap { results in
            let outcomes = deadLettersAwaited.map { awaited in
                awaited.written.map { (awaited.index, nil as BrokerError?) }.recover {
                    (awaited.index, BrokerError($0))
                }
            }
            return EventLoopFuture.whenAllSucceed(outcomes, on: loop).map { outcomes in
                var results = results
                for case (let index, let error?) in outcomes where results[index].errorCode == .none {
                    results[index] = GroupEntryResult(
                        topic: results[index].topic,
                        partition: results[index].partition,
                        errorCode: error.code,
                        errorMessage: "the dead letter was not written (it is tried again): \(error.message)"
                    )
                }
                return results
            }
        }
    }

    /// `results`, once the group state log is durable up to `lastOffset` (each one an error if it
    /// cannot be made durable).
    private func answer(
        _ results: [GroupEntryResult],
        whenDurable lastOffset: Int64?
    ) -> EventLoopFuture<
        [GroupEntryResult]
    > {
        guard let lastOffset else { return loop.makeSucceededFuture(results) }
        let settled = results
        let promise = loop.makePromise(of: [GroupEntryResult].self)
        store.whenDurable(lastOffset) { outcome in
            switch outcome {
            case .success: promise.succeed(settled)
            case .failure(let error):
                promise.succeed(
                    settled.map {
                        GroupEntryResult(
                            topic: $0.topic,
                            partition: $0.partition,
                            errorCode: error.code,
                            errorMessage: "the group state was not made durable: \(error.message)"
                        )
                    }
                )
            }
        }
        return promise.futureResult
    }

    // MARK: Dispatch rounds

    /// Runs a dispatch round soon (once, however many ask).
    func scheduleRound() {
        guard !roundScheduled, !isClosed else { return }
        roundScheduled = true
        loop.execute { self.runRound() }
    }

    private func runRound() {
        roundScheduled = false
        guard !isClosed else { return }
        let now = Self.monotonicNow()
        let wallClock = currentTimeMilliseconds()
        for memberID in memberOrder {
            // A member with sends under way gets its next deliveries in the round their end starts.
            guard var member = members[memberID], member.credits > 0, member.sending == 0 else { continue }
            guard member.outlet.isWritable else {
                // One callback per stall, however many rounds run meanwhile (a member that does not
                // read must not make the broker's memory grow).
                if !member.awaitsWritable {
                    members[memberID]!.awaitsWritable = true
                    let loop = self.loop
                    member.outlet.whenWritable {
                        loop.execute {
                            self.members[memberID]?.awaitsWritable = false
                            self.scheduleRound()
                        }
                    }
                }
                continue
            }
            var taken: [(key: SlotKey, deliveries: [PartitionDispatch<UInt64>.Delivery])] = []
            // A slot whose state cannot be written hands out nothing until it can (a delivery that is
            // not recorded is not sent).
            for key in slotOrder where member.credits > 0 && slots[key]!.unwritten.isEmpty {
                let deliveries = slots[key]!.dispatch.take(
                    upTo: min(member.credits, Self.maxDeliveriesPerPush),
                    for: memberID,
                    now: now,
                    wallClock: wallClock
                )
                guard !deliveries.isEmpty else { continue }
                member.credits -= deliveries.count
                taken.append((key, deliveries))
            }
            // Recorded (in one append) before they are sent: a crash never loses a delivery count.
            // If they cannot be, they are not sent, and come back after their ack timeout.
            do {
                _ = try persistThrowing(taken.map(\.key))
                for (key, deliveries) in taken {
                    member.sending += 1
                    send(deliveries, from: key, to: member)
                }
            } catch {
                logger.error("group state not written", metadata: ["group": "\(name)", "error": "\(error)"])
            }
            members[memberID] = member
        }
        // Spread the next round's first picks.
        if !memberOrder.isEmpty { memberOrder.append(memberOrder.removeFirst()) }
        if !slotOrder.isEmpty { slotOrder.append(slotOrder.removeFirst()) }
        for key in slotOrder { readAheadIfNeeded(key) }
        armTimer()
    }

    /// Arms the timer for the earliest ack deadline or backoff end.
    func armTimer() {
        let deadline = slots.values.compactMap(\.dispatch.nextDeadline).min()
        guard deadline != timerDeadline else { return }
        timer?.cancel()
        timer = nil
        timerDeadline = deadline
        guard let deadline else { return }
        let delay = max(0, deadline - Self.monotonicNow())
        timer = loop.scheduleTask(in: .milliseconds(delay)) { [weak self] in self?.timerFired() }
    }

    private func timerFired() {
        timer = nil
        timerDeadline = nil
        let now = Self.monotonicNow()
        for key in slotOrder {
            _ = slots[key]!.dispatch.expire(now: now)
            persist(key)
        }
        startDeadLetters()
        scheduleRound()
        armTimer()
    }

    /// Sets the committed offset of `key`'s partition (an administrator's reset, with no member
    /// connected): everything above it is forgotten, and reading starts again there.
    func reset(_ key: SlotKey, to offset: Int64) {
        loop.preconditionInEventLoop()
        guard slots[key] != nil else { return }
        _ = slots[key]!.dispatch.reset(to: offset)
        settleDeadLetterWaiters(
            .failure(BrokerError(.offsetsLost, "the group was reset before the dead letter was written"))
        ) {
            $0.slot == key
        }
        slots[key]!.readAhead = nil
        persist(key)
        // A wait for data past the old read position no longer applies.
        slots[key]!.isWaitingForData = false
        slots[key]!.emptyReads = 0
        scheduleRound()
    }

    /// Stops dispatching (the broker is shutting down): no more deliveries, timers or read-ahead;
    /// acknowledgements are still taken, and members that leave now are not counted as failed.
    func close() {
        isClosed = true
        timer?.cancel()
        timer = nil
        settleDeadLetterWaiters(.failure(BrokerError(.shuttingDown, "the broker is shutting down"))) { _ in true }
    }

    // MARK: Reading ahead

    private func readAheadIfNeeded(_ key: SlotKey) {
        let partition: Partition
        let from: Int64
        do {
            // A copy of the slot must not live on while its dispatcher is changed (the dispatcher's
            // dictionaries would be copied): it ends with this scope.
            guard let slot = slots[key], slot.dispatch.wantsRecords, !slot.isReading, !slot.isWaitingForData,
                !isClosed
            else { return }
            partition = slot.partition
            from = slot.dispatch.nextReadOffset
        }
        if let readAhead = slots[key]!.readAhead {
            slots[key]!.readAhead = nil
            feed(readAhead.entries, readUpTo: readAhead.nextOffset, to: key, isFreshRead: false)
            return
        }
        // A redriven dead-letter partition is read up to its limit only: what was written to it
        // after the redrive waits for the next one.
        if let limit = slots[key]!.readLimit, from >= limit { return }
        slots[key]!.isReading = true
        partition.readForGroup(from: from, maxBytes: Self.readAheadBytes).hop(to: loop).whenComplete {
            [self] result in
            slots[key]?.isReading = false
            switch result {
            case .success(var read):
                guard slots[key] != nil else { return }
                if let limit = slots[key]!.readLimit, read.nextOffset > limit {
                    read.entries.removeAll { $0.offset >= limit }
                    read.nextOffset = limit
                }
                if read.logStartOffset > slots[key]!.dispatch.committedOffset {
                    // Retention removed messages the group had not finished.
                    _ = slots[key]!.dispatch.logStartMoved(to: read.logStartOffset)
                    settleDeadLetterWaiters(.failure(BrokerError(.offsetsLost, "retention removed the message first")))
                    {
                        $0.slot == key && $0.offset < read.logStartOffset && !deadLettersInProgress.contains($0)
                    }
                }
                if read.nextOffset > from || !read.entries.isEmpty {
                    slots[key]!.emptyReads = 0
                    feed(read.entries[...], readUpTo: read.nextOffset, to: key, isFreshRead: true)
                } else {
                    slots[key]!.emptyReads += 1
                    waitForData(key, after: from, retryAfter: slots[key]!.emptyReads > 1 ? .milliseconds(100) : nil)
                }
            case .failure(let error):
                logger.error(
                    "group read failed",
                    metadata: ["group": "\(name)", "partition": "\(key.topic)/\(key.partition)", "error": "\(error)"]
                )
                waitForData(key, after: from, retryAfter: .seconds(1))
            }
        }
    }

    /// Feeds records read from the log (up to `nextOffset`) to `key`'s dispatcher, as many as its
    /// window has room for, and keeps the rest in the slot's `readAhead`.
    private func feed(
        _ entries: ArraySlice<GroupRead.Entry>,
        readUpTo nextOffset: Int64,
        to key: SlotKey,
        isFreshRead: Bool
    ) {
        var rest = entries
        while slots[key]!.dispatch.wantsRecords {
            let position = slots[key]!.dispatch.nextReadOffset
            while let first = rest.first, first.offset < position { rest = rest.dropFirst() }
            guard !rest.isEmpty || nextOffset > position else { break }
            // At most the room: the records after those are not taken in anyway (the window fills).
            let room = max(1, slots[key]!.dispatch.window - slots[key]!.dispatch.unfinishedCount)
            let chunk = rest.prefix(room)
            rest = rest.dropFirst(chunk.count)
            // The offsets between the chunk and the next record are absent from the log.
            slots[key]!.dispatch.add(
                records: chunk.map { ($0.offset, $0.keyHash) },
                readUpTo: rest.first?.offset ?? nextOffset
            )
        }
        // From the original entries: whatever the window did not take stays (entries are sorted).
        let position = slots[key]!.dispatch.nextReadOffset
        var low = entries.startIndex
        var high = entries.endIndex
        while low < high {
            let middle = low + (high - low) / 2
            if entries[middle].offset < position { low = middle + 1 } else { high = middle }
        }
        if low == entries.endIndex {
            slots[key]!.readAhead = nil
        } else if !isFreshRead {
            // Already bounded (kept from an earlier read): a slice of it.
            slots[key]!.readAhead = (entries[low...], nextOffset)
        } else {
            // At most `maxReadAheadEntries` (or the window) kept, copied out of the read's array (a
            // slice would keep all of it); the log is read again after the last record kept.
            let kept = entries[low...].prefix(max(Self.maxReadAheadEntries, slots[key]!.dispatch.window))
            let end = kept.endIndex < entries.endIndex ? entries[kept.endIndex].offset : nextOffset
            slots[key]!.readAhead = (ArraySlice(Array(kept)), end)
        }
        persist(key)
        startDeadLetters()
        scheduleRound()
    }

    /// Reads again once the partition has data at `offset` (or after `retryAfter`).
    private func waitForData(_ key: SlotKey, after offset: Int64, retryAfter: TimeAmount? = nil) {
        guard !isClosed, let slot = slots[key] else { return }
        slots[key]!.isWaitingForData = true
        let resume: @Sendable () -> Void = { [weak self] in
            guard let self else { return }
            self.loop.execute {
                guard self.slots[key]?.isWaitingForData == true else { return }
                self.slots[key]!.isWaitingForData = false
                self.readAheadIfNeeded(key)
            }
        }
        if let retryAfter {
            loop.scheduleTask(in: retryAfter) { resume() }
            return
        }
        let wakeup = FetchWakeup(eventLoop: loop)
        wakeup.futureResult.whenSuccess { resume() }
        slot.partition.notify(wakeup, whenDataAfter: offset)
    }
}
