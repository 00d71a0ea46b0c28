import NIOCore

/// `produce` v0 response, one result per request partition entry, in request order:
/// ```
/// topic               string
/// partitions          array<{
///   partition         int32       where the records went (chosen by the broker if -1 was asked)
///   errorCode         int16
///   errorMessage      nullable string
///   baseOffset        int64       offset of the first record (-1 on error)
///   lastOffset        int64       offset of the last record (-1 on error)
///   recordOffsets     array<int64> empty when the records got baseOffset...lastOffset in order;
///                                 otherwise one offset per record (a deduplicated record carries
///                                 the offset of its first copy)
/// }>
/// ```
public struct ProduceResponse: WireMessage, Hashable {
    public static let apiKey = APIKey.produce

    /// What happened to one partition entry.
    public struct PartitionResult: Hashable, Sendable {
        public var partition: Int32
        public var errorCode: ErrorCode
        public var errorMessage: String?
        public var baseOffset: Int64
        public var lastOffset: Int64
        public var recordOffsets: [Int64]

        public init(
            partition: Int32,
            errorCode: ErrorCode = .none,
            errorMessage: String? = nil,
            baseOffset: Int64,
            lastOffset: Int64,
            recordOffsets: [Int64] = []
        ) {
            self.partition = partition
            self.errorCode = errorCode
            self.errorMessage = errorMessage
            self.baseOffset = baseOffset
            self.lastOffset = lastOffset
            self.recordOffsets = recordOffsets
        }

        /// A failed entry.
        public static func failure(partition: Int32, _ code: ErrorCode, _ message: String) -> PartitionResult {
            PartitionResult(
                partition: partition,
                errorCode: code,
                errorMessage: message,
                baseOffset: -1,
                lastOffset: -1
            )
        }

        /// The offset of the record at `index` in the entry's batches.
        public func offset(ofRecordAt index: Int) -> Int64 {
            recordOffsets.isEmpty ? baseOffset + Int64(index) : recordOffsets[index]
        }
    }

    public var topic: String
    public var partitions: [PartitionResult]

    public init(topic: String, partitions: [PartitionResult]) {
        self.topic = topic
        self.partitions = partitions
    }

    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeWireString(topic)
        buffer.writeWireArray(partitions) { buffer, result in
            buffer.writeInteger(result.partition)
            buffer.writeInteger(result.errorCode.rawValue)
            buffer.writeWireMessage(result.errorMessage)
            buffer.writeInteger(result.baseOffset)
            buffer.writeInteger(result.lastOffset)
            buffer.writeWireArray(result.recordOffsets) { $0.writeInteger($1) }
        }
    }

    public init(decoding buffer: inout ByteBuffer) throws {
        topic = try buffer.readWireString("topic")
        partitions = try buffer.readWireArray("partitions", minimumElementBytes: 28) { buffer in
            PartitionResult(
                partition: try buffer.readWire(Int32.self, "partition"),
                errorCode: ErrorCode(rawValue: try buffer.readWire(Int16.self, "errorCode")),
                errorMessage: try buffer.readWireNullableString("errorMessage"),
                baseOffset: try buffer.readWire(Int64.self, "baseOffset"),
                lastOffset: try buffer.readWire(Int64.self, "lastOffset"),
                recordOffsets: try buffer.readWireArray("recordOffsets", minimumElementBytes: 8) {
                    try $0.readWire(Int64.self, "recordOffset")
                }
            )
        }
    }
}
