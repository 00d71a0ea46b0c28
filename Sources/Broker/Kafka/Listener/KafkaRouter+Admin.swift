import BrokerProtocol
import KafkaProtocol
import NIOCore

/// CreateTopics, DeleteTopics and DescribeConfigs: what Kafka's admin clients need, on the same
/// topic registry as the native `createTopic` / `deleteTopic` (docs/KAFKA.md "Admin APIs").
extension KafkaRouter {
    /// The topic configs Sluice has, by Kafka name; CreateTopics accepts these and DescribeConfigs
    /// shows them (with the read-only `cleanup.policy` and `max.message.bytes`).
    enum TopicConfig {
        static let retentionMilliseconds = "retention.ms"
        static let retentionBytes = "retention.bytes"
        static let segmentBytes = "segment.bytes"
        static let cleanupPolicy = "cleanup.policy"
        static let maxMessageBytes = "max.message.bytes"
    }

    /// DescribeConfigs resource types (Kafka's `ConfigResource.Type`).
    enum ConfigResourceType {
        static let topic: Int8 = 2
        static let broker: Int8 = 4
    }

    /// DescribeConfigs config sources (v1+).
    enum ConfigSource {
        static let dynamicTopic: Int8 = 1
        static let staticBroker: Int8 = 4
        static let `default`: Int8 = 5
    }

    /// CreateTopics: each topic is created as a native `createTopic` would create it. Partitions:
    /// `numPartitions` (-1 from v4: the broker's default; 0 or below, or over
    /// ``BrokerLimits/maxPartitionsPerTopic``: INVALID_PARTITIONS); replication factor -1 or 1 (this is one broker);
    /// manual replica assignments are refused (INVALID_REQUEST); configs `retention.ms`,
    /// `retention.bytes`, `segment.bytes` are applied, any other is INVALID_CONFIG. With
    /// `validateOnly` (v1+) every check runs and nothing is created. A name twice in one request is
    /// INVALID_REQUEST for both, as in Kafka.
    func createTopics(
        _ request: KafkaCreateTopicsRequest,
        version: Int16,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<KafkaCreateTopicsResponse> {
        let registry = router.registry
        let defaultPartitions = router.configuration.defaultPartitionCount
        let maxPartitions = router.configuration.limits.maxPartitionsPerTopic
        var counts: [String: Int] = [:]
        for topic in request.topics { counts[topic.name, default: 0] += 1 }
        let results = request.topics.map { topic -> EventLoopFuture<KafkaCreateTopicsResponse.Topic> in
            func answer(_ code: KafkaErrorCode, _ message: String?) -> EventLoopFuture<KafkaCreateTopicsResponse.Topic>
            {
                eventLoop.makeSucceededFuture(.init(name: topic.name, errorCode: code, errorMessage: message))
            }
            if counts[topic.name, default: 0] > 1 {
                return answer(.invalidRequest, "topic '\(topic.name)' is named more than once in the request")
            }
            let native: CreateTopicRequest
            do {
                native = try Self.nativeCreate(
                    topic,
                    version: version,
                    defaultPartitions: defaultPartitions,
                    maxPartitions: maxPartitions
                )
                try TopicName.validate(topic.name)
            } catch let error as KafkaAdminError {
                return answer(error.code, error.message)
            } catch {
                let error = BrokerError(error)
                return answer(KafkaErrorMapping.kafkaCode(for: error.code), error.message)
            }
            if request.validateOnly {
                let exists = registry.topic(named: topic.name) != nil
                return exists
                    ? answer(.topicAlreadyExists, "topic '\(topic.name)' already exists") : answer(.none, nil)
            }
            return eventLoop.makeFutureWithTask {
                _ = try await registry.create(native)
                return KafkaCreateTopicsResponse.Topic(name: topic.name)
            }.recover { error in
                let error = BrokerError(error)
                return .init(
                    name: topic.name,
                    errorCode: KafkaErrorMapping.kafkaCode(for: error.code),
                    errorMessage: error.message
                )
            }
        }
        return EventLoopFuture.whenAllSucceed(results, on: eventLoop).map { KafkaCreateTopicsResponse(topics: $0) }
    }

    /// A CreateTopics entry as a native request, or the Kafka error it gets. `numPartitions` -1
    /// means the default only from v4 (KIP-464), as in Kafka; a count past `maxPartitions` is
    /// INVALID_PARTITIONS, as Kafka answers for partition counts, not the native INVALID_CONFIG.
    static func nativeCreate(
        _ topic: KafkaCreateTopicsRequest.Topic,
        version: Int16,
        defaultPartitions: Int32,
        maxPartitions: Int32
    ) throws -> CreateTopicRequest {
        guard topic.assignments.isEmpty else {
            throw KafkaAdminError(.invalidRequest, "manual replica assignments are not supported (one broker)")
        }
        guard topic.replicationFactor == -1 || topic.replicationFactor == 1 else {
            throw KafkaAdminError(
                .invalidReplicationFactor,
                "replication factor \(topic.replicationFactor): this broker runs alone, so it can only be 1"
            )
        }
        let partitions = topic.numPartitions == -1 && version >= 4 ? defaultPartitions : topic.numPartitions
        guard partitions >= 1 else {
            throw KafkaAdminError(
                .invalidPartitions,
                "number of partitions \(topic.numPartitions) must be at least 1"
                    + (topic.numPartitions == -1 ? " (-1, the broker's default, needs CreateTopics v4+)" : "")
            )
        }
        guard partitions <= maxPartitions else {
            throw KafkaAdminError(
                .invalidPartitions,
                "number of partitions \(partitions) is over this broker's limit of \(maxPartitions) per topic"
            )
        }
        var native = CreateTopicRequest(topic: topic.name, partitionCount: partitions)
        for config in topic.configs {
            guard let text = config.value else { continue }  // null: the default
            guard let value = Int64(text) else {
                throw KafkaAdminError(.invalidConfig, "config \(config.name)=\(text) is not a number")
            }
            switch config.name {
            case TopicConfig.retentionMilliseconds: native.retentionMilliseconds = value
            case TopicConfig.retentionBytes: native.retentionBytes = value
            case TopicConfig.segmentBytes: native.segmentBytes = value
            default:
                throw KafkaAdminError(
                    .invalidConfig,
                    "config \(config.name) is not supported (supported: retention.ms, retention.bytes, segment.bytes)"
                )
            }
        }
        return native
    }

    /// DeleteTopics: each topic deleted as a native `deleteTopic`; an unknown one is
    /// UNKNOWN_TOPIC_OR_PARTITION.
    func deleteTopics(
        _ request: KafkaDeleteTopicsRequest,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<KafkaDeleteTopicsResponse> {
        let registry = router.registry
        let results = request.topicNames.map { name -> EventLoopFuture<KafkaDeleteTopicsResponse.Topic> in
            eventLoop.makeFutureWithTask {
                try await registry.delete(name)
                return KafkaDeleteTopicsResponse.Topic(name: name)
            }.recover { error in
                .init(name: name, errorCode: KafkaErrorMapping.kafkaCode(for: BrokerError(error).code))
            }
        }
        return EventLoopFuture.whenAllSucceed(results, on: eventLoop).map { KafkaDeleteTopicsResponse(responses: $0) }
    }

    /// DescribeConfigs: a topic's settings under Kafka's names (`-1` where Sluice has no limit),
    /// plus `cleanup.policy=delete` and `max.message.bytes` (read-only); for the broker resource,
    /// the broker-wide values. Only the keys asked for when the request names some.
    func describeConfigs(_ request: KafkaDescribeConfigsRequest, version: Int16) -> KafkaDescribeConfigsResponse {
        let registry = router.registry
        let maxMessageBytes = "\(router.configuration.limits.maxBatchBytes)"
        let results = request.resources.map { resource -> KafkaDescribeConfigsResponse.Result in
            func result(_ configs: [KafkaDescribeConfigsResponse.Config]) -> KafkaDescribeConfigsResponse.Result {
                // Null or empty: every key (as Kafka's ConfigHelper); otherwise only those named.
                let wanted = resource.configurationKeys.flatMap { $0.isEmpty ? nil : Set($0) }
                return .init(
                    errorCode: .none,
                    errorMessage: nil,
                    resourceType: resource.resourceType,
                    resourceName: resource.resourceName,
                    configs: configs.filter { wanted?.contains($0.name) ?? true }
                )
            }
            func failure(_ code: KafkaErrorCode, _ message: String) -> KafkaDescribeConfigsResponse.Result {
                .init(
                    errorCode: code,
                    errorMessage: message,
                    resourceType: resource.resourceType,
                    resourceName: resource.resourceName,
                    configs: []
                )
            }
            switch resource.resourceType {
            case ConfigResourceType.topic:
                guard let topic = registry.topic(named: resource.resourceName) else {
                    return failure(.unknownTopicOrPartition, "unknown topic '\(resource.resourceName)'")
                }
                let settings = topic.settings
                return result([
                    Self.config(TopicConfig.retentionMilliseconds, "\(settings.retentionMilliseconds ?? -1)"),
                    Self.config(TopicConfig.retentionBytes, "\(settings.retentionBytes ?? -1)"),
                    Self.config(TopicConfig.segmentBytes, "\(settings.segmentBytes)"),
                    Self.config(TopicConfig.cleanupPolicy, "delete", readOnly: true),
                    Self.config(TopicConfig.maxMessageBytes, maxMessageBytes, readOnly: true),
                ])
            case ConfigResourceType.broker:
                return result([
                    Self.config("num.partitions", "\(router.configuration.defaultPartitionCount)", readOnly: true),
                    Self.config(
                        "auto.create.topics.enable",
                        router.configuration.autoCreateTopics ? "true" : "false",
                        readOnly: true
                    ),
                    Self.config("message.max.bytes", maxMessageBytes, readOnly: true),
                ])
            default:
                return failure(
                    .invalidRequest,
                    "resource type \(resource.resourceType) is not described (2 topic and 4 broker are)"
                )
            }
        }
        return KafkaDescribeConfigsResponse(results: results)
    }

    private static func config(
        _ name: String,
        _ value: String,
        readOnly: Bool = false
    ) -> KafkaDescribeConfigsResponse.Config {
        KafkaDescribeConfigsResponse.Config(
            name: name,
            value: value,
            readOnly: readOnly,
            isDefault: false,
            configSource: readOnly ? ConfigSource.staticBroker : ConfigSource.dynamicTopic,
            isSensitive: false,
            synonyms: []
        )
    }
}

/// A CreateTopics entry refused before it reaches the registry, with its Kafka code.
struct KafkaAdminError: Error {
    var code: KafkaErrorCode
    var message: String

    init(_ code: KafkaErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }
}
