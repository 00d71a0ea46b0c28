import KafkaProtocol
import NIOCore

/// OffsetCommit and OffsetFetch of classic groups: the coordinator decides whether a commit's
/// member and generation may commit, and the offsets go to the broker's durable group state
/// (``KafkaOffsetStore``), where `brokerctl groups` shows them with their lag.
extension KafkaRouter {
    /// The offset store over the broker's group state (`nil` before the broker has started).
    var offsetStore: KafkaOffsetStore? {
        guard let groups = router.groupManager.withLockedValue({ $0 }) else { return nil }
        return try? KafkaOffsetStore(groups: groups, limits: offsetLimits)
    }

    /// OffsetCommit 0-7: checked by the coordinator (generation, member), then stored durably
    /// before the answer; per-partition codes from the store. `retention_time_ms` (v2-4) and
    /// per-partition `commit_timestamp` (v1) are ignored: committed offsets are kept until the
    /// group or topic is deleted.
    func offsetCommit(
        _ request: KafkaOffsetCommitRequest,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<KafkaOffsetCommitResponse> {
        @Sendable func everyPartition(_ code: KafkaErrorCode) -> KafkaOffsetCommitResponse {
            KafkaOffsetCommitResponse(
                topics: request.topics.map { topic in
                    .init(
                        name: topic.name,
                        partitions: topic.partitions.map { .init(partitionIndex: $0.partitionIndex, errorCode: code) }
                    )
                }
            )
        }
        guard let store = offsetStore else {
            return eventLoop.makeSucceededFuture(everyPartition(.coordinatorNotAvailable))
        }
        do {
            try store.checkGroupName(request.groupID)
        } catch let error as KafkaOffsetStoreError {
            return eventLoop.makeSucceededFuture(everyPartition(KafkaErrorCode(rawValue: error.kafkaErrorCode)))
        } catch {
            return eventLoop.makeSucceededFuture(everyPartition(.unknownServerError))
        }
        let decision = coordinator.validateOffsetCommit(
            groupID: request.groupID,
            memberID: request.memberID,
            groupInstanceID: request.groupInstanceID,
            generationID: request.generationID
        )
        return decision.hop(to: eventLoop).flatMap { decision in
            if case .reject(let code) = decision {
                return eventLoop.makeSucceededFuture(everyPartition(KafkaErrorCode(code)))
            }
            let commits = request.topics.flatMap { topic in
                topic.partitions.map {
                    KafkaOffsetCommit(
                        KafkaTopicPartition(topic: topic.name, partition: $0.partitionIndex),
                        offset: $0.committedOffset,
                        leaderEpoch: $0.committedLeaderEpoch,
                        metadata: $0.committedMetadata
                    )
                }
            }
            return eventLoop.makeFutureWithTask {
                let results = try await store.commitOffsets(group: request.groupID, offsets: commits)
                var position = 0
                return KafkaOffsetCommitResponse(
                    topics: request.topics.map { topic in
                        .init(
                            name: topic.name,
                            partitions: topic.partitions.map { partition in
                                defer { position += 1 }
                                let code = position < results.count ? results[position].kafkaErrorCode : -1
                                return .init(
                                    partitionIndex: partition.partitionIndex,
                                    errorCode: KafkaErrorCode(rawValue: code)
                                )
                            }
                        )
                    }
                )
            }.recover { error in
                everyPartition(KafkaErrorCode(rawValue: (error as? KafkaOffsetStoreError)?.kafkaErrorCode ?? -1))
            }
        }
    }

    /// OffsetFetch 0-5: the committed offsets of the partitions asked for (all the group has when
    /// `topics` is null, v2+), -1 where nothing is committed; answered once what it read is durable.
    func offsetFetch(
        _ request: KafkaOffsetFetchRequest,
        version: Int16,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<KafkaOffsetFetchResponse> {
        let asked = request.topics.map { topics in
            topics.flatMap { topic in
                topic.partitionIndexes.map { KafkaTopicPartition(topic: topic.name, partition: $0) }
            }
        }
        @Sendable func failure(_ code: KafkaErrorCode) -> KafkaOffsetFetchResponse {
            // v0-1 carry the error per partition only; v2+ at the top as well.
            KafkaOffsetFetchResponse(
                topics: (request.topics ?? []).map { topic in
                    .init(
                        name: topic.name,
                        partitions: topic.partitionIndexes.map {
                            .init(
                                partitionIndex: $0,
                                committedOffset: -1,
                                committedLeaderEpoch: -1,
                                metadata: nil,
                                errorCode: code
                            )
                        }
                    )
                },
                errorCode: code
            )
        }
        guard let store = offsetStore else { return eventLoop.makeSucceededFuture(failure(.coordinatorNotAvailable)) }
        return eventLoop.makeFutureWithTask {
            let fetched = try await store.fetchOffsets(group: request.groupID, partitions: asked)
            var byTopic: [String: [KafkaOffsetFetchResponse.Partition]] = [:]
            var order: [String] = []
            for offset in fetched {
                if byTopic[offset.partition.topic] == nil { order.append(offset.partition.topic) }
                byTopic[offset.partition.topic, default: []].append(
                    .init(
                        partitionIndex: offset.partition.partition,
                        committedOffset: offset.offset,
                        committedLeaderEpoch: offset.leaderEpoch,
                        metadata: offset.metadata ?? "",
                        errorCode: .none
                    )
                )
            }
            return KafkaOffsetFetchResponse(topics: order.map { .init(name: $0, partitions: byTopic[$0] ?? []) })
        }.recover { error in
            failure(KafkaErrorCode(rawValue: (error as? KafkaOffsetStoreError)?.kafkaErrorCode ?? -1))
        }
    }
}
