import NIOCore

/// `ack` v0 request: these delivered messages are finished. Answered once the acknowledgements
/// are durable.
/// ```
/// subscriptionId      uint32
/// entries             array<{
///   topic             string
///   partition         int32
///   ranges            array<{ firstOffset int64, lastOffset int64 }>   inclusive;
///                                 firstOffset > lastOffset: malformedRequest
/// }>
/// ```
public struct AckRequest: SubscriptionEntriesRequest, Hashable {
    public static let apiKey = APIKey.ack

    /// The offsets acknowledged on one partition.
    public struct Entry: Hashable, Sendable {
        public var topic: String
        public var partition: Int32
        /// Inclusive offset ranges, each with `lowerBound` = `firstOffset`.
        public var ranges: [ClosedRange<Int64>]

        public init(topic: String, partition: Int32, ranges: [ClosedRange<Int64>]) {
            self.topic = topic
            self.partition = partition
            self.ranges = ranges
        }
    }

    /// The subscription the messages were delivered to.
    public var subscriptionID: UInt32
    /// One entry per partition (a partition may appear more than once).
    public var entries: [Entry]

    /// Creates a request.
    public init(subscriptionID: UInt32, entries: [Entry]) {
        self.subscriptionID = subscriptionID
        self.entries = entries
    }

    /// What counts against the broker's `maxEntriesPerRequest`: each range, and each entry
    /// without ranges, counts one.
    public var countedEntries: Int {
        entries.reduce(0) { $0 + max(1, $1.ranges.count) }
    }

    public static let minimumEntryBytes = 10

    public static func write(_ entry: Entry, into buffer: inout ByteBuffer) {
        buffer.writeWireString(entry.topic)
        buffer.writeInteger(entry.partition)
        buffer.writeWireArray(entry.ranges) { buffer, range in
            buffer.writeInteger(range.lowerBound)
            buffer.writeInteger(range.upperBound)
        }
    }

    public static func readEntry(from buffer: inout ByteBuffer) throws -> Entry {
        Entry(
            topic: try buffer.readWireString("topic"),
            partition: try buffer.readWire(Int32.self, "partition"),
            ranges: try buffer.readWireArray("ranges", minimumElementBytes: 16) { buffer in
                let first = try buffer.readWire(Int64.self, "firstOffset")
                let last = try buffer.readWire(Int64.self, "lastOffset")
                guard first <= last else {
                    throw ProtocolError(.malformedRequest, "ranges: firstOffset \(first) is after lastOffset \(last)")
                }
                return first...last
            }
        )
    }
}
