import ArgumentParser
import Broker

/// The `brokerd` flags of the limits that are not about connections, frames or partitions (those
/// are in ``BrokerdCommand``): consumer groups, fetches, message ids, producers, schedule ids and
/// the Kafka listener's classic groups. Every one must be positive; the defaults are
/// ``BrokerLimits``', ``ScheduleSettings``' and ``KafkaClassicGroupConfiguration``'s.
struct LimitOptions: ParsableArguments {
    @Option(
        parsing: .unconditional,
        help: "Most Sluice consumer groups; subscribing to a new group beyond it is refused (limitExceeded)."
    )
    var maxGroups = BrokerLimits().maxGroups

    @Option(
        parsing: .unconditional,
        help: "Most members (subscriptions) of one Sluice group at once; one more is refused (limitExceeded)."
    )
    var maxMembersPerGroup = BrokerLimits().maxMembersPerGroup

    @Option(
        parsing: .unconditional,
        help: "Most group subscriptions one connection holds at once; one more is refused (limitExceeded)."
    )
    var maxSubscriptionsPerConnection = BrokerLimits().maxSubscriptionsPerConnection

    @Option(
        parsing: .unconditional,
        help: "Most credits one group member may hold; a credit past it is refused (limitExceeded)."
    )
    var maxCreditsPerMember = BrokerLimits().maxCreditsPerMember

    @Option(
        parsing: .unconditional,
        help:
            "Most record bytes in one fetch response, in bytes (default \(BrokerLimits().maxFetchBytes); below --max-frame-bytes)."
    )
    var maxFetchBytes: Int?

    @Option(
        parsing: .unconditional,
        help: "Longest long-poll wait a fetch may ask for (milliseconds); longer asks are cut to it."
    )
    var maxFetchWaitMs = Int(BrokerLimits().maxFetchWaitMilliseconds)

    @Option(
        parsing: .unconditional,
        help: "Most bytes the records of one gzip batch may decompress to; more is refused (recordBatchTooLarge)."
    )
    var maxDecompressedBatchBytes = BrokerLimits().maxDecompressedBatchBytes

    @Option(
        parsing: .unconditional,
        help: "Longest message id in bytes; a record with a longer one is refused (invalidRequest)."
    )
    var maxMessageIdBytes = BrokerLimits().maxMessageIDBytes

    @Option(
        parsing: .unconditional,
        help: "Memory for remembered message ids per partition, in bytes; when full the oldest ids are forgotten."
    )
    var maxMessageIdBytesPerPartition = BrokerLimits().maxMessageIDBytesPerPartition

    @Option(
        parsing: .unconditional,
        help: "Idempotent producers remembered per partition; the least recently used are forgotten first."
    )
    var maxProducersPerPartition = BrokerLimits().maxProducersPerPartition

    @Option(
        parsing: .unconditional,
        help: "Longest schedule id in UTF-8 bytes; a longer one is refused (invalidRequest)."
    )
    var maxScheduleIdBytes = ScheduleSettings().maxScheduleIDBytes

    @Option(
        parsing: .unconditional,
        help: "Most Kafka classic consumer groups; at the limit an empty one is forgotten, else a join waits."
    )
    var kafkaMaxGroups = KafkaClassicGroupConfiguration().maxGroups

    @Option(
        parsing: .unconditional,
        help: "Most members of one Kafka group; one more is refused (GROUP_MAX_SIZE_REACHED)."
    )
    var kafkaMaxMembersPerGroup = KafkaClassicGroupConfiguration().maxMembersPerGroup

    @Option(parsing: .unconditional, help: "Most bytes of protocol metadata one Kafka member may send in a JoinGroup.")
    var kafkaMaxMemberMetadataBytes = KafkaClassicGroupConfiguration().maxMemberMetadataBytes

    @Option(
        parsing: .unconditional,
        help: """
            Most Kafka groups with committed offsets (kept on disk); a commit creating one more is refused \
            (INVALID_COMMIT_OFFSET_SIZE). 1 to 1000000.
            """
    )
    var kafkaMaxOffsetGroups = KafkaOffsetLimits().maxGroups

    @Option(
        parsing: .unconditional,
        help: """
            Most partitions one Kafka group may commit offsets on; a commit adding one more is refused for \
            that partition (INVALID_COMMIT_OFFSET_SIZE). 1 to 1000000.
            """
    )
    var kafkaMaxCommittedPartitionsPerGroup = KafkaOffsetLimits().maxCommittedPartitionsPerGroup

    @Option(
        parsing: .unconditional,
        help: """
            Longest metadata string of a committed offset in UTF-8 bytes (Kafka's offset.metadata.max.bytes); \
            longer is refused (OFFSET_METADATA_TOO_LARGE). 0 to \(KafkaOffsetLimits.maxMetadataBytesRange.upperBound).
            """
    )
    var kafkaMaxOffsetMetadataBytes = KafkaOffsetLimits().maxMetadataBytes

    func validate() throws {
        for (name, value) in [
            ("--max-groups", maxGroups), ("--max-members-per-group", maxMembersPerGroup),
            ("--max-subscriptions-per-connection", maxSubscriptionsPerConnection),
            ("--max-credits-per-member", maxCreditsPerMember), ("--max-fetch-bytes", maxFetchBytes ?? 1),
            ("--max-fetch-wait-ms", maxFetchWaitMs), ("--max-decompressed-batch-bytes", maxDecompressedBatchBytes),
            ("--max-message-id-bytes", maxMessageIdBytes),
            ("--max-message-id-bytes-per-partition", maxMessageIdBytesPerPartition),
            ("--max-producers-per-partition", maxProducersPerPartition),
            ("--max-schedule-id-bytes", maxScheduleIdBytes),
            ("--kafka-max-groups", kafkaMaxGroups), ("--kafka-max-members-per-group", kafkaMaxMembersPerGroup),
            ("--kafka-max-member-metadata-bytes", kafkaMaxMemberMetadataBytes),
            ("--kafka-max-offset-groups", kafkaMaxOffsetGroups),
            ("--kafka-max-committed-partitions-per-group", kafkaMaxCommittedPartitionsPerGroup),
        ] where value <= 0 {
            throw ValidationError("\(name) must be positive, got \(value)")
        }
        for (name, value, range) in [
            ("--kafka-max-offset-groups", kafkaMaxOffsetGroups, KafkaOffsetLimits.maxGroupsRange),
            (
                "--kafka-max-committed-partitions-per-group", kafkaMaxCommittedPartitionsPerGroup,
                KafkaOffsetLimits.maxCommittedPartitionsRange
            ),
            ("--kafka-max-offset-metadata-bytes", kafkaMaxOffsetMetadataBytes, KafkaOffsetLimits.maxMetadataBytesRange),
        ] where !range.contains(value) {
            throw ValidationError(
                "\(name) must be from \(range.lowerBound) to \(range.upperBound), got \(value)"
            )
        }
        guard maxFetchWaitMs <= Int(UInt32.max) else {
            throw ValidationError("--max-fetch-wait-ms must be at most \(UInt32.max), got \(maxFetchWaitMs)")
        }
    }

    /// Sets the limits in `configuration`.
    func apply(to configuration: inout BrokerConfiguration) {
        configuration.limits.maxGroups = maxGroups
        configuration.limits.maxMembersPerGroup = maxMembersPerGroup
        configuration.limits.maxSubscriptionsPerConnection = maxSubscriptionsPerConnection
        configuration.limits.maxCreditsPerMember = maxCreditsPerMember
        if let maxFetchBytes { configuration.limits.maxFetchBytes = maxFetchBytes }
        configuration.limits.maxFetchWaitMilliseconds = UInt32(maxFetchWaitMs)
        configuration.limits.maxDecompressedBatchBytes = maxDecompressedBatchBytes
        configuration.limits.maxMessageIDBytes = maxMessageIdBytes
        configuration.limits.maxMessageIDBytesPerPartition = maxMessageIdBytesPerPartition
        configuration.limits.maxProducersPerPartition = maxProducersPerPartition
        configuration.schedules.maxScheduleIDBytes = maxScheduleIdBytes
        configuration.kafkaListener?.groups.maxGroups = kafkaMaxGroups
        configuration.kafkaListener?.groups.maxMembersPerGroup = kafkaMaxMembersPerGroup
        configuration.kafkaListener?.groups.maxMemberMetadataBytes = kafkaMaxMemberMetadataBytes
        configuration.kafkaListener?.offsets.maxGroups = kafkaMaxOffsetGroups
        configuration.kafkaListener?.offsets.maxCommittedPartitionsPerGroup = kafkaMaxCommittedPartitionsPerGroup
        configuration.kafkaListener?.offsets.maxMetadataBytes = kafkaMaxOffsetMetadataBytes
    }
}
