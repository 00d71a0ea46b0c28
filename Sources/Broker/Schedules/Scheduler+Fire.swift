import BrokerProtocol
import DequeModule
import LogStore
import NIOCore
import RecordCodec

extension Scheduler {
    /// Starts a batch on every partition that has due schedules queued, is not busy and is not
    /// waiting to retry, up to ``ScheduleSettings/fireBatchesInFlight``.
    func startBatches(now: Int64) {
        guard busy.count < settings.fireBatchesInFlight else { return }
        // A copy of the keys: iterating the dictionary itself would keep its storage shared, and
        // every removal in startBatch would copy it and the queue taken out.
        for target in Array(queued.keys) where !busy.contains(target) {
            guard busy.count < settings.fireBatchesInFlight else { return }
            if let retry = retry[target], retry.at > now { continue }
            startBatch(target, now: now)
        }
    }

    /// Fires the first schedules queued for `target`: `firing` (durable) → the partition's append
    /// (durable) → `fired`. Cancels of these schedules wait until it is done.
    private func startBatch(_ target: FireTarget, now: Int64) {
        var entries: [ReadyFire] = []
        var bytes = 0
        let maxBytes = limits.maxBatchBytes / 2
        // Taken out of the dictionary while it is worked on: no copy of the queue per removal.
        var queue = queued.removeValue(forKey: target) ?? []
        defer { if !queue.isEmpty { queued[target] = queue } }
        while entries.count < settings.fireBatchSize,
            let size = queue.first?.approximateBytes
        {
            if !entries.isEmpty && bytes + size > maxBytes { break }
            let next = queue.removeFirst()
            queuedCount -= 1
            queuedSeqs.remove(next.entry.seq)
            if !deadInWindow.isEmpty, deadInWindow.remove(next.entry.seq) != nil { continue }
            entries.append(next)
            bytes += size
        }
        let topic = registry.topic(named: target.topic)
        if let topic, entries.contains(where: { $0.predates(topic) }) {
            // Taken for a topic deleted since (this one has its name): dropped, not delivered to it.
            let stale = entries.filter { $0.predates(topic) }
            entries.removeAll { $0.predates(topic) }
            logger.warning(
                "schedules dropped: their topic was deleted and created again since they were taken",
                metadata: ["topic": "\(target.topic)", "count": "\(stale.count)"]
            )
            statistics.dropped += stale.count
            recordFired(target, stale, offsets: nil)
        }
        guard !entries.isEmpty else { return }
        busy.insert(target)
        for entry in entries { firingSeqs[entry.entry.seq] = entry.entry.key }
        guard let partition = topic?.partition(target.partition) else {
            // The topic (or partition) is gone: the schedules are dropped.
            logger.warning(
                "schedules dropped: their topic or partition no longer exists",
                metadata: ["topic": "\(target.topic)", "partition": "\(target.partition)", "count": "\(entries.count)"]
            )
            statistics.dropped += entries.count
            finish(target, entries, offsets: nil)
            return
        }
        let fireEntries = entries.map { ScheduleRecord.FireEntry(key: $0.entry.key, idHash: $0.entry.idHash) }
        let batch = entries
        // The messages are built on the partition's loop, beside reading its end offset: the
        // scheduler's loop only decides and records.
        partition.eventLoop.submit { () -> (endOffset: Int64, messages: ByteBuffer) in
            var messages = ByteBuffer()
            let now = self.clock()
            RecordBatch.write(records: batch.map { Self.message(for: $0, now: now) }, into: &messages)
            return (partition.log.logEndOffset, messages)
        }
        .hop(to: loop)
        .flatMap { endOffset, messages -> EventLoopFuture<ByteBuffer> in
            do {
                let firing = ScheduleRecord.firing(
                    .init(
                        topic: target.topic,
                        partition: target.partition,
                        endOffset: endOffset,
                        entries: fireEntries
                    )
                )
                return self.whenDurable(try self.append([firing], now: self.clock())).map { messages }
            } catch {
                return self.loop.makeFailedFuture(error)
            }
        }
        .flatMap { messages -> EventLoopFuture<ProduceResponse.PartitionResult> in
            guard !self.isClosed else {
                return self.loop.makeFailedFuture(BrokerError(.shuttingDown, "the scheduler is closed"))
            }
            self.appendsInFlight += 1
            return partition.append(messages, hasMessageIDs: false, acks: .durable, issued: self.issued())
                .hop(to: self.loop)
                .always { _ in self.appendsInFlight -= 1 }
        }
        .whenComplete { result in
            switch result {
            case .success(let answer) where answer.errorCode == .none:
                let offsets = batch.indices.map { answer.baseOffset + Int64($0) }
                self.finish(target, batch, offsets: offsets)
            case .success(let answer):
                self.failed(
                    target,
                    batch,
                    BrokerError(answer.errorCode, answer.errorMessage ?? "\(answer.errorCode)")
                )
            case .failure(let error):
                self.failed(target, batch, BrokerError(error))
            }
        }
    }

    /// The message a schedule fires: its key, value and headers, then the schedule's headers;
    /// stamped with the time it is appended.
    static func message(for fire: ReadyFire, now: Int64) -> Record {
        func header(_ key: String, _ value: String) -> RecordHeader {
            RecordHeader(key: key, value: ByteBuffer(string: value))
        }
        let scheduled = fire.scheduled
        var headers = scheduled.headers
        headers.reserveCapacity(headers.count + 4)
        headers.append(header(ScheduleHeader.id, scheduled.scheduleID))
        headers.append(header(ScheduleHeader.due, "\(scheduled.due)"))
        headers.append(header(ScheduleHeader.produced, "\(scheduled.producedAt)"))
        headers.append(header(ScheduleHeader.seq, "\(fire.entry.seq)"))
        return Record(key: scheduled.key, value: scheduled.value, headers: headers, timestamp: now)
    }

    static func approximateBytes(_ scheduled: ScheduleRecord.Scheduled) -> Int {
        var bytes = 128 + scheduled.scheduleID.utf8.count
        bytes += (scheduled.key?.readableBytes ?? 0) + (scheduled.value?.readableBytes ?? 0)
        for header in scheduled.headers { bytes += 8 + header.key.utf8.count + (header.value?.readableBytes ?? 0) }
        return bytes
    }

    /// The batch is appended (`offsets`, in order) or dropped (`nil`): `fired` is written and
    /// applied. Applied even if writing it fails: the messages are in their partition, and a
    /// start-up finds them from the `firing` record.
    func finish(_ target: FireTarget, _ entries: [ReadyFire], offsets: [Int64]?) {
        recordFired(target, entries, offsets: offsets)
        if offsets != nil {
            statistics.fired += entries.count
            let now = clock()
            for fire in entries {
                let lateness = max(0, now.saturatingSubtract(fire.scheduled.due))
                BrokerMetrics.recordScheduleLateness(milliseconds: lateness)
                statistics.latenessTotalMilliseconds = statistics.latenessTotalMilliseconds.saturatingAdd(lateness)
                statistics.latenessMaxMilliseconds = max(statistics.latenessMaxMilliseconds, lateness)
            }
        }
        retry[target] = nil
        settleBatch(target, entries)
    }

    /// Writes and applies `fired` for `entries` (appended at `offsets`, or dropped).
    private func recordFired(_ target: FireTarget, _ entries: [ReadyFire], offsets: [Int64]?) {
        let now = clock()
        let fired = ScheduleRecord.fired(
            .init(
                topic: target.topic,
                partition: target.partition,
                entries: entries.enumerated().map { position, fire in
                    .init(key: fire.entry.key, idHash: fire.entry.idHash, offset: offsets?[position] ?? -1)
                }
            )
        )
        var offset: Int64 = -1
        do {
            offset = try append([fired], now: now)
        } catch {
            logger.error(
                "a fired record could not be written; the next start-up finds the messages in their partition",
                metadata: ["topic": "\(target.topic)", "partition": "\(target.partition)", "error": "\(error)"]
            )
        }
        apply(fired, at: offset, now: now)
    }

    /// The partition refused the batch: its schedules go back to the front of its queue and the
    /// partition waits before the next try.
    private func failed(_ target: FireTarget, _ entries: [ReadyFire], _ error: BrokerError) {
        let now = clock()
        statistics.fireBatchesFailed += 1
        let backoff = min(2 * (retry[target]?.backoff ?? settings.fireRetryMilliseconds / 2), 30_000)
        retry[target] = (now + max(1, backoff), max(1, backoff))
        logger.warning(
            "schedules could not be appended to their partition; trying again",
            metadata: [
                "topic": "\(target.topic)", "partition": "\(target.partition)", "count": "\(entries.count)",
                "retryMilliseconds": "\(backoff)", "error": "\(error)",
            ]
        )
        var queue = queued[target] ?? []
        queue.insert(contentsOf: entries, at: 0)
        queued[target] = queue
        queuedCount += entries.count
        for entry in entries { queuedSeqs.insert(entry.entry.seq) }
        settleBatch(target, entries)
    }

    /// The batch is over: its partition is free, and cancels that waited for it ask again.
    private func settleBatch(_ target: FireTarget, _ entries: [ReadyFire]) {
        busy.remove(target)
        var waiting: [() -> Void] = []
        for entry in entries {
            firingSeqs[entry.entry.seq] = nil
            if let waiters = firingWaiters.removeValue(forKey: entry.entry.seq) { waiting += waiters }
        }
        for waiter in waiting { waiter() }
        requestFlushIfFull()
        pumpSoon()
    }
}
