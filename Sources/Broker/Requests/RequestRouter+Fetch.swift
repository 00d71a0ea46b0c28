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
        let queries = request.topics.flatMap { topic in topic.partitions.map { (topic: topic.topic, query: $0) } }
        return read(queries, from: 0, into: FetchPass(), maxBytes: maxBytes, on: eventLoop).map { pass in
            var topics: [FetchResponse.TopicData] = []
            var index = 0
            for topic in request.topics {
                let count = topic.partitions.count
                topics.append(.init(topic: topic.topic, partitions: Array(pass.results[index..<(index + count)])))
                index += count
            }
            return (FetchResponse(topics: topics), pass.used, pass.watched)
        }
    }

    /// Reads `queries[index...]` one after the other (each on its partition's loop).
    private func read(
        _ queries: [(topic: String, query: FetchRequest.PartitionQuery)],
        from index: Int,
        into pass: FetchPass,
        maxBytes: Int,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<FetchPass> {
        guard index < queries.count else { return eventLoop.makeSucceededFuture(pass) }
        let (topicName, query) = queries[index]
        var pass = pass
        let next: @Sendable (FetchPass) -> EventLoopFuture<FetchPass> = { pass in
            self.read(queries, from: index + 1, into: pass, maxBytes: maxBytes, on: eventLoop)
        }
        guard let topic = registry.topic(named: topicName) else {
            pass.results.append(failed(query, .unknownTopic, "unknown topic '\(topicName)'"))
            return next(pass)
        }
        guard let partition = topic.partition(query.partition) else {
            pass.results.append(
                failed(query, .unknownPartition, "topic '\(topicName)' has no partition \(query.partition)")
            )
            return next(pass)
        }
        let budget = pass.used > 0 ? max(0, maxBytes - pass.used) : maxBytes
        let limit = min(Int(query.maxBytes), budget)
        guard pass.used == 0 || limit > 0 else {
            pass.results.append(.init(partition: query.partition, logStartOffset: -1, logEndOffset: -1))
            return next(pass)
        }
        let sofar = pass
        return partition.read(from: query.offset, maxBytes: max(1, limit)).hop(to: eventLoop).flatMap { data in
            var pass = sofar
            pass.used += data.records.readableBytes
            pass.results.append(data)
            pass.watched.append((partition, data.logEndOffset))
            return next(pass)
        }
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
