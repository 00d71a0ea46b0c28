import NIOCore

/// The Kafka classic groups' records (types 6-8, version 3; docs/GROUPS.md, "Kafka offsets in
/// the state log"):
/// ```
/// type 6 (committed), 8 (snapshot): count uint32, then per entry
///     topic            uint16 length + UTF-8
///     partition        int32, >= 0
///     offset           int64, in offsetRange
///     leader epoch     int32, >= -1 (-1: none)
///     commit timestamp int64, epoch milliseconds
///     metadata         int32 length (-1: null, at most maxKafkaMetadataBytes) + UTF-8
/// type 7 (deleted): count uint32, then per entry topic (uint16 length + UTF-8), partition int32 >= 0
/// ```
/// A snapshot's entries are sorted by topic, then partition, each partition once.
extension GroupStateRecord {
    /// The longest metadata string a Kafka offset record may hold, in UTF-8 bytes: the format's
    /// bound (the broker's own limit, ``KafkaOffsetLimits/maxMetadataBytes``, is at most this).
    public static let maxKafkaMetadataBytes = 32_768
    /// The fewest bytes an entry of a type 6 or 8 record takes (empty topic, null metadata).
    static let minimumKafkaEntryBytes = 2 + 4 + 8 + 4 + 8 + 4
    /// The fewest bytes a partition of a type 7 record takes.
    static let minimumKafkaPartitionBytes = 2 + 4

    /// The value of a Kafka record, `nil` for the other types.
    func encodedKafkaValue() -> ByteBuffer? {
        var buffer = ByteBuffer()
        switch self {
        case .kafkaOffsetsCommitted(_, let entries), .kafkaOffsetsSnapshot(_, let entries):
            buffer.writeInteger(Self.kafkaVersion)
            let isSnapshot = if case .kafkaOffsetsSnapshot = self { true } else { false }
            let type: RecordType = isSnapshot ? .kafkaOffsetsSnapshot : .kafkaOffsetsCommitted
            buffer.writeInteger(type.rawValue)
            buffer.writeInteger(UInt32(entries.count))
            for entry in entries {
                buffer.writeName(entry.partition.topic)
                buffer.writeInteger(entry.partition.partition)
                buffer.writeInteger(entry.committed.offset)
                buffer.writeInteger(entry.committed.leaderEpoch)
                buffer.writeInteger(entry.committed.commitTimestamp)
                buffer.writeOptionalString(entry.committed.metadata)
            }
        case .kafkaOffsetsDeleted(_, let partitions):
            buffer.writeInteger(Self.kafkaVersion)
            buffer.writeInteger(RecordType.kafkaOffsetsDeleted.rawValue)
            buffer.writeInteger(UInt32(partitions.count))
            for partition in partitions {
                buffer.writeName(partition.topic)
                buffer.writeInteger(partition.partition)
            }
        default:
            return nil
        }
        return buffer
    }

    /// Why `entries` cannot be stored faithfully, or `nil`.
    static func kafkaEntriesProblem(_ entries: [KafkaOffsetEntry]) -> String? {
        if let problem = kafkaPartitionsProblem(entries.map(\.partition)) { return problem }
        for entry in entries {
            let committed = entry.committed
            guard offsetRange.contains(committed.offset) else {
                return "offset \(committed.offset) of \(entry.partition) is outside \(offsetRange)"
            }
            guard committed.leaderEpoch >= -1 else {
                return "leader epoch \(committed.leaderEpoch) of \(entry.partition) is below -1"
            }
            if let metadata = committed.metadata, metadata.utf8.count > maxKafkaMetadataBytes {
                return "metadata of \(metadata.utf8.count) bytes is over the \(maxKafkaMetadataBytes)-byte limit"
            }
        }
        return nil
    }

    /// Why `partitions` cannot be stored faithfully, or `nil`.
    static func kafkaPartitionsProblem(_ partitions: [KafkaTopicPartition]) -> String? {
        if partitions.count > Int(UInt32.max) { return "too many partitions in one record" }
        for partition in partitions {
            if partition.topic.utf8.count > maxNameBytes { return "topic name is over \(maxNameBytes) bytes" }
            if partition.partition < 0 { return "partition \(partition.partition) is negative" }
        }
        return nil
    }
}

extension GroupStateRecordReader {
    /// The entries of a type 6 or 8 record; a snapshot's must be sorted and unique.
    mutating func readKafkaEntries(isSnapshot: Bool) throws -> [KafkaOffsetEntry] {
        let count = try readCount("entry count", elementBytes: GroupStateRecord.minimumKafkaEntryBytes)
        var entries: [KafkaOffsetEntry] = []
        entries.reserveCapacity(count)
        for _ in 0..<count {
            let at = position
            let partition = try readKafkaPartition()
            if isSnapshot, let previous = entries.last?.partition, !(previous < partition) {
                throw error("snapshot entry \(partition) is out of order or repeated", at: at)
            }
            let offset = try readOffset("committed offset")
            let epochAt = position
            let epoch = try readInt32("leader epoch")
            guard epoch >= -1 else { throw error("leader epoch \(epoch) is below -1", at: epochAt) }
            let timestamp = try readInt64("commit timestamp")
            let metadata = try readOptionalString(
                "metadata",
                maxBytes: GroupStateRecord.maxKafkaMetadataBytes
            )
            entries.append(
                KafkaOffsetEntry(
                    partition,
                    KafkaCommittedOffset(
                        offset: offset,
                        leaderEpoch: epoch,
                        metadata: metadata,
                        commitTimestamp: timestamp
                    )
                )
            )
        }
        return entries
    }

    /// The partitions of a type 7 record.
    mutating func readKafkaPartitions() throws -> [KafkaTopicPartition] {
        let count = try readCount("partition count", elementBytes: GroupStateRecord.minimumKafkaPartitionBytes)
        var partitions: [KafkaTopicPartition] = []
        partitions.reserveCapacity(count)
        for _ in 0..<count { partitions.append(try readKafkaPartition()) }
        return partitions
    }

    private mutating func readKafkaPartition() throws -> KafkaTopicPartition {
        let topic = try readName("topic")
        let at = position
        let partition = try readInt32("partition")
        guard partition >= 0 else { throw error("partition \(partition) is negative", at: at) }
        return KafkaTopicPartition(topic: topic, partition: partition)
    }
}
