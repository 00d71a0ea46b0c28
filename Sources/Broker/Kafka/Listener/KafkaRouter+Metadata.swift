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
        let topicOperations = request.includeTopicAuthorizedOperations ? Self.topicOperations : Int32.min
        let topics = names.map { name -> EventLoopFuture<KafkaMetadataResponse.Topic> in
            if let topic = registry.topic(named: name) {
                return eventLoop.makeSucceededFuture(
                    Self.describe(name: name, partitionCount: topic.partitionCount, operations: topicOperations)
                )
            }
            guard autoCreate else {
                return eventLoop.makeSucceededFuture(
                    .init(errorCode: .unknownTopicOrPartition, name: name, partitions: [])
                )
            }
            return router.resolveTopic(name, on: eventLoop).map { topic in
                Self.describe(name: name, partitionCount: topic.partitionCount, operations: topicOperations)
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
                topics: topics,
                clusterAuthorizedOperations: request.includeClusterAuthorizedOperations
                    ? Self.clusterOperations : Int32.min
            )
        }
    }

    /// The operations a client may perform (Metadata v8 asks for them): Sluice has no access
    /// control yet, so every operation Kafka defines for the resource. Bits are Kafka's
    /// `AclOperation` codes: READ 3, WRITE 4, CREATE 5, DELETE 6, ALTER 7, DESCRIBE 8,
    /// CLUSTER_ACTION 9, DESCRIBE_CONFIGS 10, ALTER_CONFIGS 11, IDEMPOTENT_WRITE 12. Int32.min
    /// ("omitted") when asked would be read by kafka-python as operation 31 and fail its client.
    static let topicOperations: Int32 = [3, 4, 5, 6, 7, 8, 10, 11].reduce(0) { $0 | (1 << $1) }
    static let clusterOperations: Int32 = [5, 7, 8, 9, 10, 11, 12].reduce(0) { $0 | (1 << $1) }

    /// A topic led entirely by this broker: one replica, in sync, leader epoch 0.
    static func describe(
        name: String,
        partitionCount: Int32,
        operations: Int32 = Int32.min
    ) -> KafkaMetadataResponse.Topic {
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
            },
            topicAuthorizedOperations: operations
        )
    }
}
