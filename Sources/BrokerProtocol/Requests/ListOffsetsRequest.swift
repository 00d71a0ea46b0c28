import NIOCore

/// `listOffsets` v0 request:
/// ```
/// topic               string
/// partitions          array<{ partition int32, timestamp int64 }>
///                     timestamp -2: earliest (log start), -1: latest (log end),
///                     otherwise epoch ms: the first offset with a timestamp at or after it
/// ```
public struct ListOffsetsRequest: WireMessage, Hashable {
    public static let apiKey = APIKey.listOffsets
    /// Ask for the log start offset.
    public static let earliest: Int64 = -2
    /// Ask for the log end offset.
    public static let latest: Int64 = -1

    /// One partition to look up.
    public struct Query: Hashable, Sendable {
        public var partition: Int32
        public var timestamp: Int64

        public init(partition: Int32, timestamp: Int64) {
            self.partition = partition
            self.timestamp = timestamp
        }
    }

    public var topic: String
    public var partitions: [Query]

    public init(topic: String, partitions: [Query]) {
        self.topic = topic
        self.partitions = partitions
    }

    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeWireString(topic)
        buffer.writeWireArray(partitions) { buffer, query in
            buffer.writeInteger(query.partition)
            buffer.writeInteger(query.timestamp)
        }
    }

    public init(decoding buffer: inout ByteBuffer) throws {
        topic = try buffer.readWireString("topic")
        partitions = try buffer.readWireArray("partitions", minimumElementBytes: 12) { buffer in
            Query(
                partition: try buffer.readWire(Int32.self, "partition"),
                timestamp: try buffer.readWire(Int64.self, "timestamp")
            )
        }
    }
}
