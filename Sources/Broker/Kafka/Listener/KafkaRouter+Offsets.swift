import BrokerProtocol
import KafkaProtocol
import NIOCore

extension KafkaRouter {
    /// ListOffsets 0-5: -2 is the log start offset, -1 the log end, any other timestamp the first
    /// offset whose record's timestamp is at or after it (the log's time index), or -1 if none.
    ///
    /// The timestamp answered (v1+) is -1: the log's time index gives the offset, not the
    /// record's own timestamp. v0 answers its offset list with that one offset. A missing topic
    /// or partition is UNKNOWN_TOPIC_OR_PARTITION (ListOffsets never creates topics).
    func listOffsets(
        _ request: KafkaListOffsetsRequest,
        version: Int16,
        correlationID: Int32,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<KafkaReply> {
        let entryCount = request.topics.reduce(0) { $0 + $1.partitions.count }
        guard entryCount <= router.configuration.limits.maxEntriesPerRequest else {
            return eventLoop.makeSucceededFuture(
                .close(reason: "a ListOffsets of \(entryCount) partitions is over maxEntriesPerRequest")
            )
        }
        let registry = router.registry
        let topics = request.topics.map { topic -> EventLoopFuture<KafkaListOffsetsResponse.Topic> in
            let known = registry.topic(named: topic.name)
            let partitions = topic.partitions.map { query -> EventLoopFuture<KafkaListOffsetsResponse.Partition> in
                guard let partition = known?.partition(query.partitionIndex) else {
                    return eventLoop.makeSucceededFuture(
                        .init(partitionIndex: query.partitionIndex, errorCode: .unknownTopicOrPartition)
                    )
                }
                guard query.timestamp >= KafkaListOffsetsRequest.earliestTimestamp else {
                    return eventLoop.makeSucceededFuture(
                        .init(partitionIndex: query.partitionIndex, errorCode: .invalidRequest)
                    )
                }
                return partition.offset(for: query.timestamp).map { result in
                    let code = KafkaErrorMapping.kafkaCode(for: result.errorCode)
                    return .init(
                        partitionIndex: query.partitionIndex,
                        errorCode: code,
                        oldStyleOffsets: code == .none && result.offset >= 0 ? [result.offset] : [],
                        timestamp: -1,
                        offset: code == .none ? result.offset : -1
                    )
                }
            }
            return EventLoopFuture.whenAllSucceed(partitions, on: eventLoop).map {
                .init(name: topic.name, partitions: $0)
            }
        }
        return EventLoopFuture.whenAllSucceed(topics, on: eventLoop).map { topics in
            .frame([
                KafkaListOffsetsResponse(topics: topics).encodeFrame(version: version, correlationID: correlationID)
            ])
        }
    }

    /// InitProducerId 0-1 for idempotent producers: a fresh producer id from the broker's
    /// allocator (the same ids and epoch as Sluice's own `initProducer`), so the partitions'
    /// sequence checks are those of native idempotent producers. Transactions are not served:
    /// a transactional id is refused with TRANSACTIONAL_ID_AUTHORIZATION_FAILED.
    func initProducerID(
        _ request: KafkaInitProducerIDRequest,
        version: Int16,
        correlationID: Int32,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<KafkaReply> {
        @Sendable func reply(_ body: KafkaInitProducerIDResponse) -> KafkaReply {
            .frame([body.encodeFrame(version: version, correlationID: correlationID)])
        }
        guard request.transactionalID == nil else {
            return eventLoop.makeSucceededFuture(
                reply(.init(errorCode: .transactionalIDAuthorizationFailed, producerID: -1, producerEpoch: -1))
            )
        }
        let allocator = router.producerIDs
        return router.threadPool.runIfActive(eventLoop: eventLoop) { try allocator.allocate() }.map { id in
            reply(.init(producerID: id, producerEpoch: ProducerIDAllocator.issuedEpoch))
        }.recover { error in
            let code = KafkaErrorMapping.kafkaCode(for: BrokerError(error).code)
            return reply(
                .init(errorCode: code == .none ? .unknownServerError : code, producerID: -1, producerEpoch: -1)
            )
        }
    }
}
