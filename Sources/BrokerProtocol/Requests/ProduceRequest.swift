import NIOCore

/// How far a produce must get before the broker answers.
public enum Acks: Int8, Sendable, Hashable, CaseIterable {
    /// No response at all: fire and forget.
    case none = 0
    /// Answered once appended to the log (in the OS page cache).
    case written = 1
    /// Answered once fsynced (group commit). The default.
    case durable = 2
}

/// `produce` v0 request: record batches for partitions of one topic.
/// ```
/// acks                int8        0 none, 1 written, 2 durable
/// timeoutMilliseconds uint32      how long to wait for durability before answering requestTimedOut
/// topic               string
/// partitions          array<{
///   partition         int32       -1: the broker chooses (murmur2 of the records' shared key, else of
///                                 their message ids, which must share a partition, else round-robin)
///   flags             uint8       bit 0: records carry message ids (header "sluice.msg-id", bytes)
///   records           bytes       one or more RecordBatch v2, stored as sent
/// }>
/// ```
public struct ProduceRequest: WireMessage, Hashable {
    public static let apiKey = APIKey.produce
    /// The partition value that lets the broker choose.
    public static let anyPartition: Int32 = -1
    /// The record header that carries a message id for deduplication.
    public static let messageIDHeader = "sluice.msg-id"

    /// Record data for one partition.
    public struct PartitionData: Hashable, Sendable {
        /// The partition, or ``ProduceRequest/anyPartition``.
        public var partition: Int32
        /// Whether the broker should look for ``ProduceRequest/messageIDHeader`` headers.
        public var hasMessageIDs: Bool
        /// Record batches, exactly as they will be stored.
        public var records: ByteBuffer

        public init(partition: Int32, hasMessageIDs: Bool = false, records: ByteBuffer) {
            self.partition = partition
            self.hasMessageIDs = hasMessageIDs
            self.records = records
        }
    }

    public var acks: Acks
    public var timeoutMilliseconds: UInt32
    public var topic: String
    public var partitions: [PartitionData]

    public init(acks: Acks, timeoutMilliseconds: UInt32 = 30_000, topic: String, partitions: [PartitionData]) {
        self.acks = acks
        self.timeoutMilliseconds = timeoutMilliseconds
        self.topic = topic
        self.partitions = partitions
    }

    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeInteger(acks.rawValue)
        buffer.writeInteger(timeoutMilliseconds)
        buffer.writeWireString(topic)
        buffer.writeWireArray(partitions) { buffer, data in
            buffer.writeInteger(data.partition)
            buffer.writeInteger(UInt8(data.hasMessageIDs ? 1 : 0))
            buffer.writeWireBytes(data.records)
        }
    }

    public init(decoding buffer: inout ByteBuffer) throws {
        let rawAcks = try buffer.readWire(Int8.self, "acks")
        guard let acks = Acks(rawValue: rawAcks) else {
            throw ProtocolError(.malformedRequest, "acks: \(rawAcks) is not 0, 1 or 2")
        }
        self.acks = acks
        timeoutMilliseconds = try buffer.readWire(UInt32.self, "timeoutMilliseconds")
        topic = try buffer.readWireString("topic")
        partitions = try buffer.readWireArray("partitions", minimumElementBytes: 9) { buffer in
            let partition = try buffer.readWire(Int32.self, "partition")
            let flags = try buffer.readWire(UInt8.self, "flags")
            guard let records = try buffer.readWireBytes("records") else {
                throw ProtocolError(.malformedRequest, "records: null")
            }
            return PartitionData(partition: partition, hasMessageIDs: flags & 1 != 0, records: records)
        }
    }
}
