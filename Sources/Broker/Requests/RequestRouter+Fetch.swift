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

    /// One pass over the requested partitions, in order, sharing the `maxBytes` budget (the first
    /// partition with data always gets at least one batch).
    private func readAll(
        _ request: FetchRequest,
        maxBytes: Int,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<(FetchResponse, Int, [(Partition, Int64)])> {
        var queries: [(topic: String, query: FetchRequest.PartitionQuery)] = []
        for topic in request.topics {
            for query in topic.partitions { queries.append((topic.topic, query)) }
        }
        var results: [FetchResponse.PartitionData] = []
        var watched: [(Partition, Int64)] = []
        var used = 0
        var chain = eventLoop.makeSucceededVoidFuture()
        for (topicName, query) in queries {
            chain = chain.flatMap { () -> EventLoopFuture<Void> in
                guard let topic = self.registry.topic(named: topicName) else {
                    results.append(self.failed(query, .unknownTopic, "unknown topic '\(topicName)'"))
                    return eventLoop.makeSucceededVoidFuture()
                }
                guard let partition = topic.partition(query.partition) else {
                    results.append(
                        self.failed(
                            query,
                            .unknownPartition,
                            "topic '\(topicName)' has no partition \(query.partition)"
                        )
                    )
                    return eventLoop.makeSucceededVoidFuture()
                }
                let budget = used > 0 ? max(0, maxBytes - used) : maxBytes
                let limit = min(Int(query.maxBytes), budget)
                guard used == 0 || limit > 0 else {
                    results.append(
                        FetchResponse.PartitionData(partition: query.partition, logStartOffset: -1, logEndOffset: -1)
                    )
                    return eventLoop.makeSucceededVoidFuture()
                }
                return partition.read(from: query.offset, maxBytes: max(1, limit)).map { data in
                    used += data.records.readableBytes
                    results.append(data)
                    watched.append((partition, data.logEndOffset))
                }
            }
        }
        return chain.map {
            var topics: [FetchResponse.TopicData] = []
            var index = 0
            for topic in request.topics {
                let count = topic.partitions.count
                topics.append(.init(topic: topic.topic, partitions: Array(results[index..<(index + count)])))
                index += count
            }
            return (FetchResponse(topics: topics), used, watched)
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
