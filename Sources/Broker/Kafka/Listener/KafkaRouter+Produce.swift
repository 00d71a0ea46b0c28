import BrokerProtocol
import KafkaProtocol
import NIOCore

extension KafkaRouter {
    /// Produce 3-8 on the native produce path: each topic's entries go through
    /// ``RequestRouter/produce(_:on:)`` (auto-creation, partition append on the partition's loop,
    /// idempotent-producer checks, acks), with the client's RecordBatch bytes appended as they
    /// are: no re-encoding, no copy (the records are slices of the request frame).
    ///
    /// acks 0 / 1 / -1 are Sluice's `none` / `written` / `durable`; any other value is
    /// INVALID_REQUIRED_ACKS for every partition. With acks = 0 nothing is answered, and if any
    /// partition failed the connection is closed (as Kafka does, so the client notices).
    func produce(
        _ request: KafkaProduceRequest,
        version: Int16,
        correlationID: Int32,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<KafkaReply> {
        let acks: Acks? =
            switch request.acks {
            case 0: Acks.none
            case 1: .written
            case -1: .durable
            default: nil
            }
        let entryCount = request.topics.reduce(0) { $0 + $1.partitions.count }
        var refusal: KafkaErrorCode? = acks == nil ? .invalidRequiredAcks : nil
        if request.transactionalID != nil { refusal = .transactionalIDAuthorizationFailed }
        if entryCount > router.configuration.limits.maxEntriesPerRequest { refusal = .policyViolation }
        let answers: EventLoopFuture<[KafkaProduceResponse.Topic]>
        if let refusal {
            answers = eventLoop.makeSucceededFuture(
                request.topics.map { topic in
                    .init(
                        name: topic.name,
                        partitions: topic.partitions.map {
                            .init(partitionIndex: $0.partitionIndex, errorCode: refusal, baseOffset: -1)
                        }
                    )
                }
            )
        } else {
            let acks = acks ?? .durable
            let topics = request.topics.map { produce($0, acks: acks, timeoutMs: request.timeoutMs, on: eventLoop) }
            answers = EventLoopFuture.whenAllSucceed(topics, on: eventLoop)
        }
        return answers.map { topics in
            guard request.acks != 0 else {
                let failed = topics.flatMap(\.partitions).filter { $0.errorCode != .none }
                guard let first = failed.first else { return .nothing }
                return .close(
                    reason: "an acks=0 produce failed for \(failed.count) partition(s), first with \(first.errorCode): "
                        + (first.errorMessage ?? "")
                )
            }
            return .frame([
                KafkaProduceResponse(topics: topics).encodeFrame(version: version, correlationID: correlationID)
            ])
        }
    }

    /// One topic's entries through the native produce path. A negative partition index is not a
    /// request for the broker to choose (as in Sluice's own protocol): Kafka clients always name
    /// the partition, so it is UNKNOWN_TOPIC_OR_PARTITION.
    private func produce(
        _ topic: KafkaProduceRequest.Topic,
        acks: Acks,
        timeoutMs: Int32,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<KafkaProduceResponse.Topic> {
        let valid = topic.partitions.filter { $0.partitionIndex >= 0 }
        let native = ProduceRequest(
            acks: acks,
            timeoutMilliseconds: UInt32(clamping: max(0, timeoutMs)),
            topic: topic.name,
            partitions: valid.map { .init(partition: $0.partitionIndex, records: $0.records ?? ByteBuffer()) }
        )
        let produced =
            valid.isEmpty
            ? eventLoop.makeSucceededFuture(ProduceResponse(topic: topic.name, partitions: []))
            : router.produce(native, on: eventLoop)
        return produced.map { response in
            var results = response.partitions[...]
            let partitions = topic.partitions.map { entry -> KafkaProduceResponse.Partition in
                guard entry.partitionIndex >= 0, let result = results.popFirst() else {
                    return .init(
                        partitionIndex: entry.partitionIndex,
                        errorCode: .unknownTopicOrPartition,
                        baseOffset: -1,
                        errorMessage: "partition \(entry.partitionIndex) does not exist"
                    )
                }
                return .init(
                    partitionIndex: entry.partitionIndex,
                    errorCode: KafkaErrorMapping.kafkaCode(for: result.errorCode),
                    baseOffset: result.errorCode == .none ? result.baseOffset : -1,
                    errorMessage: result.errorMessage
                )
            }
            return KafkaProduceResponse.Topic(name: topic.name, partitions: partitions)
        }
    }
}
