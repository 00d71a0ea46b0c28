import Broker
import Logging
import ToolSupport

extension BrokerConfiguration {
    /// Every limit the broker enforces, named by the `brokerd` flag that sets it, with the value in
    /// force: after the descriptor budget has fitted the ones not given. `brokerd` logs it once at
    /// start-up ("limits in force"), so an operator reads what is enforced in one line, and a test
    /// can check that each flag reaches the broker (docs/OPERATIONS.md).
    var limitsInForce: Logger.Metadata {
        var metadata: Logger.Metadata = [
            "max-connections": "\(limits.maxConnections)",
            "max-topics": "\(limits.maxTopics)",
            "max-partitions": "\(limits.maxPartitionsPerTopic)",
            "max-partitions-total": "\(limits.maxPartitionsTotal)",
            "max-frame-bytes": "\(limits.maxFrameBytes)",
            "max-message-bytes": "\(limits.maxBatchBytes)",
            "max-in-flight-bytes": "\(limits.maxInFlightBytesPerConnection)",
            "max-in-flight-requests": "\(limits.maxInFlightRequestsPerConnection)",
            "max-entries-per-request": "\(limits.maxEntriesPerRequest)",
            "min-segment-bytes": "\(limits.minSegmentBytes)",
            "max-groups": "\(limits.maxGroups)",
            "max-members-per-group": "\(limits.maxMembersPerGroup)",
            "max-subscriptions-per-connection": "\(limits.maxSubscriptionsPerConnection)",
            "max-credits-per-member": "\(limits.maxCreditsPerMember)",
            "max-fetch-bytes": "\(limits.maxFetchBytes)",
            "max-fetch-wait-ms": "\(limits.maxFetchWaitMilliseconds)",
            "max-decompressed-batch-bytes": "\(limits.maxDecompressedBatchBytes)",
            "max-message-id-bytes": "\(limits.maxMessageIDBytes)",
            "max-message-id-bytes-per-partition": "\(limits.maxMessageIDBytesPerPartition)",
            "max-producers-per-partition": "\(limits.maxProducersPerPartition)",
            "max-schedule-id-bytes": "\(schedules.maxScheduleIDBytes)",
            "max-pending-schedules": "\(schedules.maxPendingSchedules)",
            "schedule-fired-id-retention":
                "\(DurationSyntax.format(.milliseconds(schedules.firedIDRetentionMilliseconds)))",
            "idle-timeout-ms": "\(idleTimeoutMilliseconds)",
            "frame-timeout-ms": "\(frameTimeoutMilliseconds)",
        ]
        if let groups = kafkaListener?.groups {
            metadata["kafka-max-groups"] = "\(groups.maxGroups)"
            metadata["kafka-max-members-per-group"] = "\(groups.maxMembersPerGroup)"
            metadata["kafka-max-member-metadata-bytes"] = "\(groups.maxMemberMetadataBytes)"
        }
        if let offsets = kafkaListener?.offsets {
            metadata["kafka-max-offset-groups"] = "\(offsets.maxGroups)"
            metadata["kafka-max-committed-partitions-per-group"] = "\(offsets.maxCommittedPartitionsPerGroup)"
            metadata["kafka-max-offset-metadata-bytes"] = "\(offsets.maxMetadataBytes)"
        }
        return metadata
    }
}
