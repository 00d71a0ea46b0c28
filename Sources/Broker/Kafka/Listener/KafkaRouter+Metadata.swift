import BrokerProtocol
import KafkaProtocol
import NIOCore

extension KafkaRouter {
    /// Metadata: one broker (``nodeID``, at the address the client reached) leading every
    /// partition of every topic asked for (all topics when the request lists none).
    ///
    /// A topic that does not exist is UNKNOWN_TOPIC_OR_PARTITION, unless the request allows
    /// auto-creation (v4+; always allowed before v4, as in Kafka) AND the broker runs with
    /// auto-created topics (`--auto-create-topics`): then it is created with the broker's default
    /// partition count, through the same path as a native produce to a missing topic.
    func metadata(
        _ request: KafkaMetadataRequest,
        advertising address: AdvertisedAddress,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<KafkaMetadataResponse> {
        let registry = router.registry
        let names = request.topics ?? registry.allTopics().map(\.name)
        let autoCreate = request.allowAutoTopicCreation && router.configuration.autoCreateTopics
        let topics = names.map { name -> EventLoopFuture<KafkaMetadataResponse.Topic> in
            if let topic = registry.topic(named: name) {
                return eventLoop.makeSucceededFuture(Self.describe(name: name, partitionCount: topic.partitionCount))
            }
            guard autoCreate else {
                return eventLoop.makeSucceededFuture(
                    .init(errorCode: .unknownTopicOrPartition, name: name, partitions: [])
                )
            }
            return router.resolveTopic(name, on: eventLoop).map { topic in
                Self.describe(name: name, partitionCount: topic.partitionCount)
            }.recover { error in
                let code = KafkaErrorMapping.kafkaCode(for: BrokerError(error).code)
                return .init(errorCode: code, name: name, partitions: [])
            }
        }
        return EventLoopFuture.whenAllSucceed(topics, on: eventLoop).map { topics in
            KafkaMetadataResponse(
                brokers: [.init(nodeID: Self.nodeID, host: address.host, port: address.port)],
                clusterID: Self.clusterID,
                controllerID: Self.nodeID,
                topics: topics
            )
        }
    }

    /// A topic led entirely by this broker: one replica, in sync, leader epoch 0.
    static func describe(name: String, partitionCount: Int32) -> KafkaMetadataResponse.Topic {
        KafkaMetadataResponse.Topic(
            name: name,
            partitions: (0..<max(0, partitionCount)).map { index in
                .init(
                    partitionIndex: index,
                    leaderID: nodeID,
                    leaderEpoch: 0,
                    replicaNodes: [nodeID],
                    isrNodes: [nodeID]
                )
            }
        )
    }
}
