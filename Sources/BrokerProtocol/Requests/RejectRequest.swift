import NIOCore

/// `reject` v0 request: send these delivered messages straight to the group's dead-letter topic.
/// ```
/// subscriptionId      uint32
/// entries             array<{
///   topic             string
///   partition         int32
///   offset            int64
///   reason            nullable string   written into the dead letter's sluice.dlq.reason header
/// }>
/// ```
public struct RejectRequest: SubscriptionEntriesRequest, Hashable {
    public static let apiKey = APIKey.reject

    /// One rejected message.
    public struct Entry: Hashable, Sendable {
        public var topic: String
        public var partition: Int32
        public var offset: Int64
        /// Why it was rejected.
        public var reason: String?

        public init(topic: String, partition: Int32, offset: Int64, reason: String?) {
            self.topic = topic
            self.partition = partition
            self.offset = offset
            self.reason = reason
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

    public static let minimumEntryBytes = 16

    public static func write(_ entry: Entry, into buffer: inout ByteBuffer) {
        buffer.writeDeliveryAddress(topic: entry.topic, partition: entry.partition, offset: entry.offset)
        buffer.writeWireMessage(entry.reason)
    }

    public static func readEntry(from buffer: inout ByteBuffer) throws -> Entry {
        let address = try buffer.readDeliveryAddress()
        return Entry(
            topic: address.topic,
            partition: address.partition,
            offset: address.offset,
            reason: try buffer.readWireNullableString("reason")
        )
    }
}
