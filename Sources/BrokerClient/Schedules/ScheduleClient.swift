import BrokerProtocol
import Logging

@_exported import enum BrokerProtocol.CancelOutcome

/// Delayed delivery: schedules messages for later, cancels and lists pending schedules.
///
/// A scheduled message is held by the broker, invisible to readers, and appended to its partition
/// at its due time; each has a schedule id unique per topic. Every method sends one request; an
/// error of the whole request throws a ``ClientError``, an error of one message or id comes back
/// in its result.
///
/// ```swift
/// let schedules = ScheduleClient(transport: connection)
/// let scheduled = try await schedules.schedule(
///     topic: "orders", key: "1234", value: "timeout", deliver: .after(.seconds(900)),
///     scheduleID: "order-timeout:1234")
/// let outcome = try await schedules.cancel(topic: "orders", scheduleID: "order-timeout:1234")
/// ```
public struct ScheduleClient: Sendable {
    let transport: any BrokerTransport
    let logger: Logger

    /// Creates a client that talks through `transport` (usually a ``BrokerConnection``).
    public init(transport: any BrokerTransport, logger: Logger = Logger(label: "sluice.schedules")) {
        self.transport = transport
        self.logger = logger
    }

    // MARK: Schedule

    /// Schedules messages of one topic in one request.
    /// - Parameters:
    ///   - acks: `durable` (the default): answered once the schedules survive a crash; `written`:
    ///     once the broker stored them; `none`: not answered (the result is then empty, the ids
    ///     unknown).
    ///   - timeout: with `durable`, how long the broker may wait for the flush before it answers
    ///     `requestTimedOut` for an entry (which may still become durable).
    /// - Returns: one result per message, in order: where and when it will be delivered, or the
    ///   broker's error for it (`invalidRequest`, `limitExceeded` for the broker's pending-schedule
    ///   limit, …). Empty for `acks` `none` or no messages.
    /// - Throws: ``ClientError``: `invalidArgument` for a message the broker would refuse (a
    ///   negative time, delay or partition, a schedule id empty or over 1,024 bytes; nothing is
    ///   sent), a request-level error (`broker(.unknownTopic)`, …), or a connection error.
    public func schedule(
        topic: String,
        _ messages: [DelayedMessage],
        acks: AcknowledgementLevel = .durable,
        timeout: Duration = .seconds(30)
    ) async throws -> [Result<ScheduledMessage, ClientError>] {
        guard !messages.isEmpty else { return [] }
        let request = ScheduleRequest(
            acks: acks.wireValue,
            timeoutMilliseconds: UInt32(clamping: Admin.milliseconds(timeout)),
            topic: topic,
            entries: try messages.map { try $0.wireEntry() }
        )
        if acks == .none {
            try await transport.sendWithoutResponse(request)
            return []
        }
        let response = try await transport.send(request, as: ScheduleResponse.self)
        guard response.entries.count == messages.count else {
            throw ClientError(
                .protocolViolation,
                "the broker answered \(response.entries.count) schedules for \(messages.count) sent"
            )
        }
        let results = try response.entries.map { entry -> Result<ScheduledMessage, ClientError> in
            guard entry.errorCode == .none else { return .failure(.broker(entry.errorCode, entry.errorMessage)) }
            guard let id = entry.scheduleID else {
                throw ClientError(.protocolViolation, "the broker scheduled a message without a schedule id")
            }
            return .success(
                ScheduledMessage(
                    scheduleID: id,
                    partition: entry.partition,
                    deliverAt: entry.deliverAt,
                    replaced: entry.replaced
                )
            )
        }
        logger.debug("scheduled", metadata: ["topic": "\(topic)", "messages": "\(messages.count)"])
        return results
    }

    /// Schedules one message and waits for the broker's answer (`durable` unless `acks` says
    /// otherwise; `none` is not accepted here, since there would be nothing to return).
    /// - Returns: the schedule id (given or generated), partition and due time.
    /// - Throws: ``ClientError``: the broker's error for the message, or as
    ///   ``schedule(topic:_:acks:timeout:)``.
    public func schedule(
        topic: String,
        key: (any MessageBytes)? = nil,
        value: (any MessageBytes)?,
        headers: [RecordHeader] = [],
        partition: Int32? = nil,
        deliver time: DeliveryTime,
        scheduleID: String? = nil,
        timestamp: Int64? = nil,
        acks: AcknowledgementLevel = .durable
    ) async throws -> ScheduledMessage {
        guard acks != .none else {
            throw ClientError(.invalidArgument, "acks none gets no answer: schedule it with schedule(topic:_:acks:)")
        }
        let message = DelayedMessage(
            key: key,
            value: value,
            headers: headers,
            partition: partition,
            deliver: time,
            scheduleID: scheduleID,
            timestamp: timestamp
        )
        return try await schedule(topic: topic, [message], acks: acks)[0].get()
    }

    // MARK: Cancel

    /// Cancels pending schedules of one topic.
    /// - Returns: one result per id, in order: `cancelled` (it will never be delivered),
    ///   `alreadyDelivered` (it was, once) or `unknown`; or the broker's error for the id.
    /// - Throws: ``ClientError``: `invalidArgument` for an id empty or over 1,024 bytes (nothing is
    ///   sent), a request-level error, or a connection error.
    public func cancel(topic: String, scheduleIDs: [String]) async throws -> [Result<CancelOutcome, ClientError>] {
        guard !scheduleIDs.isEmpty else { return [] }
        for id in scheduleIDs {
            if let problem = ScheduleLimits.problem(withScheduleID: id) { throw ClientError(.invalidArgument, problem) }
        }
        let response = try await transport.send(
            CancelScheduleRequest(topic: topic, scheduleIDs: scheduleIDs),
            as: CancelScheduleResponse.self
        )
        guard response.entries.count == scheduleIDs.count else {
            throw ClientError(
                .protocolViolation,
                "the broker answered \(response.entries.count) cancellations for \(scheduleIDs.count) ids sent"
            )
        }
        logger.debug("cancelled schedules", metadata: ["topic": "\(topic)", "ids": "\(scheduleIDs.count)"])
        return response.entries.map { entry in
            entry.errorCode == .none ? .success(entry.outcome) : .failure(.broker(entry.errorCode, entry.errorMessage))
        }
    }

    /// Cancels one pending schedule.
    /// - Returns: `cancelled`, `alreadyDelivered` or `unknown`.
    /// - Throws: ``ClientError``, also the broker's error for the id.
    public func cancel(topic: String, scheduleID: String) async throws -> CancelOutcome {
        try await cancel(topic: topic, scheduleIDs: [scheduleID])[0].get()
    }

    // MARK: List

    /// One page of a topic's pending schedules.
    /// - Parameters:
    ///   - dueBefore: only schedules due before this time (epoch milliseconds); `nil`: any.
    ///   - idPrefix: only ids that start with it; `nil`: any.
    ///   - limit: the most schedules on the page, 1 ... 1,000.
    ///   - cursor: the previous page's ``SchedulePage/next`` (with the same filters); `nil`: the
    ///     first page.
    /// - Throws: ``ClientError``: `invalidArgument` for a limit out of range or a prefix over 1,024
    ///   bytes, a request-level error (`broker(.unknownTopic)`), or a connection error.
    public func listPage(
        topic: String,
        dueBefore: Int64? = nil,
        idPrefix: String? = nil,
        limit: Int = Int(ScheduleLimits.maxListLimit),
        after cursor: ScheduleCursor? = nil
    ) async throws -> SchedulePage {
        guard let limit = Int32(exactly: limit), ScheduleLimits.problem(withListLimit: limit) == nil else {
            throw ClientError(.invalidArgument, "limit is 1 to \(ScheduleLimits.maxListLimit), not \(limit)")
        }
        if let idPrefix, idPrefix.utf8.count > ScheduleLimits.maxScheduleIDBytes {
            throw ClientError(
                .invalidArgument,
                "an id prefix of \(idPrefix.utf8.count) bytes is longer than any schedule id "
                    + "(\(ScheduleLimits.maxScheduleIDBytes))"
            )
        }
        if let dueBefore, dueBefore < 0 {
            throw ClientError(.invalidArgument, "dueBefore \(dueBefore) is before the epoch")
        }
        let response = try await transport.send(
            ListSchedulesRequest(
                topic: topic,
                dueBefore: dueBefore,
                idPrefix: idPrefix,
                cursor: cursor?.bytes,
                limit: limit
            ),
            as: ListSchedulesResponse.self
        )
        guard response.entries.count <= Int(limit) else {
            throw ClientError(
                .protocolViolation,
                "the broker answered \(response.entries.count) schedules for a page of at most \(limit)"
            )
        }
        return SchedulePage(
            pending: response.pending,
            schedules: response.entries.map { entry in
                PendingSchedule(
                    scheduleID: entry.scheduleID,
                    partition: entry.partition,
                    deliverAt: entry.deliverAt,
                    producedAt: entry.producedAt,
                    key: entry.key,
                    valueBytes: entry.valueBytes < 0 ? nil : Int(entry.valueBytes)
                )
            },
            next: response.cursor.map(ScheduleCursor.init(bytes:))
        )
    }

    /// Every page of a topic's pending schedules, fetched as the sequence is iterated (see
    /// ``SchedulePages``). The arguments are checked by the first page's request, as for
    /// ``listPage(topic:dueBefore:idPrefix:limit:after:)``.
    public func pages(
        topic: String,
        dueBefore: Int64? = nil,
        idPrefix: String? = nil,
        pageSize: Int = Int(ScheduleLimits.maxListLimit)
    ) -> SchedulePages {
        SchedulePages(client: self, topic: topic, dueBefore: dueBefore, idPrefix: idPrefix, pageSize: pageSize)
    }
}
