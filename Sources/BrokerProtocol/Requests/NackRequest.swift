import NIOCore

/// `nack` v0 request: these deliveries failed; deliver the messages again later. Each counts
/// towards the group's `maxDeliveries`.
/// ```
/// subscriptionId      uint32
/// entries             array<{
///   topic             string
///   partition         int32
///   offset            int64
///   delayMs           int64       -1: the group's backoff; otherwise the wait before the next delivery
///   reason            nullable string   kept as the message's last failure reason
/// }>
/// ```
public struct NackRequest: SubscriptionEntriesRequest, Hashable {
    public static let apiKey = APIKey.nack

    /// One failed delivery.
    public struct Entry: Hashable, Sendable {
        public var topic: String
        public var partition: Int32
        public var offset: Int64
        /// The wait before the message is delivered again; `nil` (-1): the group's backoff.
        public var delayMilliseconds: Int64?
        /// Why it failed.
        public var reason: String?

        public init(topic: String, partition: Int32, offset: Int64, delayMilliseconds: Int64? = nil, reason: String?) {
            self.topic = topic
            self.partition = partition
            self.offset = offset
            self.delayMilliseconds = delayMilliseconds
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

    public static let minimumEntryBytes = 24

    public static func write(_ entry: Entry, into buffer: inout ByteBuffer) {
        buffer.writeDeliveryAddress(topic: entry.topic, partition: entry.partition, offset: entry.offset)
        buffer.writeWireOptional(entry.delayMilliseconds)
        buffer.writeWireMessage(entry.reason)
    }

    public static func readEntry(from buffer: inout ByteBuffer) throws -> Entry {
        let address = try buffer.readDeliveryAddress()
        return Entry(
            topic: address.topic,
            partition: address.partition,
            offset: address.offset,
            delayMilliseconds: try buffer.readWireOptional(Int64.self, "delayMs"),
            reason: try buffer.readWireNullableString("reason")
        )
    }
}
