import NIOCore

/// `fetch` v0 request: read from partitions, waiting up to `maxWaitMilliseconds` until at least
/// `minBytes` are available (long polling).
/// ```
/// maxWaitMilliseconds uint32
/// minBytes            uint32      answer at once when this many bytes are available
/// maxBytes            uint32      the most record bytes in the whole response (at least one batch)
/// topics              array<{
///   topic             string
///   partitions        array<{ partition int32, offset int64, maxBytes uint32 }>
/// }>
/// ```
public struct FetchRequest: WireMessage, Hashable {
    public static let apiKey = APIKey.fetch

    /// Where to read in one partition.
    public struct PartitionQuery: Hashable, Sendable {
        public var partition: Int32
        public var offset: Int64
        public var maxBytes: UInt32

        public init(partition: Int32, offset: Int64, maxBytes: UInt32) {
            self.partition = partition
            self.offset = offset
            self.maxBytes = maxBytes
        }
    }

    /// The partitions to read in one topic.
    public struct TopicQuery: Hashable, Sendable {
        public var topic: String
        public var partitions: [PartitionQuery]

        public init(topic: String, partitions: [PartitionQuery]) {
            self.topic = topic
            self.partitions = partitions
        }
    }

    public var maxWaitMilliseconds: UInt32
    public var minBytes: UInt32
    public var maxBytes: UInt32
    public var topics: [TopicQuery]

    public init(maxWaitMilliseconds: UInt32, minBytes: UInt32 = 1, maxBytes: UInt32, topics: [TopicQuery]) {
        self.maxWaitMilliseconds = maxWaitMilliseconds
        self.minBytes = minBytes
        self.maxBytes = maxBytes
        self.topics = topics
    }

    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeInteger(maxWaitMilliseconds)
        buffer.writeInteger(minBytes)
        buffer.writeInteger(maxBytes)
        buffer.writeWireArray(topics) { buffer, topic in
            buffer.writeWireString(topic.topic)
            buffer.writeWireArray(topic.partitions) { buffer, query in
                buffer.writeInteger(query.partition)
                buffer.writeInteger(query.offset)
                buffer.writeInteger(query.maxBytes)
            }
        }
    }

    public init(decoding buffer: inout ByteBuffer) throws {
        maxWaitMilliseconds = try buffer.readWire(UInt32.self, "maxWaitMilliseconds")
        minBytes = try buffer.readWire(UInt32.self, "minBytes")
        maxBytes = try buffer.readWire(UInt32.self, "maxBytes")
        topics = try buffer.readWireArray("topics", minimumElementBytes: 6) { buffer in
            TopicQuery(
                topic: try buffer.readWireString("topic"),
                partitions: try buffer.readWireArray("partitions", minimumElementBytes: 16) { buffer in
                    PartitionQuery(
                        partition: try buffer.readWire(Int32.self, "partition"),
                        offset: try buffer.readWire(Int64.self, "offset"),
                        maxBytes: try buffer.readWire(UInt32.self, "maxBytes")
                    )
                }
            )
        }
    }
}
