import NIOCore

/// `fetch` v0 response, in request order:
/// ```
/// topics              array<{
///   topic             string
///   partitions        array<{
///     partition       int32
///     errorCode       int16       offsetOutOfRange: the offset is outside
///                                 logStartOffset...logEndOffset (reading at logEndOffset waits)
///     errorMessage    nullable string
///     logStartOffset  int64
///     logEndOffset    int64
///     records         bytes       whole RecordBatch v2 batches as stored; the first may start
///                                 before the requested offset
///   }>
/// }>
/// ```
public struct FetchResponse: WireMessage, Hashable {
    public static let apiKey = APIKey.fetch

    /// What was read from one partition.
    public struct PartitionData: Hashable, Sendable {
        public var partition: Int32
        public var errorCode: ErrorCode
        public var errorMessage: String?
        public var logStartOffset: Int64
        public var logEndOffset: Int64
        public var records: ByteBuffer

        public init(
            partition: Int32,
            errorCode: ErrorCode = .none,
            errorMessage: String? = nil,
            logStartOffset: Int64,
            logEndOffset: Int64,
            records: ByteBuffer = ByteBuffer()
        ) {
            self.partition = partition
            self.errorCode = errorCode
            self.errorMessage = errorMessage
            self.logStartOffset = logStartOffset
            self.logEndOffset = logEndOffset
            self.records = records
        }
    }

    /// What was read from one topic.
    public struct TopicData: Hashable, Sendable {
        public var topic: String
        public var partitions: [PartitionData]

        public init(topic: String, partitions: [PartitionData]) {
            self.topic = topic
            self.partitions = partitions
        }
    }

    public var topics: [TopicData]

    public init(topics: [TopicData]) { self.topics = topics }

    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeWireArray(topics) { buffer, topic in
            buffer.writeWireString(topic.topic)
            buffer.writeWireArray(topic.partitions) { buffer, data in
                buffer.writeInteger(data.partition)
                buffer.writeInteger(data.errorCode.rawValue)
                buffer.writeWireMessage(data.errorMessage)
                buffer.writeInteger(data.logStartOffset)
                buffer.writeInteger(data.logEndOffset)
                buffer.writeWireBytes(data.records)
            }
        }
    }

    public init(decoding buffer: inout ByteBuffer) throws {
        topics = try buffer.readWireArray("topics", minimumElementBytes: 6) { buffer in
            TopicData(
                topic: try buffer.readWireString("topic"),
                partitions: try buffer.readWireArray("partitions", minimumElementBytes: 28) { buffer in
                    PartitionData(
                        partition: try buffer.readWire(Int32.self, "partition"),
                        errorCode: ErrorCode(rawValue: try buffer.readWire(Int16.self, "errorCode")),
                        errorMessage: try buffer.readWireNullableString("errorMessage"),
                        logStartOffset: try buffer.readWire(Int64.self, "logStartOffset"),
                        logEndOffset: try buffer.readWire(Int64.self, "logEndOffset"),
                        records: try buffer.readWireBytes("records") ?? ByteBuffer()
                    )
                }
            )
        }
    }
}
