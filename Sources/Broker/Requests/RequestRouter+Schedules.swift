import BrokerProtocol
import NIOCore
import RecordCodec

extension RequestRouter {
    /// Serves delayed delivery: schedule, cancelSchedule, listSchedules (docs/PROTOCOL.md
    /// §5.25-5.28). The scheduler is opened by the first of them if it is not yet.
    func serveSchedules(
        _ apiKey: APIKey,
        _ body: ByteBuffer,
        on eventLoop: any EventLoop
    ) throws -> EventLoopFuture<(any WireMessage)?> {
        guard let host = schedules.withLockedValue({ $0 }) else {
            throw BrokerError(.shuttingDown, "delayed delivery is not available")
        }
        switch apiKey {
        case .schedule:
            let request = try ScheduleRequest.decode(body)
            try checkEntries(request.entries.count, "schedule entries", in: apiKey)
            // Entries without a valid time are answered on their own; the others are scheduled.
            var inputs: [ScheduleInput] = []
            var positions: [Int] = []
            var answers = [ScheduleResponse.EntryResult?](repeating: nil, count: request.entries.count)
            for (position, entry) in request.entries.enumerated() {
                guard let time = entry.time else {
                    answers[position] = .failure(.invalidRequest, entry.timeProblem ?? "no delivery time")
                    continue
                }
                inputs.append(Self.input(entry, time: time))
                positions.append(position)
            }
            let acks = request.acks
            let topic = request.topic
            let durableWithin: TimeAmount? =
                acks == .durable && request.timeoutMilliseconds > 0
                ? .milliseconds(Int64(request.timeoutMilliseconds)) : nil
            // A missing topic is created as a produce would create it (with --auto-create-topics).
            let resolved = resolveTopic(topic, on: eventLoop)
            let future = eventLoop.makeFutureWithTask {
                _ = try await resolved.get()
                let scheduler = try await host.scheduler()
                return try await scheduler.schedule(topic: topic, inputs, acks: acks, durableWithin: durableWithin)
                    .get()
            }
            let refused = answers
            return future.map { results -> (any WireMessage)? in
                guard acks != .none else { return nil }
                var answers = refused
                for (result, position) in zip(results, positions) {
                    switch result {
                    case .success(let accepted):
                        answers[position] = ScheduleResponse.EntryResult(
                            scheduleID: accepted.scheduleID,
                            partition: accepted.partition,
                            deliverAt: accepted.due,
                            replaced: accepted.replaced
                        )
                    case .failure(let error):
                        answers[position] = .failure(error.code, error.message)
                    }
                }
                return ScheduleResponse(
                    entries: answers.map { $0 ?? .failure(.unknownServerError, "not answered") }
                )
            }
        case .cancelSchedule:
            let request = try CancelScheduleRequest.decode(body)
            try checkEntries(request.scheduleIDs.count, "schedule ids", in: apiKey)
            return Self.erased(
                eventLoop.makeFutureWithTask {
                    let scheduler = try await host.scheduler()
                    let results = try await scheduler.cancel(topic: request.topic, ids: request.scheduleIDs).get()
                    return CancelScheduleResponse(
                        entries: results.map { result in
                            switch result {
                            case .success(.cancelled): .init(outcome: .cancelled)
                            case .success(.alreadyDelivered): .init(outcome: .alreadyDelivered)
                            case .success(.unknown): .init(outcome: .unknown)
                            case .failure(let error):
                                .init(outcome: .unknown, errorCode: error.code, errorMessage: error.message)
                            }
                        }
                    )
                }
            )
        case .listSchedules:
            let request = try ListSchedulesRequest.decode(body)
            let cursor = try request.cursor.map(Self.decodeCursor)
            return Self.erased(
                eventLoop.makeFutureWithTask {
                    let scheduler = try await host.scheduler()
                    let listing = try await scheduler.list(
                        topic: request.topic,
                        dueBefore: request.dueBefore,
                        idPrefix: request.idPrefix,
                        cursor: cursor,
                        limit: Int(request.limit)
                    ).get()
                    return ListSchedulesResponse(
                        pending: listing.pending,
                        entries: listing.entries.map {
                            ListSchedulesResponse.Entry(
                                scheduleID: $0.scheduleID,
                                partition: $0.partition,
                                deliverAt: $0.due,
                                producedAt: $0.producedAt,
                                key: $0.key,
                                valueBytes: $0.valueBytes
                            )
                        },
                        cursor: listing.next.map(Self.encodeCursor)
                    )
                }
            )
        default:
            throw BrokerError(.unsupportedAPI, "API key \(apiKey.rawValue) is not served by this broker")
        }
    }

    private static func input(_ entry: ScheduleRequest.Entry, time: ScheduleRequest.Time) -> ScheduleInput {
        let scheduleTime: ScheduleTime
        switch time {
        case .at(let at): scheduleTime = .at(at)
        case .after(let delay): scheduleTime = .after(delay)
        }
        return ScheduleInput(
            partition: entry.partition,
            time: scheduleTime,
            scheduleID: entry.scheduleID,
            timestamp: entry.timestamp,
            key: entry.key,
            value: entry.value,
            headers: entry.headers.map { RecordHeader(key: $0.key, value: $0.value) }
        )
    }

    /// A listing cursor: the next page's first key, 16 bytes (due, seq).
    static func encodeCursor(_ key: DueKey) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(key.due)
        buffer.writeInteger(key.seq)
        return buffer
    }

    static func decodeCursor(_ bytes: ByteBuffer) throws -> DueKey {
        var bytes = bytes
        guard bytes.readableBytes == 16, let due = bytes.readInteger(as: Int64.self),
            let seq = bytes.readInteger(as: Int64.self)
        else {
            throw BrokerError(.invalidRequest, "the listing cursor is not one this broker returned")
        }
        return DueKey(due: due, seq: seq)
    }
}
