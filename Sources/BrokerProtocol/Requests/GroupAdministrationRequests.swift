import NIOCore

/// `listGroups` v0 request: empty body.
public struct ListGroupsRequest: WireMessage, Hashable {
    public static let apiKey = APIKey.listGroups

    public init() {}
    public func encode(into buffer: inout ByteBuffer) {}
    public init(decoding buffer: inout ByteBuffer) throws {}
}

/// `describeGroup` v0 request: `group: string`.
public struct DescribeGroupRequest: WireMessage, Hashable {
    public static let apiKey = APIKey.describeGroup

    public var group: String

    public init(group: String) { self.group = group }
    public func encode(into buffer: inout ByteBuffer) { buffer.writeWireString(group) }
    public init(decoding buffer: inout ByteBuffer) throws { group = try buffer.readWireString("group") }
}

/// `resetGroup` v0 request: move a group's committed offsets on every partition of one topic,
/// forgetting what it knew above them. Refused with `groupHasMembers` while a member is connected.
/// ```
/// group               string
/// topic               string
/// to                  int8        0 earliest, 1 latest, 2 offset, 3 timestamp
/// value               int64       the offset or the timestamp (epoch ms); ignored (write 0) for 0 and 1
/// ```
public struct ResetGroupRequest: WireMessage, Hashable {
    public static let apiKey = APIKey.resetGroup

    public var group: String
    public var topic: String
    public var to: GroupResetTarget
    public var value: Int64

    public init(group: String, topic: String, to: GroupResetTarget, value: Int64 = 0) {
        self.group = group
        self.topic = topic
        self.to = to
        self.value = value
    }

    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeWireString(group)
        buffer.writeWireString(topic)
        buffer.writeInteger(to.rawValue)
        buffer.writeInteger(value)
    }

    public init(decoding buffer: inout ByteBuffer) throws {
        group = try buffer.readWireString("group")
        topic = try buffer.readWireString("topic")
        to = try buffer.readWireEnum(GroupResetTarget.self, "to")
        value = try buffer.readWire(Int64.self, "value")
    }
}

/// `deleteGroup` v0 request: `group: string`. Refused with `groupHasMembers` while a member is
/// connected.
public struct DeleteGroupRequest: WireMessage, Hashable {
    public static let apiKey = APIKey.deleteGroup

    public var group: String

    public init(group: String) { self.group = group }
    public func encode(into buffer: inout ByteBuffer) { buffer.writeWireString(group) }
    public init(decoding buffer: inout ByteBuffer) throws { group = try buffer.readWireString("group") }
}

/// `redriveDeadLetters` v0 request: deliver a group's dead letters of one topic again, to that
/// group only.
/// ```
/// group               string
/// topic               string      the source topic (the dead letters are in dlq.<group>.<topic>)
/// limit               int64       the most dead letters to redrive; -1: all
/// ```
public struct RedriveDeadLettersRequest: WireMessage, Hashable {
    public static let apiKey = APIKey.redriveDeadLetters

    public var group: String
    public var topic: String
    /// The most dead letters to redrive; `nil` (-1): all of them.
    public var limit: Int64?

    public init(group: String, topic: String, limit: Int64? = nil) {
        self.group = group
        self.topic = topic
        self.limit = limit
    }

    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeWireString(group)
        buffer.writeWireString(topic)
        buffer.writeWireOptional(limit)
    }

    public init(decoding buffer: inout ByteBuffer) throws {
        group = try buffer.readWireString("group")
        topic = try buffer.readWireString("topic")
        limit = try buffer.readWireOptional(Int64.self, "limit")
    }
}
