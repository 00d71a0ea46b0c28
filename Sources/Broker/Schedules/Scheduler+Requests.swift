import BrokerProtocol
import LogStore
import NIOCore
import RecordCodec

extension Scheduler {
    /// Records per batch in the schedule log: a lookup decodes one batch to read one record.
    static let recordsPerLogBatch = 64
    /// Message bytes per batch in the schedule log, about (a batch holds at least one record).
    static let logBatchBytes = 16 << 20
    /// Due entries a listing page examines at most before it returns a cursor.
    static let listExamineLimit = 100_000

    // MARK: Schedule

    /// Takes `inputs` for `topic`: each is validated, written to the schedule log and indexed; the
    /// answer comes once `acks` is met. Per-entry failures do not fail the others.
    /// - Throws (in the future): `unknownTopic`, `shuttingDown`.
    ///
    /// With `durableWithin` (`acks` `durable`), entries whose record is not durable that long after
    /// it was appended are answered `requestTimedOut`; they are taken and may still become durable.
    func schedule(
        topic topicName: String,
        _ inputs: [ScheduleInput],
        acks: Acks,
        durableWithin: TimeAmount? = nil
    ) -> EventLoopFuture<[Result<ScheduleAccepted, BrokerError>]> {
        loop.flatSubmit {
            do {
                return try self.scheduleOnLoop(topic: topicName, inputs, acks: acks, durableWithin: durableWithin)
            } catch {
                return self.loop.makeFailedFuture(error)
            }
        }
    }

    private func scheduleOnLoop(
        topic topicName: String,
        _ inputs: [ScheduleInput],
        acks: Acks,
        durableWithin: TimeAmount?
    ) throws -> EventLoopFuture<[Result<ScheduleAccepted, BrokerError>]> {
        try checkOpen()
        guard let topic = registry.topic(named: topicName) else {
            throw BrokerError(.unknownTopic, "unknown topic '\(topicName)'")
        }
        let now = clock()
        var results: [Result<ScheduleAccepted, BrokerError>?] = Array(repeating: nil, count: inputs.count)
        var records: [(input: Int, record: ScheduleRecord.Scheduled, replaced: Bool)] = []
        var takenInRequest: [String: DueKey] = [:]
        var added: Int64 = 0
        let base = log.logEndOffset
        for (position, input) in inputs.enumerated() {
            do {
                let due = try dueTime(of: input.time, now: now)
                let id = try input.scheduleID.map(validatedID) ?? idGenerator.next()
                let partition = try choosePartition(input, topic: topic)
                try checkSize(input)
                var replaced: DueKey?
                if let earlier = takenInRequest[id] {
                    replaced = earlier
                } else if input.scheduleID != nil {
                    replaced = try pendingKey(topic: topicName, id: id)
                }
                if replaced == nil {
                    guard pendingTotal + added < settings.maxPendingSchedules else {
                        throw BrokerError(
                            .limitExceeded,
                            "the broker holds its limit of \(settings.maxPendingSchedules) pending schedules "
                                + "(maxPendingSchedules)"
                        )
                    }
                    added += 1
                }
                let seq = base + Int64(records.count)
                let record = ScheduleRecord.Scheduled(
                    topic: topicName,
                    partition: partition,
                    scheduleID: id,
                    due: due,
                    producedAt: input.timestamp ?? now,
                    replaced: replaced,
                    key: input.key,
                    value: input.value,
                    headers: input.headers,
                    topicIncarnation: topic.settings.incarnation ?? 0
                )
                records.append((position, record, replaced != nil))
                takenInRequest[id] = DueKey(due: due, seq: seq)
            } catch {
                results[position] = .failure(BrokerError(error))
            }
        }
        var lastOffset: Int64 = -1
        var written = 0
        var failure: BrokerError?
        do {
            try appendScheduled(records.map(\.record), now: now) {
                written = $0; lastOffset = $1
            }
        } catch {
            failure = BrokerError(error)
        }
        for (number, item) in records.enumerated() {
            guard number < written else {
                results[item.input] = .failure(failure ?? BrokerError(.storageError, "not written"))
                continue
            }
            let seq = base + Int64(number)
            noteApplied(apply(.scheduled(item.record), at: seq, now: now))
            results[item.input] = .success(
                ScheduleAccepted(
                    scheduleID: item.record.scheduleID,
                    partition: item.record.partition,
                    due: item.record.due,
                    replaced: item.replaced
                )
            )
        }
        requestFlushIfFull()
        pumpSoon()
        let answer = results.map { $0 ?? .failure(BrokerError(.unknownServerError, "not answered")) }
        guard acks == .durable, lastOffset >= 0 else { return loop.makeSucceededFuture(answer) }
        return Self.answer(answer, durable: whenDurable(lastOffset), within: durableWithin, on: loop)
    }

    /// `answers` once `durable` succeeds (its failure fails every entry taken); if that takes longer
    /// than `timeout`, the entries taken are answered `requestTimedOut` instead. As for a produce,
    /// a timed-out schedule is not undone: it is taken and may still become durable.
    static func answer(
        _ answers: [Result<ScheduleAccepted, BrokerError>],
        durable: EventLoopFuture<Void>,
        within timeout: TimeAmount?,
        on loop: any EventLoop
    ) -> EventLoopFuture<[Result<ScheduleAccepted, BrokerError>]> {
        guard let timeout else { return durable.map { answers } }
        let promise = loop.makePromise(of: [Result<ScheduleAccepted, BrokerError>].self)
        let timer = loop.scheduleTask(in: timeout) {
            let error = BrokerError(
                .requestTimedOut,
                "not durable within timeoutMilliseconds (\(timeout.nanoseconds / 1_000_000) ms); "
                    + "the schedule is taken and may still become durable"
            )
            promise.succeed(answers.map { $0.flatMap { _ in .failure(error) } })
        }
        durable.hop(to: loop).whenComplete { result in
            timer.cancel()
            promise.completeWith(result.map { answers })
        }
        return promise.futureResult
    }

    /// Appends `scheduled` records in schedule-log batches of up to 64 records and about 16 MiB of
    /// messages; after each batch, `appended` gets the records written so far and the batch's last
    /// offset. Stops at the first batch that fails, throwing its error.
    func appendScheduled(
        _ records: [ScheduleRecord.Scheduled],
        now: Int64,
        appended: (_ written: Int, _ lastOffset: Int64) -> Void
    ) throws {
        var start = 0
        while start < records.count {
            var end = start + 1
            var bytes = Self.approximateBytes(records[start])
            while end < records.count, end - start < Self.recordsPerLogBatch {
                bytes += Self.approximateBytes(records[end])
                if bytes > Self.logBatchBytes { break }
                end += 1
            }
            let lastOffset = try append(records[start..<end].map { .scheduled($0) }, now: now)
            appended(end, lastOffset)
            start = end
        }
    }

    /// Appends `records` as one batch; returns the last offset.
    func append(_ records: [ScheduleRecord], now: Int64) throws -> Int64 {
        let batch = RecordBatch(records: records.map { Record(key: nil, value: $0.encoded(), timestamp: now) })
        do {
            return try log.append(batch).lastOffset
        } catch {
            throw BrokerError(error)
        }
    }

    /// Succeeds on the loop once everything up to `offset` is on disk.
    func whenDurable(_ offset: Int64) -> EventLoopFuture<Void> {
        let promise = loop.makePromise(of: Void.self)
        log.whenDurable(offset) { result in
            switch result {
            case .success: promise.succeed(())
            case .failure(let error): promise.fail(BrokerError(error))
            }
        }
        return promise.futureResult
    }

    private func dueTime(of time: ScheduleTime, now: Int64) throws -> Int64 {
        let due: Int64
        switch time {
        case .at(let at): due = at
        case .after(let delay):
            guard delay >= 0 else { throw BrokerError(.invalidRequest, "the delay \(delay) ms is negative") }
            due = now.addingReportingOverflow(delay).overflow ? .max : now + delay
        }
        let earliest = now - settings.pastAllowanceMilliseconds
        guard due >= earliest else {
            throw BrokerError(
                .invalidRequest,
                "the delivery time \(due) is more than \(settings.pastAllowanceMilliseconds) ms before the broker's clock \(now)"
            )
        }
        let latest =
            now.addingReportingOverflow(settings.maxDelayMilliseconds).overflow
            ? Int64.max : now + settings.maxDelayMilliseconds
        guard due <= latest else {
            throw BrokerError(
                .invalidRequest,
                "the delivery time \(due) is more than \(settings.maxDelayMilliseconds) ms after the broker's clock \(now)"
            )
        }
        return due
    }

    private func validatedID(_ id: String) throws -> String {
        let bytes = id.utf8.count
        guard bytes >= 1, bytes <= settings.maxScheduleIDBytes else {
            throw BrokerError(
                .invalidRequest,
                "a schedule id must have 1 to \(settings.maxScheduleIDBytes) bytes; this one has \(bytes)"
            )
        }
        return id
    }

    private func choosePartition(_ input: ScheduleInput, topic: Topic) throws -> Int32 {
        let count = topic.partitionCount
        if let partition = input.partition {
            guard partition >= 0, partition < count else {
                throw BrokerError(.unknownPartition, "topic '\(topic.name)' has no partition \(partition)")
            }
            return partition
        }
        if let key = input.key {
            return Partitioner.partition(forKey: key.readableBytesView, partitionCount: count)
        }
        let next = roundRobin[topic.name, default: 0]
        roundRobin[topic.name] = next &+ 1 < 0 ? 0 : next &+ 1
        return next % count
    }

    private func checkSize(_ input: ScheduleInput) throws {
        var bytes = (input.key?.readableBytes ?? 0) + (input.value?.readableBytes ?? 0)
        for header in input.headers { bytes += header.key.utf8.count + (header.value?.readableBytes ?? 0) }
        // Room for the record's framing and the schedule headers in the fired batch.
        let limit = limits.maxBatchBytes - 4096
        guard bytes <= limit else {
            throw BrokerError(.recordBatchTooLarge, "the message has \(bytes) bytes; at most \(limit) can be scheduled")
        }
    }

    func checkOpen() throws {
        if isClosed { throw BrokerError(.shuttingDown, "the scheduler is closed") }
    }

    // MARK: Looking ids up

    /// The latest state of schedule id `id` of `topic`, with its key, or `nil` if it never existed
    /// (or is forgotten). Candidates with the id's hash are told apart by their records.
    func latestState(topic: String, id: String) throws -> IDEntry? {
        let hash = ScheduleIDHash.of(topic: topic, id: id)
        for state in try index.idStates(forHash: hash) {
            guard let record = try reader.scheduled(at: state.seq, in: log) else {
                // Its segment is reclaimed: nothing pending lives there, so it is fired or
                // cancelled; the 64-bit hash is trusted.
                if state.state == .pending { continue }
                return state
            }
            if record.topic == topic && record.scheduleID == id {
                // Taken for an earlier topic of this name: not this topic's schedule.
                if let current = registry.topic(named: topic), record.predates(current) { return nil }
                return state
            }
        }
        return nil
    }

    /// The key of `id`'s pending schedule, if it has one that is not already firing.
    private func pendingKey(topic: String, id: String) throws -> DueKey? {
        guard let state = try latestState(topic: topic, id: id), state.state == .pending else { return nil }
        let key = DueKey(due: state.due, seq: state.seq)
        // Being appended now: it is delivered; the new schedule is a new one.
        return firingSeqs[state.seq] == nil ? key : nil
    }

    // MARK: Cancel

    /// Cancels each id of `topic`, answering once each `cancelled` is durable.
    func cancel(topic: String, ids: [String]) -> EventLoopFuture<[Result<CancelAnswer, BrokerError>]> {
        loop.flatSubmit {
            do {
                try self.checkOpen()
                guard self.registry.topic(named: topic) != nil else {
                    throw BrokerError(.unknownTopic, "unknown topic '\(topic)'")
                }
                return self.cancelAll(topic: topic, ids: ids)
            } catch {
                return self.loop.makeFailedFuture(error)
            }
        }
    }

    /// Decides every id of a request, writes the `cancelled` records of the pending ones together
    /// (one append per 1,024) and answers them once durable.
    private func cancelAll(topic: String, ids: [String]) -> EventLoopFuture<[Result<CancelAnswer, BrokerError>]> {
        var answers: [EventLoopFuture<CancelAnswer>] = []
        var records: [ScheduleRecord] = []
        var recordAnswers: [Int] = []
        var cancelledInRequest: Set<String> = []
        for id in ids {
            guard !cancelledInRequest.contains(id) else {
                // The same id twice: the first cancels it.
                answers.append(loop.makeSucceededFuture(.unknown))
                continue
            }
            do {
                guard let state = try latestState(topic: topic, id: id), state.state == .pending,
                    firingSeqs[state.seq] == nil
                else {
                    answers.append(cancelOne(topic: topic, id: id))
                    continue
                }
                cancelledInRequest.insert(id)
                records.append(
                    .cancelled(.init(topic: topic, key: DueKey(due: state.due, seq: state.seq), idHash: state.idHash))
                )
                recordAnswers.append(answers.count)
                answers.append(loop.makeSucceededFuture(.cancelled))  // replaced below
            } catch {
                answers.append(loop.makeFailedFuture(BrokerError(error)))
            }
        }
        let now = clock()
        var start = 0
        while start < records.count {
            let end = min(records.count, start + 1024)
            let chunk = Array(records[start..<end])
            let outcome: EventLoopFuture<CancelAnswer>
            do {
                let last = try append(chunk, now: now)
                for (number, record) in chunk.enumerated() {
                    noteApplied(apply(record, at: last - Int64(chunk.count - 1 - number), now: now))
                }
                outcome = whenDurable(last).map { .cancelled }
            } catch {
                outcome = loop.makeFailedFuture(BrokerError(error))
            }
            for position in recordAnswers[start..<end] { answers[position] = outcome }
            start = end
        }
        requestFlushIfFull()
        return EventLoopFuture.whenAllComplete(answers, on: loop).map { results in
            results.map { $0.mapError { BrokerError($0) } }
        }
    }

    private func cancelOne(topic: String, id: String) -> EventLoopFuture<CancelAnswer> {
        do {
            guard let state = try latestState(topic: topic, id: id) else { return loop.makeSucceededFuture(.unknown) }
            switch state.state {
            case .fired: return loop.makeSucceededFuture(.alreadyDelivered)
            case .cancelled, .superseded: return loop.makeSucceededFuture(.unknown)
            case .pending: break
            }
            if firingSeqs[state.seq] != nil {
                // Decided by the fire in progress: ask again once it is done.
                let promise = loop.makePromise(of: CancelAnswer.self)
                firingWaiters[state.seq, default: []].append {
                    promise.completeWith(self.cancelOne(topic: topic, id: id))
                }
                return promise.futureResult
            }
            let key = DueKey(due: state.due, seq: state.seq)
            let now = clock()
            let record = ScheduleRecord.cancelled(.init(topic: topic, key: key, idHash: state.idHash))
            let offset = try append([record], now: now)
            noteApplied(apply(record, at: offset, now: now))
            requestFlushIfFull()
            return whenDurable(offset).map { .cancelled }
        } catch {
            return loop.makeFailedFuture(BrokerError(error))
        }
    }

    // MARK: List

    /// One page of `topic`'s pending schedules in due order, from `cursor`.
    func list(
        topic: String,
        dueBefore: Int64?,
        idPrefix: String?,
        cursor: DueKey?,
        limit: Int
    ) -> EventLoopFuture<ScheduleListing> {
        loop.submit {
            try self.checkOpen()
            guard let current = self.registry.topic(named: topic) else {
                throw BrokerError(.unknownTopic, "unknown topic '\(topic)'")
            }
            let tag = ScheduleIDHash.tag(topic: topic)
            var listing = ScheduleListing(pending: self.pendingByTopic[topic] ?? 0, entries: [], next: nil)
            let floor = self.liveFloor()
            var scan = self.index.scan(from: max(cursor ?? floor, floor))
            while let entry = try scan.next() {
                if let dueBefore, entry.due >= dueBefore { break }
                if scan.examined > Self.listExamineLimit {
                    listing.next = entry.key
                    break
                }
                guard entry.topicTag == tag, !self.deadInWindow.contains(entry.seq),
                    let record = try self.reader.scheduled(at: entry.seq, in: self.log), record.topic == topic,
                    !record.predates(current)
                else { continue }
                if let idPrefix, !record.scheduleID.hasPrefix(idPrefix) { continue }
                listing.entries.append(
                    ListedSchedule(
                        scheduleID: record.scheduleID,
                        partition: record.partition,
                        due: record.due,
                        producedAt: record.producedAt,
                        key: record.key,
                        valueBytes: record.value.map { Int32(clamping: $0.readableBytes) } ?? -1
                    )
                )
                if listing.entries.count >= limit {
                    listing.next = DueKey(due: entry.due, seq: entry.seq + 1)
                    break
                }
            }
            return listing
        }
    }
}
