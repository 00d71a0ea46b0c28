import NIOCore

/// `extend` v0 request: still working on these delivered messages; restart their ack timeout.
/// ```
/// subscriptionId      uint32
/// entries             array<{ topic string, partition int32, offset int64 }>
/// ```
public struct ExtendRequest: SubscriptionEntriesRequest, Hashable {
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

    public static let minimumEntryBytes = 14

    public static func write(_ entry: Entry, into buffer: inout ByteBuffer) {
        buffer.writeDeliveryAddress(topic: entry.topic, partition: entry.partition, offset: entry.offset)
    }

    public static func readEntry(from buffer: inout ByteBuffer) throws -> Entry {
        let address = try buffer.readDeliveryAddress()
        return Entry(topic: address.topic, partition: address.partition, offset: address.offset)
    }
}
