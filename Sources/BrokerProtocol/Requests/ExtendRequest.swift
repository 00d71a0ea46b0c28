import NIOCore

/// `extend` v0 request: still working on these delivered messages; restart their ack timeout.
/// ```
/// subscriptionId      uint32
/// entries             array<{ topic string, partition int32, offset int64 }>
/// ```
public struct ExtendRequest: WireMessage, Hashable {
    public static let apiKey = APIKey.extend

    /// One message still being worked on.
    public struct Entry: Hashable, Sendable {
        public var topic: String
        public var partition: Int32
        public var offset: Int64

        public init(topic: String, partition: Int32, offset: Int64) {
            self.topic = topic
            self.partition = partition
            self.offset = offset
        }
    }

    /// The subscription the messages were delivered to.
    public var subscriptionID: UInt32
    /// One entry per message.
    public var entries: [Entry]

    /// Creates a request.
    public init(subscriptionID: UInt32, entries: [Entry]) {
        self.subscriptionID = subscriptionID
        self.entries = entries
    }

    /// What counts against the broker's `maxEntriesPerRequest`: each entry.
    public var countedEntries: Int { entries.count }

    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeInteger(subscriptionID)
        buffer.writeWireArray(entries) { buffer, entry in
            buffer.writeWireString(entry.topic)
            buffer.writeInteger(entry.partition)
            buffer.writeInteger(entry.offset)
        }
    }

    public init(decoding buffer: inout ByteBuffer) throws {
        subscriptionID = try buffer.readWire(UInt32.self, "subscriptionId")
        entries = try buffer.readWireArray("entries", minimumElementBytes: 14) { buffer in
            Entry(
                topic: try buffer.readWireString("topic"),
                partition: try buffer.readWire(Int32.self, "partition"),
                offset: try buffer.readWire(Int64.self, "offset")
            )
        }
    }
}
