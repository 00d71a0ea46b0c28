import NIOCore

/// `deliver` v0: messages the broker delivers to a subscription, sent as a push (``PushFrame``,
/// apiKey 22, version 0), never as a request. Body:
/// ```
/// subscriptionId      uint32
/// topic               string
/// partition           int32
/// deliveries          array<{ offset int64, deliveryCount int32 }>   at least one; offsets
///                                 strictly ascending; deliveryCount >= 1 (1 on the first delivery)
/// records             bytes       one or more whole RecordBatch v2 batches exactly as stored that
///                                 hold every delivered offset; they may hold other records too,
///                                 which the client skips (it keeps the listed offsets only)
/// ```
/// Anything else (no deliveries, offsets out of order or repeated, a count below 1, null or empty
/// records) is refused with `malformedRequest`.
public struct DeliverPush: WireMessage, Hashable {
    public static let apiKey = APIKey.deliver
    /// The version this type encodes.
    public static let version: UInt16 = 0

    /// One delivered message.
    public struct Delivery: Hashable, Sendable {
        public var offset: Int64
        /// How many times the message has been delivered, this time included.
        public var deliveryCount: Int32

        public init(offset: Int64, deliveryCount: Int32) {
            self.offset = offset
            self.deliveryCount = deliveryCount
        }
    }

    /// The subscription the messages are for.
    public var subscriptionID: UInt32
    public var topic: String
    public var partition: Int32
    /// The delivered offsets, ascending.
    public var deliveries: [Delivery]
    /// Whole record batches as stored, holding every delivered offset.
    public var records: ByteBuffer

    public init(subscriptionID: UInt32, topic: String, partition: Int32, deliveries: [Delivery], records: ByteBuffer) {
        self.subscriptionID = subscriptionID
        self.topic = topic
        self.partition = partition
        self.deliveries = deliveries
        self.records = records
    }

    /// Reads a `deliver` push.
    /// - Throws: ``ProtocolError`` (`malformedRequest`) if the push is not `deliver` v0 or its body
    ///   does not decode.
    public init(_ push: PushFrame) throws {
        guard push.apiKey == .deliver, push.version == Self.version else {
            throw ProtocolError(
                .malformedRequest,
                "push \(push.apiKey) v\(push.version) is not \(APIKey.deliver) v\(Self.version)"
            )
        }
        self = try Self.decode(push.body)
    }

    /// The push that carries this delivery.
    public var pushFrame: PushFrame {
        PushFrame(apiKey: Self.apiKey, version: Self.version, body: encoded())
    }

    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeInteger(subscriptionID)
        buffer.writeWireString(topic)
        buffer.writeInteger(partition)
        buffer.writeWireArray(deliveries) { buffer, delivery in
            buffer.writeInteger(delivery.offset)
            buffer.writeInteger(delivery.deliveryCount)
        }
        buffer.writeWireBytes(records)
    }

    public init(decoding buffer: inout ByteBuffer) throws {
        subscriptionID = try buffer.readWire(UInt32.self, "subscriptionId")
        topic = try buffer.readWireString("topic")
        partition = try buffer.readWire(Int32.self, "partition")
        deliveries = try buffer.readWireArray("deliveries", minimumElementBytes: 12) { buffer in
            Delivery(
                offset: try buffer.readWire(Int64.self, "offset"),
                deliveryCount: try buffer.readWire(Int32.self, "deliveryCount")
            )
        }
        guard !deliveries.isEmpty else {
            throw ProtocolError(.malformedRequest, "deliveries: a deliver holds at least one")
        }
        var previous: Int64?
        for delivery in deliveries {
            if let previous, delivery.offset <= previous {
                throw ProtocolError(
                    .malformedRequest,
                    "deliveries: offset \(delivery.offset) after \(previous), offsets must be strictly ascending"
                )
            }
            guard delivery.deliveryCount >= 1 else {
                throw ProtocolError(
                    .malformedRequest,
                    "deliveries: offset \(delivery.offset) has deliveryCount \(delivery.deliveryCount), below 1"
                )
            }
            previous = delivery.offset
        }
        guard let records = try buffer.readWireBytes("records"), records.readableBytes > 0 else {
            throw ProtocolError(.malformedRequest, "records: a deliver carries record batches")
        }
        self.records = records
    }
}
