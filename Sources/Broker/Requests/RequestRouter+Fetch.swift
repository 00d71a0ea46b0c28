import BrokerProtocol
import NIOConcurrencyHelpers
import NIOCore

extension RequestRouter {
    /// Reads the requested partitions; if fewer than `minBytes` came back, waits (long polling)
    /// until a requested partition gets an append or `maxWaitMilliseconds` pass, and reads again.
    ///
    /// Its time goes to `sluice_request_duration_seconds` without the waiting, which goes to
    /// `sluice_fetch_wait_seconds`: an idle consumer's long polls do not look like slow requests.
    func fetch(_ request: FetchRequest, on eventLoop: any EventLoop) -> EventLoopFuture<FetchResponse> {
        let started = NIODeadline.now()
        let wait = min(request.maxWaitMilliseconds, configuration.limits.maxFetchWaitMilliseconds)
        let deadline = started + .milliseconds(Int64(wait))
        let maxBytes = min(Int(request.maxBytes), configuration.limits.maxFetchBytes)
        let waited = NIOLockedValueBox<Int64>(0)
        let statistics = self.statistics
        return fetchRound(request, maxBytes: maxBytes, deadline: deadline, waited: waited, on: eventLoop).always { _ in
            let waitedNanoseconds = waited.withLockedValue { $0 }
            let total = (NIODeadline.now() - started).nanoseconds
            statistics.requestTimers[.fetch]?.recordNanoseconds(max(0, total - waitedNanoseconds))
            if waitedNanoseconds > 0 { statistics.fetchWait.recordNanoseconds(waitedNanoseconds) }
        }
    }

    private func fetchRound(
        _ request: FetchRequest,
        maxBytes: Int,
        deadline: NIODeadline,
        waited: NIOLockedValueBox<Int64>,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<FetchResponse> {
        readAll(request, maxBytes: maxBytes, on: eventLoop).flatMap { response, bytes, partitions in
            let hasError = response.topics.contains { $0.partitions.contains { $0.errorCode != .none } }
            if bytes >= Int(request.minBytes) || hasError || NIODeadline.now() >= deadline || partitions.isEmpty
                || self.registry.isEndingLongPolls
            {
                return eventLoop.makeSucceededFuture(response)
            }
            let wakeup = FetchWakeup(eventLoop: eventLoop)
            for (partition, seenEnd) in partitions { partition.notify(wakeup, whenDataAfter: seenEnd) }
            let timeout = eventLoop.scheduleTask(deadline: deadline) { wakeup.fire() }
            let waitStarted = NIODeadline.now()
            return wakeup.futureResult.flatMap {
                timeout.cancel()
                waited.withLockedValue { $0 += (NIODeadline.now() - waitStarted).nanoseconds }
                return self.fetchRound(request, maxBytes: maxBytes, deadline: deadline, waited: waited, on: eventLoop)
            }
        }
    }

    /// What one pass over the partitions has gathered so far.
    struct FetchPass: Sendable {
        var results: [FetchResponse.PartitionData] = []
        /// Record bytes read so far, against the response's `maxBytes`.
        var used = 0
        /// Each partition read, with the log end offset it reported (long polling waits past it).
        var watched: [(Partition, Int64)] = []
    }

    /// One pass over the requested partitions, in order, sharing the `maxBytes` budget (the first
    /// partition with data always gets at least one batch).
    private func readAll(
        _ request: FetchRequest,
        maxBytes: Int,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<(FetchResponse, Int, [(Partition, Int64)])> {
        var queries: [(topic: String, query: FetchRequest.PartitionQuery)] = []
        queries.reserveCapacity(request.topics.reduce(0) { $0 + $1.partitions.count })
        for topic in request.topics {
            for query in topic.partitions { queries.append((topic.topic, query)) }
        }
        let reader = FetchPassReader(router: self, queries: queries, maxBytes: maxBytes, eventLoop: eventLoop)
        reader.run()
        return reader.promise.futureResult.map { pass in
            var topics: [FetchResponse.TopicData] = []
            topics.reserveCapacity(request.topics.count)
            var index = 0
            for topic in request.topics {
                let count = topic.partitions.count
                topics.append(.init(topic: topic.topic, partitions: Array(pass.results[index..<(index + count)])))
                index += count
            }
            return (FetchResponse(topics: topics), pass.used, pass.watched)
        }
    }

    /// The answer for one query that needs no read (unknown topic or partition), the partition to
    /// read and how many bytes it may return, or, once the budget is spent, the partition whose
    /// offsets (and range check) to answer with no records.
    enum FetchStep {
        case answer(FetchResponse.PartitionData)
        case read(Partition, maxBytes: Int)
        case offsetsOnly(Partition)
    }

    func fetchStep(
        _ topicName: String,
        _ query: FetchRequest.PartitionQuery,
        pass: FetchPass,
        maxBytes: Int
    ) -> FetchStep {
        guard let topic = registry.topic(named: topicName) else {
            return .answer(failed(query, .unknownTopic, "unknown topic '\(topicName)'"))
        }
        guard let partition = topic.partition(query.partition) else {
            return .answer(failed(query, .unknownPartition, "topic '\(topicName)' has no partition \(query.partition)"))
        }
        let budget = pass.used > 0 ? max(0, maxBytes - pass.used) : maxBytes
        let limit = min(Int(query.maxBytes), budget)
        guard pass.used == 0 || limit > 0 else { return .offsetsOnly(partition) }
        return .read(partition, maxBytes: max(1, limit))
    }

    private func failed(
        _ query: FetchRequest.PartitionQuery,
        _ code: ErrorCode,
        _ message: String
    ) -> FetchResponse.PartitionData {
        FetchResponse.PartitionData(
            partition: query.partition,
            errorCode: code,
            errorMessage: message,
            logStartOffset: -1,
            logEndOffset: -1
        )
    }
}
