import NIOCore

/// `fetch` v0 response, in request order:
/// ```
/// topics              array<{
///   topic             string
///   partitions        array<{
///     partition       int32
///     errorCode       int16       offsetOutOfRange: the offset is outside
///                                 logStartOffset...logEndOffset (reading at logEndOffset waits);
///                                 offsetsLost: the offset lies in a range damage on disk took
///     errorMessage    nullable string
///     logStartOffset  int64
///     logEndOffset    int64
///     records         bytes       whole RecordBatch v2 batches as stored; the first may start
///                                 before the requested offset. With offsetsLost, exactly 16 bytes:
///                                 firstLostOffset int64, nextOffset int64 (the lost offsets are
///                                 firstLostOffset..<nextOffset; read on from nextOffset)
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
        /// With ``ErrorCode/offsetsLost``: the offsets that damage on disk took (the range may
        /// start before the offset fetched); fetch on from `upperBound`. Sent in `records`.
        public var lostOffsets: Range<Int64>?

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

        /// An ``ErrorCode/offsetsLost`` answer: `lostOffsets` are gone, no records.
        public init(
            partition: Int32,
            lostOffsets: Range<Int64>,
            errorMessage: String?,
            logStartOffset: Int64,
            logEndOffset: Int64
        ) {
            precondition(!lostOffsets.isEmpty)
            self.init(
                partition: partition,
                errorCode: .offsetsLost,
                errorMessage: errorMessage,
                logStartOffset: logStartOffset,
                logEndOffset: logEndOffset
            )
            self.lostOffsets = lostOffsets
        }

        /// The bytes sent in the `records` field: the lost range for ``ErrorCode/offsetsLost``.
        var wireRecords: ByteBuffer {
            guard errorCode == .offsetsLost, let lostOffsets else { return records }
            var buffer = ByteBuffer()
            buffer.writeInteger(lostOffsets.lowerBound)
            buffer.writeInteger(lostOffsets.upperBound)
            return buffer
        }

        /// Reads the lost range out of `records` for ``ErrorCode/offsetsLost``.
        mutating func decodeLostOffsets() throws {
            guard errorCode == .offsetsLost else { return }
            guard records.readableBytes == 16, let lower = records.readInteger(as: Int64.self),
                let upper = records.readInteger(as: Int64.self), lower < upper
            else {
                throw ProtocolError(
                    .malformedRequest,
                    "records: offsetsLost needs 16 bytes holding firstLostOffset < nextOffset"
                )
            }
            lostOffsets = lower..<upper
            records = ByteBuffer()
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
                buffer.writeWireBytes(data.wireRecords)
            }
        }
    }

    public init(decoding buffer: inout ByteBuffer) throws {
        topics = try buffer.readWireArray("topics", minimumElementBytes: 6) { buffer in
            TopicData(
                topic: try buffer.readWireString("topic"),
                partitions: try buffer.readWireArray("partitions", minimumElementBytes: 28) { buffer in
                    var data = PartitionData(
                        partition: try buffer.readWire(Int32.self, "partition"),
                        errorCode: ErrorCode(rawValue: try buffer.readWire(Int16.self, "errorCode")),
                        errorMessage: try buffer.readWireNullableString("errorMessage"),
                        logStartOffset: try buffer.readWire(Int64.self, "logStartOffset"),
                        logEndOffset: try buffer.readWire(Int64.self, "logEndOffset"),
                        records: try buffer.readWireBytes("records") ?? ByteBuffer()
                    )
                    try data.decodeLostOffsets()
                    return data
                }
            )
        }
    }
}
