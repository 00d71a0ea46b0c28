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
        return router.fetch(native, on: eventLoop).map { response in
            let topics = response.topics.map { topic in
                KafkaFetchResponse.Topic(
                    name: topic.topic,
                    partitions: topic.partitions.map(Self.partition)
                )
            }
            return .frame(
                KafkaFetchResponse(topics: topics).encodeFrameSegments(version: version, correlationID: correlationID)
            )
        }.recover { error in
            .close(reason: "fetch failed: \(error)")
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
