import NIOCore

/// The shape of a group member's requests about delivered messages (`ack`, `nack`, `reject`,
/// `extend`): the subscription, then an array of entries, each about messages of one partition.
/// ```
/// subscriptionId      uint32
/// entries             array<Entry>      Entry's layout is the request's own
/// ```
/// A conforming request writes and reads one entry; the rest is here.
public protocol SubscriptionEntriesRequest: WireMessage {
    associatedtype Entry: Sendable
    /// The subscription the messages were delivered to.
    var subscriptionID: UInt32 { get }
    /// The request's entries.
    var entries: [Entry] { get }
    /// Creates a request.
    init(subscriptionID: UInt32, entries: [Entry])
    /// The fewest bytes an entry takes (checked against the bytes left before decoding a count).
    static var minimumEntryBytes: Int { get }
    /// Writes one entry.
    static func write(_ entry: Entry, into buffer: inout ByteBuffer)
    /// Reads one entry.
    static func readEntry(from buffer: inout ByteBuffer) throws -> Entry
}

extension SubscriptionEntriesRequest {
    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeInteger(subscriptionID)
        buffer.writeWireArray(entries) { buffer, entry in Self.write(entry, into: &buffer) }
    }

    public init(decoding buffer: inout ByteBuffer) throws {
        let subscriptionID = try buffer.readWire(UInt32.self, "subscriptionId")
        let entries = try buffer.readWireArray("entries", minimumElementBytes: Self.minimumEntryBytes) { buffer in
            try Self.readEntry(from: &buffer)
        }
        self.init(subscriptionID: subscriptionID, entries: entries)
    }
}

extension ByteBuffer {
    /// One delivered message's address in an entry: `topic string, partition int32, offset int64`.
    mutating func writeDeliveryAddress(topic: String, partition: Int32, offset: Int64) {
        writeWireString(topic)
        writeInteger(partition)
        writeInteger(offset)
    }

    /// Reads what ``writeDeliveryAddress(topic:partition:offset:)`` wrote.
    mutating func readDeliveryAddress() throws -> (topic: String, partition: Int32, offset: Int64) {
        (try readWireString("topic"), try readWire(Int32.self, "partition"), try readWire(Int64.self, "offset"))
    }
}
