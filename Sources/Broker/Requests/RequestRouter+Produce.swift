import BrokerProtocol
import LogStore
import NIOCore

extension RequestRouter {
    /// Appends each partition entry on its partition's loop and answers in request order.
    func produce(_ request: ProduceRequest, on eventLoop: any EventLoop) -> EventLoopFuture<ProduceResponse> {
        resolveTopic(request.topic, on: eventLoop).flatMap { topic in
            let results = request.partitions.map { entry -> EventLoopFuture<ProduceResponse.PartitionResult> in
                do {
                    let index = try self.choosePartition(for: entry, in: topic)
                    guard let partition = topic.partition(index) else {
                        throw BrokerError(.unknownPartition, "topic '\(topic.name)' has no partition \(index)")
                    }
                    return partition.append(
                        entry.records,
                        hasMessageIDs: entry.hasMessageIDs,
                        acks: request.acks,
                        durableWithin: request.acks == .durable && request.timeoutMilliseconds > 0
                            ? .milliseconds(Int64(request.timeoutMilliseconds)) : nil,
                        issued: self.producerIDs.issued
                    )
                } catch {
                    let error = BrokerError(error)
                    return eventLoop.makeSucceededFuture(
                        .failure(partition: entry.partition, error.code, error.message)
                    )
                }
            }
            return EventLoopFuture.whenAllSucceed(results, on: eventLoop).map {
                ProduceResponse(topic: request.topic, partitions: $0)
            }
        }.flatMapErrorThrowing { error in
            let error = BrokerError(error)
            return ProduceResponse(
                topic: request.topic,
                partitions: request.partitions.map { .failure(partition: $0.partition, error.code, error.message) }
            )
        }
    }

    /// The partition for an entry: the one named, or for ``ProduceRequest/anyPartition``, Kafka's
    /// murmur2 of the records' shared key; without keys, murmur2 of the message ids, which must
    /// all give the same partition (so that a retry of any one of the messages, alone or not,
    /// reaches the partition that remembers its id); otherwise round-robin per batch.
    /// - Throws: `invalidRequest` if records with different keys, or without keys and with
    ///   message ids of different partitions, ask the broker to choose.
    func choosePartition(for entry: ProduceRequest.PartitionData, in topic: Topic) throws -> Int32 {
        guard entry.partition == ProduceRequest.anyPartition else { return entry.partition }
        let count = topic.partitionCount
        let batches = try Partition.split(entry.records, maxBatchBytes: configuration.limits.maxBatchBytes)
        let limit = configuration.limits.maxDecompressedBatchBytes
        let records = try batches.flatMap { try $0.records(maxDecompressedBytes: limit) }
        let keys = Set(records.map(\.key))
        if keys.count > 1 {
            throw BrokerError(
                .invalidRequest,
                "records with different keys cannot share a produce entry with partition -1; name the partition"
            )
        }
        if let key = keys.first, let key {
            return Partitioner.partition(forKey: key.readableBytesView, partitionCount: count)
        }
        if entry.hasMessageIDs {
            let partitions = Set(
                records.compactMap { record in
                    record.messageID.map { Partitioner.partition(forKey: $0.readableBytesView, partitionCount: count) }
                }
            )
            if partitions.count > 1 {
                throw BrokerError(
                    .invalidRequest,
                    "records whose message ids belong to different partitions cannot share a produce entry with "
                        + "partition -1 and no key; send them apart or name the partition"
                )
            }
            if let partition = partitions.first { return partition }
        }
        return topic.nextRoundRobinPartition()
    }
}
