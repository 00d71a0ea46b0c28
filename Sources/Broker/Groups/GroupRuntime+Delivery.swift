import BrokerProtocol
import LogStore
import NIOCore
import RecordCodec

extension GroupRuntime {
    /// The most record bytes in one push (at least one batch, however large).
    static let maxPushBytes = 4 << 20

    /// Reads the batches holding `deliveries` on the partition's loop and pushes them to `member`,
    /// in pushes of at most ``maxPushBytes``. If the batches cannot be read, the deliveries fail
    /// (they come back after the group's backoff).
    func send(_ deliveries: [PartitionDispatch<UInt64>.Delivery], from key: SlotKey, to member: Member) {
        let sorted = deliveries.sorted { $0.offset < $1.offset }
        metrics.recordRedeliveries(deliveries.reduce(0) { $0 + ($1.deliveryCount > 1 ? 1 : 0) })
        let partition = slots[key]!.partition
        partition.readBatches(holding: sorted.map(\.offset)).hop(to: loop).whenComplete { [self] result in
            defer {
                // Sent (or failed): the member's next deliveries, in a round that sees whether its
                // connection took these (a full push may have left it credits and ready messages).
                if members[member.id] != nil {
                    members[member.id]!.sending -= 1
                    if members[member.id]!.sending == 0 { scheduleRound() }
                }
            }
            switch result {
            case .success(let batches):
                push(sorted, batches: batches, key: key, member: member)
            case .failure(let error):
                logger.error(
                    "group delivery read failed",
                    metadata: ["group": "\(name)", "partition": "\(key.topic)/\(key.partition)", "error": "\(error)"]
                )
                fail(
                    sorted.map(\.offset),
                    key: key,
                    member: member.id,
                    reason: "read failed: \(BrokerError(error).message)"
                )
            }
        }
    }

    private func push(
        _ deliveries: [PartitionDispatch<UInt64>.Delivery],
        batches: [RecordBatch],
        key: SlotKey,
        member: Member
    ) {
        var remaining = deliveries[...]
        var chunk: [RecordBatch] = []
        var chunkBytes = 0
        func flush(upTo lastOffset: Int64?) {
            guard !chunk.isEmpty else { return }
            let count = lastOffset.map { last in remaining.prefix { $0.offset <= last }.count } ?? remaining.count
            let sent = remaining.prefix(count)
            remaining = remaining.dropFirst(count)
            var records = ByteBuffer()
            records.reserveCapacity(chunkBytes)
            for batch in chunk { records.writeImmutableBuffer(batch.buffer) }
            chunk.removeAll()
            chunkBytes = 0
            guard !sent.isEmpty else { return }
            let push = DeliverPush(
                subscriptionID: member.subscriptionID,
                topic: key.topic,
                partition: key.partition,
                deliveries: sent.map { .init(offset: $0.offset, deliveryCount: Int32(clamping: $0.deliveryCount)) },
                records: records
            )
            member.outlet.push(push.pushFrame.responseFrame)
        }
        for batch in batches {
            if chunkBytes > 0, chunkBytes + batch.buffer.readableBytes > Self.maxPushBytes {
                flush(upTo: chunk.last!.lastOffset)
            }
            chunk.append(batch)
            chunkBytes += batch.buffer.readableBytes
        }
        flush(upTo: nil)
        // Offsets no batch held (lost to damage on disk since they were read): they cannot be
        // delivered; they fail and will be dead-lettered after maxDeliveries.
        if !remaining.isEmpty {
            fail(remaining.map(\.offset), key: key, member: member.id, reason: "no stored batch holds the offset")
        }
    }

    /// Fails deliveries the broker could not send.
    private func fail(_ offsets: [Int64], key: SlotKey, member: UInt64, reason: String) {
        guard slots[key] != nil else { return }
        let now = Self.monotonicNow()
        for offset in offsets {
            _ = slots[key]!.dispatch.nack(offset: offset, by: member, delay: nil, reason: reason, now: now)
        }
        persist(key)
        startDeadLetters()
        scheduleRound()
    }

    // MARK: Dead letters

    /// Writes the dead letters the dispatchers have decided on, each once at a time; a failed
    /// write is tried again a second later. A slot whose events the group state log refused writes
    /// none until they are written (the failure marks that decided a dead letter go first).
    func startDeadLetters(retrying: Bool = false) {
        for key in slots.keys where slots[key]!.unwritten.isEmpty {
            let letters = retrying ? slots[key]!.dispatch.pendingDeadLetters() : slots[key]!.dispatch.takeDeadLetters()
            for letter in letters {
                let inProgress = DeadLetterKey(slot: key, offset: letter.offset)
                guard deadLettersInProgress.insert(inProgress).inserted else { continue }
                write(letter, key: key)
            }
        }
    }

    private func write(_ letter: PartitionDispatch<UInt64>.DeadLetter, key: SlotKey) {
        let partition = slots[key]!.partition
        let source = GroupPartitionID(group: name, topic: key.topic, partition: key.partition)
        let isRedriven = slots[key]!.isRedrive
        let writer = deadLetters
        let store = self.store
        let written = partition.readBatches(holding: [letter.offset]).flatMap { batches in
            partition.eventLoop.makeFutureWithTask { () async throws -> Int64 in
                guard let batch = batches.first,
                    let record = try batch.records(
                        maxDecompressedBytes: partition.configuration.limits.maxDecompressedBatchBytes
                    ).first(where: { $0.offset == letter.offset })
                else {
                    throw BrokerError(.offsetsLost, "no stored batch holds offset \(letter.offset) any more")
                }
                return try await writer.write(
                    DeadLetter(
                        source: source,
                        offset: letter.offset,
                        record: record,
                        deliveries: letter.record,
                        reason: letter.reason,
                        isRedriven: isRedriven
                    ),
                    after: store
                )
            }
        }
        written.hop(to: loop).whenComplete { [self] result in
            deadLettersInProgress.remove(DeadLetterKey(slot: key, offset: letter.offset))
            let waiting = DeadLetterKey(slot: key, offset: letter.offset)
            switch result {
            case .success:
                metrics.recordDeadLetter()
                guard slots[key] != nil else { return }
                _ = slots[key]!.dispatch.deadLetterWritten(offset: letter.offset)
                do {
                    if let offset = try persistThrowing(key) {
                        store.whenDurable(offset) { outcome in
                            self.loop.execute { self.settleDeadLetterWaiters(outcome) { $0 == waiting } }
                        }
                    } else {
                        settleDeadLetterWaiters(.success(())) { $0 == waiting }
                    }
                } catch {
                    settleDeadLetterWaiters(.failure(BrokerError(error))) { $0 == waiting }
                }
                scheduleRound()
            case .failure(let error):
                settleDeadLetterWaiters(.failure(BrokerError(error))) { $0 == waiting }
                logger.error(
                    "dead letter not written; trying again",
                    metadata: [
                        "group": "\(name)", "partition": "\(key.topic)/\(key.partition)",
                        "offset": "\(letter.offset)", "error": "\(error)",
                    ]
                )
                loop.scheduleTask(in: .seconds(1)) { [weak self] in self?.startDeadLetters(retrying: true) }
            }
        }
    }

    /// A future that completes once the dead letter `key` is written and marked durably.
    func awaitDeadLetter(_ key: DeadLetterKey) -> EventLoopFuture<Void> {
        let promise = loop.makePromise(of: Void.self)
        deadLetterWaiters[key, default: []].append(promise)
        return promise.futureResult
    }

    /// Completes the waiters of the dead letters `matching` with `outcome`.
    func settleDeadLetterWaiters(_ outcome: Result<Void, BrokerError>, matching: (DeadLetterKey) -> Bool) {
        for key in deadLetterWaiters.keys where matching(key) {
            for promise in deadLetterWaiters.removeValue(forKey: key) ?? [] {
                promise.completeWith(outcome.mapError { $0 })
            }
        }
    }
}
