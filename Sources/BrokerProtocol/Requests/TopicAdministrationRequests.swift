import NIOCore

/// A topic setting on the wire: `-2` means "the broker's default", `-1` "no limit".
public enum TopicSettingValue {
    /// Use the broker's default.
    public static let brokerDefault: Int64 = -2
    /// No limit (retention only).
    public static let unlimited: Int64 = -1
}

/// `createTopic` v0 request:
/// ```
/// topic                   string
/// partitionCount          int32       1 ... the broker's limit
/// retentionMilliseconds   int64       -2 broker default, -1 keep forever
/// retentionBytes          int64       -2 broker default, -1 no size limit
/// segmentBytes            int64       -2 broker default
/// ```
public struct CreateTopicRequest: WireMessage, Hashable {
    public static let apiKey = APIKey.createTopic

    public var topic: String
    public var partitionCount: Int32
    public var retentionMilliseconds: Int64
    public var retentionBytes: Int64
    public var segmentBytes: Int64

    public init(
        topic: String,
        partitionCount: Int32,
        retentionMilliseconds: Int64 = TopicSettingValue.brokerDefault,
        retentionBytes: Int64 = TopicSettingValue.brokerDefault,
        segmentBytes: Int64 = TopicSettingValue.brokerDefault
    ) {
        self.topic = topic
        self.partitionCount = partitionCount
        self.retentionMilliseconds = retentionMilliseconds
        self.retentionBytes = retentionBytes
        self.segmentBytes = segmentBytes
    }

    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeWireString(topic)
        buffer.writeInteger(partitionCount)
        buffer.writeInteger(retentionMilliseconds)
        buffer.writeInteger(retentionBytes)
        buffer.writeInteger(segmentBytes)
    }

    public init(decoding buffer: inout ByteBuffer) throws {
        topic = try buffer.readWireString("topic")
        partitionCount = try buffer.readWire(Int32.self, "partitionCount")
        retentionMilliseconds = try buffer.readWire(Int64.self, "retentionMilliseconds")
        retentionBytes = try buffer.readWire(Int64.self, "retentionBytes")
        segmentBytes = try buffer.readWire(Int64.self, "segmentBytes")
    }
}

/// `listTopics` v0 request: empty body.
public struct ListTopicsRequest: WireMessage, Hashable {
    public static let apiKey = APIKey.listTopics

    public init() {}
    public func encode(into buffer: inout ByteBuffer) {}
    public init(decoding buffer: inout ByteBuffer) throws {}
}

/// `describeTopic` v0 request: `topic: string`.
public struct DescribeTopicRequest: WireMessage, Hashable {
    public static let apiKey = APIKey.describeTopic

    public var topic: String

    public init(topic: String) { self.topic = topic }
    public func encode(into buffer: inout ByteBuffer) { buffer.writeWireString(topic) }
    public init(decoding buffer: inout ByteBuffer) throws { topic = try buffer.readWireString("topic") }
}

/// `deleteTopic` v0 request: `topic: string`.
public struct DeleteTopicRequest: WireMessage, Hashable {
    public static let apiKey = APIKey.deleteTopic

    public var topic: String

    public init(topic: String) { self.topic = topic }
    public func encode(into buffer: inout ByteBuffer) { buffer.writeWireString(topic) }
    public init(decoding buffer: inout ByteBuffer) throws { topic = try buffer.readWireString("topic") }
}

/// `addPartitions` v0 request: `topic: string, partitionCount: int32` (the new, larger total).
public struct AddPartitionsRequest: WireMessage, Hashable {
    public static let apiKey = APIKey.addPartitions

    public var topic: String
    public var partitionCount: Int32

    public init(topic: String, partitionCount: Int32) {
        self.topic = topic
        self.partitionCount = partitionCount
    }

    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeWireString(topic)
        buffer.writeInteger(partitionCount)
    }

    public init(decoding buffer: inout ByteBuffer) throws {
        topic = try buffer.readWireString("topic")
        partitionCount = try buffer.readWire(Int32.self, "partitionCount")
    }
}

/// `brokerStatus` v0 request: empty body.
public struct BrokerStatusRequest: WireMessage, Hashable {
    public static let apiKey = APIKey.brokerStatus

    public init() {}
    public func encode(into buffer: inout ByteBuffer) {}
    public init(decoding buffer: inout ByteBuffer) throws {}
}

/// `initProducer` v0 request: empty body. The broker allocates a new producer id.
public struct InitProducerRequest: WireMessage, Hashable {
    public static let apiKey = APIKey.initProducer

    public init() {}
    public func encode(into buffer: inout ByteBuffer) {}
    public init(decoding buffer: inout ByteBuffer) throws {}
}
