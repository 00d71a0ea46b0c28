import BrokerProtocol
import NIOCore

extension RequestRouter {
    /// Reads the requested partitions; if fewer than `minBytes` came back, waits (long polling)
    /// until a requested partition gets an append or `maxWaitMilliseconds` pass, and reads again.
    func fetch(_ request: FetchRequest, on eventLoop: any EventLoop) -> EventLoopFuture<FetchResponse> {
        let wait = min(request.maxWaitMilliseconds, configuration.limits.maxFetchWaitMilliseconds)
        let deadline = NIODeadline.now() + .milliseconds(Int64(wait))
        let maxBytes = min(Int(request.maxBytes), configuration.limits.maxFetchBytes)
        return fetchRound(request, maxBytes: maxBytes, deadline: deadline, on: eventLoop)
    }

    private func fetchRound(
        _ request: FetchRequest,
        maxBytes: Int,
        deadline: NIODeadline,
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
            return wakeup.futureResult.flatMap {
                timeout.cancel()
                return self.fetchRound(request, maxBytes: maxBytes, deadline: deadline, on: eventLoop)
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

    /// The answer for one query that needs no read (unknown topic or partition, budget spent), or
    /// the partition to read and how many bytes it may return.
    fileprivate enum Step {
        case answer(FetchResponse.PartitionData)
        case read(Partition, maxBytes: Int)
    }

    fileprivate func step(
        _ topicName: String,
        _ query: FetchRequest.PartitionQuery,
        pass: FetchPass,
        maxBytes: Int
    ) -> Step {
        guard let topic = registry.topic(named: topicName) else {
            return .answer(failed(query, .unknownTopic, "unknown topic '\(topicName)'"))
        }
        guard let partition = topic.partition(query.partition) else {
            return .answer(failed(query, .unknownPartition, "topic '\(topicName)' has no partition \(query.partition)"))
        }
        let budget = pass.used > 0 ? max(0, maxBytes - pass.used) : maxBytes
        let limit = min(Int(query.maxBytes), budget)
        guard pass.used == 0 || limit > 0 else {
            return .answer(.init(partition: query.partition, logStartOffset: -1, logEndOffset: -1))
        }
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

/// Reads the queries of one fetch pass one after the other, in a loop on the connection's event
/// loop: queries that need no read are answered in the loop itself, and a partition read that
/// completes later resumes the loop, so that the work is linear in the number of queries and the
/// stack does not grow with it (a read that has already completed is taken by the running loop,
/// not by a nested call).
private final class FetchPassReader {
    let router: RequestRouter
    let queries: [(topic: String, query: FetchRequest.PartitionQuery)]
    let maxBytes: Int
    let eventLoop: any EventLoop
    let promise: EventLoopPromise<RequestRouter.FetchPass>
    private var pass = RequestRouter.FetchPass()
    private var index = 0
    private var isRunning = false
    private var readInline: (Partition, Result<FetchResponse.PartitionData, any Error>)?

    init(
        router: RequestRouter,
        queries: [(topic: String, query: FetchRequest.PartitionQuery)],
        maxBytes: Int,
        eventLoop: any EventLoop
    ) {
        self.router = router
        self.queries = queries
        self.maxBytes = maxBytes
        self.eventLoop = eventLoop
        self.promise = eventLoop.makePromise()
        pass.results.reserveCapacity(queries.count)
    }

    /// Runs the loop until every query is answered or a read is under way.
    func run() {
        eventLoop.preconditionInEventLoop()
        isRunning = true
        defer { isRunning = false }
        while index < queries.count {
            let (topicName, query) = queries[index]
            index += 1
            switch router.step(topicName, query, pass: pass, maxBytes: maxBytes) {
            case .answer(let data):
                pass.results.append(data)
            case .read(let partition, let limit):
                let loopBound = NIOLoopBound(self, eventLoop: eventLoop)
                partition.read(from: query.offset, maxBytes: limit).hop(to: eventLoop).whenComplete { result in
                    let reader = loopBound.value
                    if reader.isRunning {
                        reader.readInline = (partition, result)
                    } else {
                        guard reader.accept(partition, result) else { return }
                        reader.run()
                    }
                }
                guard let (partition, result) = readInline else { return }
                readInline = nil
                guard accept(partition, result) else { return }
            }
        }
        promise.succeed(pass)
    }

    /// Adds a read's result; `false` (and the pass failed) if the read failed.
    private func accept(_ partition: Partition, _ result: Result<FetchResponse.PartitionData, any Error>) -> Bool {
        switch result {
        case .success(let data):
            pass.used += data.records.readableBytes
            pass.results.append(data)
            pass.watched.append((partition, data.logEndOffset))
            return true
        case .failure(let error):
            promise.fail(error)
            return false
        }
    }
}

@available(*, unavailable)
extension FetchPassReader: Sendable {}
