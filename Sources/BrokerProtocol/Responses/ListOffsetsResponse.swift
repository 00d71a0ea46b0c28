import NIOCore

/// `listOffsets` v0 response, in request order:
/// ```
/// topic               string
/// partitions          array<{
///   partition         int32
///   errorCode         int16
///   errorMessage      nullable string
///   offset            int64       -1 when no record is at or after the timestamp
///   logStartOffset    int64
///   logEndOffset      int64
/// }>
/// ```
public struct ListOffsetsResponse: WireMessage, Hashable {
    public static let apiKey = APIKey.listOffsets

    /// The answer for one partition.
    public struct Result: Hashable, Sendable {
        public var partition: Int32
        public var errorCode: ErrorCode
        public var errorMessage: String?
        public var offset: Int64
        public var logStartOffset: Int64
        public var logEndOffset: Int64

        public init(
            partition: Int32,
            errorCode: ErrorCode = .none,
            errorMessage: String? = nil,
            offset: Int64,
            logStartOffset: Int64,
            logEndOffset: Int64
        ) {
            self.partition = partition
            self.errorCode = errorCode
            self.errorMessage = errorMessage
            self.offset = offset
            self.logStartOffset = logStartOffset
            self.logEndOffset = logEndOffset
        }
    }

    public var topic: String
    public var partitions: [Result]

    public init(topic: String, partitions: [Result]) {
        self.topic = topic
        self.partitions = partitions
    }

    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeWireString(topic)
        buffer.writeWireArray(partitions) { buffer, result in
            buffer.writeInteger(result.partition)
            buffer.writeInteger(result.errorCode.rawValue)
            buffer.writeWireMessage(result.errorMessage)
            buffer.writeInteger(result.offset)
            buffer.writeInteger(result.logStartOffset)
            buffer.writeInteger(result.logEndOffset)
        }
    }

    public init(decoding buffer: inout ByteBuffer) throws {
        topic = try buffer.readWireString("topic")
        partitions = try buffer.readWireArray("partitions", minimumElementBytes: 32) { buffer in
            Result(
                partition: try buffer.readWire(Int32.self, "partition"),
                errorCode: ErrorCode(rawValue: try buffer.readWire(Int16.self, "errorCode")),
                errorMessage: try buffer.readWireNullableString("errorMessage"),
                offset: try buffer.readWire(Int64.self, "offset"),
                logStartOffset: try buffer.readWire(Int64.self, "logStartOffset"),
                logEndOffset: try buffer.readWire(Int64.self, "logEndOffset")
            )
        }
    }
}
