import BrokerProtocol
import KafkaProtocol
import NIOCore

extension KafkaRouter {
    /// Fetch 4-11 on the native fetch path (``RequestRouter/fetch(_:on:)``): the same reads, the
    /// same `maxBytes` budget and the same long polling (`max_wait_ms` / `min_bytes`, woken by
    /// an append to any partition asked for, capped by ``BrokerLimits/maxFetchWaitMilliseconds``).
    ///
    /// Each partition's records are the buffer the log read returned, written as they are
    /// (`KafkaFetchResponse.encodeFrameSegments`). The high watermark and last stable offset
    /// are the log end (Sluice has no replication and no transactions), the log start offset
    /// is the log's. Fetch sessions are not kept: the session id answered is 0, so clients send
    /// full fetches.
    func fetch(
        _ request: KafkaFetchRequest,
        version: Int16,
        correlationID: Int32,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<KafkaReply> {
        let native = FetchRequest(
            maxWaitMilliseconds: UInt32(clamping: max(0, request.maxWaitMs)),
            minBytes: UInt32(clamping: max(0, request.minBytes)),
            maxBytes: UInt32(clamping: max(0, request.maxBytes)),
            topics: request.topics.map { topic in
                .init(
                    topic: topic.name,
                    partitions: topic.partitions.map {
                        .init(
                            partition: $0.partitionIndex,
                            offset: $0.fetchOffset,
                            maxBytes: UInt32(clamping: max(0, $0.partitionMaxBytes))
                        )
                    }
                )
            }
        )
        let partitionCount = native.topics.reduce(0) { $0 + $1.partitions.count }
        guard native.topics.count <= router.configuration.limits.maxEntriesPerRequest,
            partitionCount <= router.configuration.limits.maxEntriesPerRequest
        else {
            return eventLoop.makeSucceededFuture(
                .close(
                    reason: "a fetch of \(partitionCount) partitions is over maxEntriesPerRequest "
                        + "(\(router.configuration.limits.maxEntriesPerRequest))"
                )
            )
        }
        let registry = router.registry
        let maxFetchBytes = router.configuration.limits.maxFetchBytes
        return router.fetch(native, on: eventLoop).flatMap { response in
            let topics = zip(response.topics, native.topics).map { topic, query in
                let partitions = zip(topic.partitions, query.partitions).map { data, partitionQuery in
                    guard data.lostOffsets != nil,
                        let partition = registry.topic(named: topic.topic)?.partition(data.partition)
                    else { return eventLoop.makeSucceededFuture(data) }
                    return Self.stepOverLostOffsets(
                        data,
                        partition: partition,
                        maxBytes: min(Int(partitionQuery.maxBytes), maxFetchBytes)
                    )
                    .hop(to: eventLoop)
                }
                return EventLoopFuture.whenAllSucceed(partitions, on: eventLoop).map {
                    KafkaFetchResponse.Topic(name: topic.topic, partitions: $0.map(Self.partition))
                }
            }
            return EventLoopFuture.whenAllSucceed(topics, on: eventLoop).map { topics in
                .frame(
                    KafkaFetchResponse(topics: topics).encodeFrameSegments(
                        version: version,
                        correlationID: correlationID
                    )
                )
            }
        }.recover { error in
            .close(reason: "fetch failed: \(error)")
        }
    }

    /// The most lost ranges one fetch steps over in one partition before answering
    /// KAFKA_STORAGE_ERROR.
    static let maxLostRangesSkipped = 8

    /// A read that met offsets lost to damage on disk, read again from the first offset after
    /// them: Kafka has no "offsets lost" answer, and its clients accept batches that start after
    /// the offset they fetched (as after a gap in a compacted log), so they step over the gap.
    /// Sluice's own clients get `offsetsLost` with the range instead and say so.
    static func stepOverLostOffsets(
        _ data: FetchResponse.PartitionData,
        partition: Partition,
        maxBytes: Int,
        skipped: Int = 0
    ) -> EventLoopFuture<FetchResponse.PartitionData> {
        guard let lost = data.lostOffsets, skipped < maxLostRangesSkipped else {
            return partition.eventLoop.makeSucceededFuture(data)
        }
        return partition.read(from: lost.upperBound, maxBytes: max(1, maxBytes)).flatMap { next in
            stepOverLostOffsets(next, partition: partition, maxBytes: maxBytes, skipped: skipped + 1)
        }
    }

    /// One partition's answer, its records the log read's own buffer.
    static func partition(_ data: FetchResponse.PartitionData) -> KafkaFetchResponse.Partition {
        let code = KafkaErrorMapping.kafkaCode(for: data.errorCode)
        return KafkaFetchResponse.Partition(
            partitionIndex: data.partition,
            errorCode: code,
            highWatermark: data.logEndOffset,
            lastStableOffset: data.logEndOffset,
            logStartOffset: data.logStartOffset,
            abortedTransactions: nil,
            records: code == .none ? data.records : nil
        )
    }
}
