import NIOCore

/// `listGroups` v0 response, sorted by group name:
/// ```
/// groups              array<{
///   group             string
///   kind              int8        0 sluice, 1 kafka (other values: malformed)
///   topics            array<string>   sorted
///   members           int32       connected members
/// }>
/// ```
public struct ListGroupsResponse: WireMessage, Hashable {
    public static let apiKey = APIKey.listGroups

    /// One group.
    public struct GroupSummary: Hashable, Sendable {
        public var group: String
        public var kind: GroupKind
        public var topics: [String]
        public var members: Int32

        public init(group: String, kind: GroupKind, topics: [String], members: Int32) {
            self.group = group
            self.kind = kind
            self.topics = topics
            self.members = members
        }
    }

    public var groups: [GroupSummary]

    public init(groups: [GroupSummary]) { self.groups = groups }

    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeWireArray(groups) { buffer, group in
            buffer.writeWireString(group.group)
            buffer.writeInteger(group.kind.rawValue)
            buffer.writeWireArray(group.topics) { $0.writeWireString($1) }
            buffer.writeInteger(group.members)
        }
    }

    public init(decoding buffer: inout ByteBuffer) throws {
        groups = try buffer.readWireArray("groups", minimumElementBytes: 11) { buffer in
            GroupSummary(
                group: try buffer.readWireString("group"),
                kind: try buffer.readWireEnum(GroupKind.self, "kind"),
                topics: try buffer.readWireArray("topics", minimumElementBytes: 2) { try $0.readWireString("topic") },
                members: try buffer.readWire(Int32.self, "members")
            )
        }
    }
}

/// `resetGroup` v0 response, the new committed offset of every partition of the topic, sorted by
/// partition: `partitions: array<{ partition int32, offset int64 }>`.
public struct ResetGroupResponse: WireMessage, Hashable {
    public static let apiKey = APIKey.resetGroup

    /// One partition's new committed offset.
    public struct PartitionOffset: Hashable, Sendable {
        public var partition: Int32
        public var offset: Int64

        public init(partition: Int32, offset: Int64) {
            self.partition = partition
            self.offset = offset
        }
    }

    public var partitions: [PartitionOffset]

    public init(partitions: [PartitionOffset]) { self.partitions = partitions }

    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeWireArray(partitions) { buffer, partition in
            buffer.writeInteger(partition.partition)
            buffer.writeInteger(partition.offset)
        }
    }

    public init(decoding buffer: inout ByteBuffer) throws {
        partitions = try buffer.readWireArray("partitions", minimumElementBytes: 12) { buffer in
            PartitionOffset(
                partition: try buffer.readWire(Int32.self, "partition"),
                offset: try buffer.readWire(Int64.self, "offset")
            )
        }
    }
}

/// `redriveDeadLetters` v0 response: `redriven: int64`, how many dead letters will be delivered
/// again.
public struct RedriveDeadLettersResponse: WireMessage, Hashable {
    public static let apiKey = APIKey.redriveDeadLetters

    public var redriven: Int64

    public init(redriven: Int64) { self.redriven = redriven }
    public func encode(into buffer: inout ByteBuffer) { buffer.writeInteger(redriven) }
    public init(decoding buffer: inout ByteBuffer) throws { redriven = try buffer.readWire(Int64.self, "redriven") }
}
