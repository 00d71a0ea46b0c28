import NIOCore

/// One record of the group state log (`__group_state`): the value of a record in a RecordBatch
/// whose key is the group name in UTF-8 (null for a checkpoint marker).
///
/// The value is versioned binary, big-endian (docs/STORAGE.md, "Group state log", has every byte):
/// ```
/// offset size field
///      0    1 version   1
///      1    1 type      1 group created, 2 group deleted, 3 partition event,
///                       4 partition snapshot, 5 checkpoint marker, 6 Kafka offsets
///                       committed, 7 Kafka offsets deleted, 8 Kafka offsets snapshot
///      2    … body      per type
/// ```
/// Decoding (``decode(key:value:)``) checks every length and count against the bytes that remain
/// before allocating, and every value against its range, and throws ``BrokerError`` (code
/// `storageError`) with the byte position for anything else; it never traps.
public enum GroupStateRecord: Sendable, Hashable {
    /// A group was created, or its definition replaced (a snapshot repeats it): its partitions'
    /// states are kept.
    case groupCreated(group: String, GroupDefinition)
    /// A group was deleted with all its partitions' states.
    case groupDeleted(group: String)
    /// A change to one group-partition's state.
    case partitionEvent(GroupPartitionID, GroupStateEvent)
    /// The whole state of one group-partition, written by a checkpoint: it replaces whatever
    /// state the partition had, so replaying it twice is harmless.
    case partitionSnapshot(GroupPartitionID, PersistedPartitionState)
    /// Ends a checkpoint that began at `firstOffset`: every snapshot record of it is before this.
    case checkpointMarker(firstOffset: Int64)
    /// A Kafka classic group committed these offsets (each replaces its partition's): written
    /// with version 3.
    case kafkaOffsetsCommitted(group: String, [KafkaOffsetEntry])
    /// A Kafka classic group's offsets on these partitions were deleted (OffsetDelete, a deleted
    /// topic): written with version 3.
    case kafkaOffsetsDeleted(group: String, [KafkaTopicPartition])
    /// Some of a Kafka classic group's committed offsets, written by a checkpoint (sorted by
    /// partition, each once): applied like a commit, so replaying it twice is harmless. Written
    /// with version 3.
    case kafkaOffsetsSnapshot(group: String, [KafkaOffsetEntry])

    /// The record format version written for the types 1-5: 2 (its snapshots end with the read
    /// limit of a redriven dead-letter partition). Version 1 records, written before redrive
    /// existed, are read too.
    public static let version: UInt8 = 2
    /// The version written for the Kafka types 6-8, which exist from version 3 on (a broker that
    /// reads only versions 1-2 refuses them as an unknown version rather than misreading them).
    public static let kafkaVersion: UInt8 = 3
    /// The record format versions read.
    public static let readableVersions: ClosedRange<UInt8> = 1...3
    /// The longest failure reason an event or snapshot may carry, in UTF-8 bytes (longer ones are
    /// refused by ``GroupStateStore/append(_:)``).
    public static let maxReasonBytes = 4096
    /// The offsets a record may name: never negative, and below `Int64.max` so that the offset
    /// after any of them exists (``PersistedPartitionState/apply(_:)`` computes it).
    public static let offsetRange: ClosedRange<Int64> = 0...(Int64.max - 1)
    /// The longest group or topic name, in UTF-8 bytes (names are stored with a 2-byte length).
    public static let maxNameBytes = Int(UInt16.max)

    /// The type byte of each case.
    enum RecordType: UInt8 {
        case groupCreated = 1
        case groupDeleted = 2
        case partitionEvent = 3
        case partitionSnapshot = 4
        case checkpointMarker = 5
        case kafkaOffsetsCommitted = 6
        case kafkaOffsetsDeleted = 7
        case kafkaOffsetsSnapshot = 8
    }

    /// The type byte of each ``GroupStateEvent`` case inside a partition event.
    enum EventType: UInt8 {
        case delivered = 1
        case failed = 2
        case acknowledged = 3
        case deadLettered = 4
        case reset = 5
        case redriven = 6
    }

    /// The group the record belongs to; `nil` for a checkpoint marker.
    public var group: String? {
        switch self {
        case .groupCreated(let group, _), .groupDeleted(let group): group
        case .partitionEvent(let partition, _), .partitionSnapshot(let partition, _): partition.group
        case .checkpointMarker: nil
        case .kafkaOffsetsCommitted(let group, _), .kafkaOffsetsDeleted(let group, _),
            .kafkaOffsetsSnapshot(let group, _):
            group
        }
    }

    /// Whether the record is a change made by the broker (as opposed to one a checkpoint writes).
    public var isChange: Bool {
        switch self {
        case .groupCreated, .groupDeleted, .partitionEvent, .kafkaOffsetsCommitted, .kafkaOffsetsDeleted: true
        case .partitionSnapshot, .checkpointMarker, .kafkaOffsetsSnapshot: false
        }
    }

    /// The record's key: the group name in UTF-8, or `nil` for a checkpoint marker.
    public func encodedKey() -> ByteBuffer? {
        group.map { ByteBuffer(string: $0) }
    }

    /// The record's value (see the type's layout).
    public func encodedValue() -> ByteBuffer {
        var buffer = ByteBuffer()
        if let kafka = encodedKafkaValue() { return kafka }
        buffer.writeInteger(Self.version)
        switch self {
        case .groupCreated(_, let definition):
            buffer.writeInteger(RecordType.groupCreated.rawValue)
            buffer.writeInteger(definition.kind.rawValue)
            let settings = definition.settings
            buffer.writeInteger(settings.ordering.rawValue)
            buffer.writeInteger(settings.ackTimeoutMilliseconds)
            buffer.writeInteger(Int32(clamping: settings.maxDeliveries))
            buffer.writeInteger(Int32(clamping: settings.maxUnfinishedPerPartition))
            buffer.writeInteger(settings.backoffInitialMilliseconds)
            buffer.writeInteger(Int32(clamping: settings.backoffMultiplierPercent))
            buffer.writeInteger(settings.backoffMaxMilliseconds)
            buffer.writeInteger(UInt32(definition.topics.count))
            for topic in definition.topics { buffer.writeName(topic) }
        case .groupDeleted:
            buffer.writeInteger(RecordType.groupDeleted.rawValue)
        case .partitionEvent(let partition, let event):
            buffer.writeInteger(RecordType.partitionEvent.rawValue)
            buffer.writeName(partition.topic)
            buffer.writeInteger(partition.partition)
            Self.write(event, into: &buffer)
        case .partitionSnapshot(let partition, let state):
            buffer.writeInteger(RecordType.partitionSnapshot.rawValue)
            buffer.writeName(partition.topic)
            buffer.writeInteger(partition.partition)
            buffer.writeInteger(state.committedOffset)
            buffer.writeInteger(UInt32(state.finished.count))
            for range in state.finished {
                buffer.writeInteger(range.lowerBound)
                buffer.writeInteger(range.upperBound)
            }
            buffer.writeInteger(UInt32(state.deliveries.count))
            for (offset, record) in state.deliveries.sorted(by: { $0.key < $1.key }) {
                buffer.writeInteger(offset)
                buffer.writeInteger(Int32(clamping: record.deliveryCount))
                buffer.writeInteger(Int32(clamping: record.failureCount))
                buffer.writeInteger(record.firstDeliveredAt)
                buffer.writeInteger(record.lastDeliveredAt)
                buffer.writeOptionalString(record.lastFailureReason)
            }
            buffer.writeInteger(state.readLimit ?? -1)
        case .checkpointMarker(let firstOffset):
            buffer.writeInteger(RecordType.checkpointMarker.rawValue)
            buffer.writeInteger(firstOffset)
        case .kafkaOffsetsCommitted, .kafkaOffsetsDeleted, .kafkaOffsetsSnapshot:
            preconditionFailure("encoded by encodedKafkaValue()")
        }
        return buffer
    }

    private static func write(_ event: GroupStateEvent, into buffer: inout ByteBuffer) {
        switch event {
        case .delivered(let offsets, let at):
            buffer.writeInteger(EventType.delivered.rawValue)
            buffer.writeInteger(at)
            buffer.writeInteger(UInt32(offsets.count))
            for offset in offsets { buffer.writeInteger(offset) }
        case .failed(let offset, let reason):
            buffer.writeInteger(EventType.failed.rawValue)
            buffer.writeInteger(offset)
            buffer.writeOptionalString(reason)
        case .acknowledged(let ranges):
            buffer.writeInteger(EventType.acknowledged.rawValue)
            buffer.writeInteger(UInt32(ranges.count))
            for range in ranges {
                buffer.writeInteger(range.lowerBound)
                buffer.writeInteger(range.upperBound)
            }
        case .deadLettered(let offset):
            buffer.writeInteger(EventType.deadLettered.rawValue)
            buffer.writeInteger(offset)
        case .reset(let committedOffset):
            buffer.writeInteger(EventType.reset.rawValue)
            buffer.writeInteger(committedOffset)
        case .redriven(let upTo):
            buffer.writeInteger(EventType.redriven.rawValue)
            buffer.writeInteger(upTo)
        }
    }

    /// Why the store cannot encode this record faithfully, or `nil` if it can: a name or reason
    /// over its limit, or a setting outside its range (the stored integers would not round-trip).
    public func encodingProblem() -> String? {
        func name(_ name: String, _ what: String) -> String? {
            name.utf8.count > Self.maxNameBytes ? "\(what) name is over \(Self.maxNameBytes) bytes" : nil
        }
        func reason(_ reason: String?) -> String? {
            guard let reason, reason.utf8.count > Self.maxReasonBytes else { return nil }
            return "failure reason of \(reason.utf8.count) bytes is over the \(Self.maxReasonBytes)-byte limit"
        }
        if let group, let problem = name(group, "group") { return problem }
        switch self {
        case .groupCreated(_, let definition):
            if let problem = Self.settingsProblem(definition.settings) { return problem }
            return definition.topics.lazy.compactMap { name($0, "topic") }.first
        case .groupDeleted, .checkpointMarker:
            return nil
        case .kafkaOffsetsCommitted(_, let entries), .kafkaOffsetsSnapshot(_, let entries):
            return Self.kafkaEntriesProblem(entries)
        case .kafkaOffsetsDeleted(_, let partitions):
            return Self.kafkaPartitionsProblem(partitions)
        case .partitionEvent(let partition, let event):
            if let problem = name(partition.topic, "topic") { return problem }
            if partition.partition < 0 { return "partition \(partition.partition) is negative" }
            let offsets: [Int64]
            switch event {
            case .delivered(let delivered, _): offsets = delivered
            case .failed(let offset, let text):
                if let problem = reason(text) { return problem }
                offsets = [offset]
            case .acknowledged(let ranges): offsets = ranges.flatMap { [$0.lowerBound, $0.upperBound] }
            case .deadLettered(let offset): offsets = [offset]
            case .reset(let committedOffset): offsets = [committedOffset]
            case .redriven(let upTo): offsets = [upTo]
            }
            if offsets.count > Int(UInt32.max) { return "too many offsets in one event" }
            if let outside = offsets.first(where: { !Self.offsetRange.contains($0) }) {
                return "offset \(outside) is outside \(Self.offsetRange)"
            }
            return nil
        case .partitionSnapshot(let partition, let state):
            if let problem = name(partition.topic, "topic") { return problem }
            if let limit = state.readLimit, !Self.offsetRange.contains(limit) {
                return "read limit \(limit) is outside \(Self.offsetRange)"
            }
            for record in state.deliveries.values {
                if let problem = reason(record.lastFailureReason) { return problem }
                guard (0...Int(Int32.max)).contains(record.deliveryCount),
                    (0...Int(Int32.max)).contains(record.failureCount)
                else { return "delivery count out of range" }
            }
            return nil
        }
    }

    /// Why `settings` are outside their documented ranges, or `nil`.
    static func settingsProblem(_ settings: GroupSettings) -> String? {
        if !GroupSettings.ackTimeoutRange.contains(settings.ackTimeoutMilliseconds) { return "ackTimeout out of range" }
        if !GroupSettings.maxDeliveriesRange.contains(settings.maxDeliveries) { return "maxDeliveries out of range" }
        if !GroupSettings.maxUnfinishedRange.contains(settings.maxUnfinishedPerPartition) {
            return "maxUnfinishedPerPartition out of range"
        }
        if !GroupSettings.backoffRange.contains(settings.backoffInitialMilliseconds) {
            return "backoff initial out of range"
        }
        if !GroupSettings.backoffMultiplierRange.contains(settings.backoffMultiplierPercent) {
            return "backoff multiplier out of range"
        }
        if !GroupSettings.backoffRange.contains(settings.backoffMaxMilliseconds) { return "backoff max out of range" }
        return nil
    }
}

extension ByteBuffer {
    /// A name: 2-byte length, then UTF-8 bytes.
    mutating func writeName(_ name: String) {
        let bytes = name.utf8.prefix(Int(UInt16.max))
        writeInteger(UInt16(bytes.count))
        writeBytes(bytes)
    }

    /// An optional string: 4-byte signed length (-1 for none), then UTF-8 bytes.
    mutating func writeOptionalString(_ text: String?) {
        guard let text else {
            writeInteger(Int32(-1))
            return
        }
        writeInteger(Int32(clamping: text.utf8.count))
        writeString(text)
    }
}
