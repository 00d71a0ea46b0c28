import BrokerProtocol
import KafkaProtocol
import NIOCore
import RecordCodec

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
        // A codec Sluice does not read is UNSUPPORTED_COMPRESSION_TYPE, found from the batch
        // headers before the broker sees the bytes (its own answer would be corruptRecordBatch).
        let unsupported: [Int32: String] = topic.partitions.reduce(into: [:]) { found, entry in
            if let records = entry.records, let problem = Self.unsupportedCompression(in: records) {
                found[entry.partitionIndex] = problem
            }
        }
        let valid = topic.partitions.filter { $0.partitionIndex >= 0 && unsupported[$0.partitionIndex] == nil }
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
                if let problem = unsupported[entry.partitionIndex] {
                    return .init(
                        partitionIndex: entry.partitionIndex,
                        errorCode: .unsupportedCompressionType,
                        baseOffset: -1,
                        errorMessage: problem
                    )
                }
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

    /// Why the batches in `records` cannot be stored, if one of them uses a compression codec
    /// Sluice does not read (snappy, lz4, zstd, or an undefined one). Reads only each batch's
    /// length and attributes; whatever else is wrong is left to the produce validation.
    static func unsupportedCompression(in records: ByteBuffer) -> String? {
        var position = records.readerIndex
        let end = records.writerIndex
        // baseOffset int64, batchLength int32, ..., attributes int16 at byte 21.
        while position + 23 <= end,
            let length = records.getInteger(at: position + 8, as: Int32.self),
            let attributes = records.getInteger(at: position + 21, as: Int16.self)
        {
            let codec = Int(attributes & 0x7)
            if RecordCompression(rawValue: codec)?.isSupported != true {
                let name = RecordCompression(rawValue: codec).map { "\($0)" } ?? "undefined"
                return "a batch uses \(name) compression (codec \(codec)); Sluice stores uncompressed and gzip batches "
                    + "only: produce with compression.type gzip or none"
            }
            guard length > 0 else { return nil }
            position += 12 + Int(length)
        }
        return nil
    }
}
