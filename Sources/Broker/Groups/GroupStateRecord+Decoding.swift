import NIOCore

extension GroupStateRecord {
    /// Decodes a record from its key and value as stored.
    ///
    /// Every count is checked against the bytes left before anything is allocated, every value
    /// against its range; the value must be used up exactly.
    /// - Throws: ``BrokerError`` (`storageError`) saying what is wrong and at which byte of the value.
    public static func decode(key: ByteBuffer?, value: ByteBuffer?) throws -> GroupStateRecord {
        guard let value else { throw BrokerError(.storageError, "group state record has no value") }
        var reader = GroupStateRecordReader(buffer: value)
        let version = try reader.readUInt8("version")
        guard Self.readableVersions.contains(version) else {
            throw reader.error("unknown group state record version \(version)", at: 0)
        }
        let typeByte = try reader.readUInt8("type")
        guard let type = RecordType(rawValue: typeByte) else {
            throw reader.error("unknown group state record type \(typeByte)", at: 1)
        }
        let isKafka = [.kafkaOffsetsCommitted, .kafkaOffsetsDeleted, .kafkaOffsetsSnapshot].contains(type)
        guard !isKafka || version >= kafkaVersion else {
            throw reader.error(
                "group state record type \(typeByte) needs version \(kafkaVersion), not \(version)",
                at: 0
            )
        }
        let record: GroupStateRecord
        if type == .checkpointMarker {
            guard key == nil else { throw BrokerError(.storageError, "checkpoint marker has a key") }
            let firstOffset = try reader.readInt64("checkpoint first offset")
            guard firstOffset >= 0 else { throw reader.error("checkpoint first offset \(firstOffset) is negative") }
            record = .checkpointMarker(firstOffset: firstOffset)
        } else {
            guard let key else { throw BrokerError(.storageError, "group state record of type \(typeByte) has no key") }
            guard let group = key.getString(at: key.readerIndex, length: key.readableBytes),
                Array(group.utf8) == Array(key.readableBytesView)
            else { throw BrokerError(.storageError, "group state record key is not UTF-8") }
            switch type {
            case .groupCreated:
                record = .groupCreated(group: group, try reader.readDefinition())
            case .groupDeleted:
                record = .groupDeleted(group: group)
            case .partitionEvent:
                let partition = try reader.readPartition(group: group)
                record = .partitionEvent(partition, try reader.readEvent())
            case .partitionSnapshot:
                let partition = try reader.readPartition(group: group)
                record = .partitionSnapshot(partition, try reader.readState(version: version))
            case .kafkaOffsetsCommitted:
                record = .kafkaOffsetsCommitted(group: group, try reader.readKafkaEntries(isSnapshot: false))
            case .kafkaOffsetsDeleted:
                record = .kafkaOffsetsDeleted(group: group, try reader.readKafkaPartitions())
            case .kafkaOffsetsSnapshot:
                record = .kafkaOffsetsSnapshot(group: group, try reader.readKafkaEntries(isSnapshot: true))
            case .checkpointMarker:
                preconditionFailure("handled above")
            }
        }
        guard reader.remaining == 0 else {
            throw reader.error("\(reader.remaining) bytes after the end of the record")
        }
        return record
    }
}

/// Reads the fields of a group state record's value, throwing on anything out of bounds.
struct GroupStateRecordReader {
    private var buffer: ByteBuffer
    private let start: Int

    init(buffer: ByteBuffer) {
        self.buffer = buffer
        self.start = buffer.readerIndex
    }

    /// Bytes not yet read.
    var remaining: Int { buffer.readableBytes }
    /// The position of the next byte in the value.
    var position: Int { buffer.readerIndex - start }

    func error(_ message: String, at position: Int? = nil) -> BrokerError {
        BrokerError(.storageError, "\(message) (byte \(position ?? self.position) of the record value)")
    }

    private mutating func read<T: FixedWidthInteger>(_ type: T.Type, _ field: String) throws -> T {
        guard let value = buffer.readInteger(as: T.self) else {
            throw error("truncated record: \(field) needs \(MemoryLayout<T>.size) bytes, \(remaining) left")
        }
        return value
    }

    mutating func readUInt8(_ field: String) throws -> UInt8 { try read(UInt8.self, field) }
    mutating func readInt64(_ field: String) throws -> Int64 { try read(Int64.self, field) }
    mutating func readInt32(_ field: String) throws -> Int32 { try read(Int32.self, field) }

    /// A count of elements of at least `elementBytes` bytes each, which must fit the bytes left.
    mutating func readCount(_ field: String, elementBytes: Int) throws -> Int {
        let at = position
        let count = Int(try read(UInt32.self, field))
        guard count <= remaining / elementBytes else {
            throw error("\(field) \(count) needs at least \(count * elementBytes) bytes, \(remaining) left", at: at)
        }
        return count
    }

    mutating func readName(_ field: String) throws -> String {
        let length = Int(try read(UInt16.self, "\(field) length"))
        return try readUTF8(length: length, field)
    }

    mutating func readOptionalString(_ field: String, maxBytes: Int = GroupStateRecord.maxReasonBytes) throws -> String?
    {
        let at = position
        let length = try read(Int32.self, "\(field) length")
        if length == -1 { return nil }
        guard length >= 0 else { throw error("\(field) length \(length) is negative", at: at) }
        guard Int(length) <= maxBytes else {
            throw error("\(field) of \(length) bytes is over the \(maxBytes)-byte limit", at: at)
        }
        return try readUTF8(length: Int(length), field)
    }

    private mutating func readUTF8(length: Int, _ field: String) throws -> String {
        let at = position
        guard length <= remaining else { throw error("\(field) of \(length) bytes, \(remaining) left", at: at) }
        let bytes = buffer.readSlice(length: length)!
        guard let text = String(validating: bytes.readableBytesView, as: UTF8.self) else {
            throw error("\(field) is not valid UTF-8", at: at)
        }
        return text
    }

    /// An offset in ``GroupStateRecord/offsetRange``.
    mutating func readOffset(_ field: String) throws -> Int64 {
        let at = position
        let offset = try readInt64(field)
        guard GroupStateRecord.offsetRange.contains(offset) else {
            throw error("\(field) \(offset) is outside \(GroupStateRecord.offsetRange)", at: at)
        }
        return offset
    }

    mutating func readRange(_ field: String) throws -> ClosedRange<Int64> {
        let at = position
        let lower = try readOffset("\(field) start")
        let upper = try readOffset("\(field) end")
        guard lower <= upper else { throw error("\(field) \(lower)...\(upper) is reversed", at: at) }
        return lower...upper
    }

    mutating func readPartition(group: String) throws -> GroupPartitionID {
        let topic = try readName("topic")
        let at = position
        let partition = try readInt32("partition")
        guard partition >= 0 else { throw error("partition \(partition) is negative", at: at) }
        return GroupPartitionID(group: group, topic: topic, partition: partition)
    }

    mutating func readDefinition() throws -> GroupDefinition {
        let kindByte = try readUInt8("kind")
        guard let kind = GroupKind(rawValue: kindByte) else {
            throw error("unknown group kind \(kindByte)", at: position - 1)
        }
        let orderingByte = try readUInt8("ordering")
        guard let ordering = OrderingMode(rawValue: orderingByte) else {
            throw error("unknown ordering mode \(orderingByte)", at: position - 1)
        }
        let settingsStart = position
        var settings = GroupSettings()
        settings.ordering = ordering
        settings.ackTimeoutMilliseconds = try readInt64("ack timeout")
        settings.maxDeliveries = Int(try readInt32("max deliveries"))
        settings.maxUnfinishedPerPartition = Int(try readInt32("max unfinished per partition"))
        settings.backoffInitialMilliseconds = try readInt64("backoff initial")
        settings.backoffMultiplierPercent = Int(try readInt32("backoff multiplier"))
        settings.backoffMaxMilliseconds = try readInt64("backoff max")
        if let problem = GroupStateRecord.settingsProblem(settings) { throw error(problem, at: settingsStart) }
        // A topic takes at least its 2-byte length.
        let count = try readCount("topic count", elementBytes: 2)
        var topics: [String] = []
        topics.reserveCapacity(count)
        for _ in 0..<count { topics.append(try readName("topic")) }
        return GroupDefinition(kind: kind, settings: settings, topics: topics)
    }

    mutating func readEvent() throws -> GroupStateEvent {
        let at = position
        let typeByte = try readUInt8("event type")
        guard let type = GroupStateRecord.EventType(rawValue: typeByte) else {
            throw error("unknown event type \(typeByte)", at: at)
        }
        switch type {
        case .delivered:
            let time = try readInt64("delivery time")
            let count = try readCount("offset count", elementBytes: 8)
            var offsets: [Int64] = []
            offsets.reserveCapacity(count)
            for _ in 0..<count { offsets.append(try readOffset("delivered offset")) }
            return .delivered(offsets: offsets, at: time)
        case .failed:
            let offset = try readOffset("failed offset")
            return .failed(offset: offset, reason: try readOptionalString("failure reason"))
        case .acknowledged:
            let count = try readCount("range count", elementBytes: 16)
            var ranges: [ClosedRange<Int64>] = []
            ranges.reserveCapacity(count)
            for _ in 0..<count { ranges.append(try readRange("acknowledged range")) }
            return .acknowledged(ranges)
        case .deadLettered:
            return .deadLettered(offset: try readOffset("dead-lettered offset"))
        case .reset:
            return .reset(committedOffset: try readOffset("committed offset"))
        case .redriven:
            return .redriven(upTo: try readOffset("redrive limit"))
        }
    }

    /// A snapshot's state, checked to be what ``PersistedPartitionState`` promises: finished
    /// ranges sorted, disjoint, not adjacent and at or above the committed offset; deliveries
    /// sorted, unique, unfinished, with non-negative counts; from version 2, the read limit (-1 for
    /// none).
    mutating func readState(version: UInt8) throws -> PersistedPartitionState {
        var state = PersistedPartitionState(committedOffset: try readOffset("committed offset"))
        let rangeCount = try readCount("finished range count", elementBytes: 16)
        state.finished.reserveCapacity(rangeCount)
        for _ in 0..<rangeCount {
            let at = position
            let range = try readRange("finished range")
            // Above the committed offset (a range starting there would have advanced it), and
            // after the previous range with a gap of at least one offset. Offsets are below
            // Int64.max (readOffset), so the + 1 cannot overflow.
            let bound = state.finished.last.map { $0.upperBound + 1 } ?? state.committedOffset
            guard range.lowerBound > bound else {
                throw error("finished range \(range) is out of order or touches the one before", at: at)
            }
            state.finished.append(range)
        }
        // offset 8, counts 4 + 4, times 8 + 8, reason length 4.
        let deliveryCount = try readCount("delivery count", elementBytes: 36)
        state.deliveries.reserveCapacity(deliveryCount)
        var previous: Int64 = -1
        for _ in 0..<deliveryCount {
            let at = position
            let offset = try readOffset("delivery offset")
            guard offset > previous else { throw error("delivery offset \(offset) is out of order", at: at) }
            guard !state.isFinished(offset) else { throw error("delivery offset \(offset) is finished", at: at) }
            previous = offset
            let deliveries = try readInt32("delivery count")
            let failures = try readInt32("failure count")
            guard deliveries >= 0, failures >= 0 else { throw error("negative delivery count", at: at + 8) }
            let first = try readInt64("first delivery time")
            let last = try readInt64("last delivery time")
            let reason = try readOptionalString("failure reason")
            state.deliveries[offset] = DeliveryRecord(
                deliveryCount: Int(deliveries),
                failureCount: Int(failures),
                firstDeliveredAt: first,
                lastDeliveredAt: last,
                lastFailureReason: reason
            )
        }
        if version >= 2 {
            let at = position
            let limit = try readInt64("read limit")
            guard limit == -1 || GroupStateRecord.offsetRange.contains(limit) else {
                throw error("read limit \(limit) is neither -1 nor an offset", at: at)
            }
            state.readLimit = limit == -1 ? nil : limit
        }
        return state
    }
}
