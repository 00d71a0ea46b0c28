import NIOCore

/// `describeGroup` v0 response:
/// ```
/// kind                int8        0 sluice, 1 kafka (other values: malformed)
/// settings            37 bytes    ResolvedGroupSettings
/// members             array<{
///   memberId          string      unique among the group's members
///   clientAddress     string      the member's connection, "host:port"
///   credits           uint32      deliveries it may still receive
///   inFlight          int32       deliveries it holds, not yet acknowledged
/// }>
/// partitions          array<{     sorted by topic, then partition
///   topic             string
///   partition         int32
///   committedOffset   int64       every offset below it is finished
///   logEndOffset      int64
///   lag               int64       logEndOffset - committedOffset
///   inFlight          int32       delivered, not yet acknowledged
///   unfinished        int32       above the committed offset, not finished (at most maxUnfinishedPerPartition)
///   deadLettered      int64       messages of this partition the group has dead-lettered
/// }>
/// ```
public struct DescribeGroupResponse: WireMessage, Hashable {
    public static let apiKey = APIKey.describeGroup

    /// One connected member.
    public struct Member: Hashable, Sendable {
        public var memberID: String
        public var clientAddress: String
        public var credits: UInt32
        public var inFlight: Int32

        public init(memberID: String, clientAddress: String, credits: UInt32, inFlight: Int32) {
            self.memberID = memberID
            self.clientAddress = clientAddress
            self.credits = credits
            self.inFlight = inFlight
        }
    }

    /// The group on one partition.
    public struct PartitionState: Hashable, Sendable {
        public var topic: String
        public var partition: Int32
        public var committedOffset: Int64
        public var logEndOffset: Int64
        public var lag: Int64
        public var inFlight: Int32
        public var unfinished: Int32
        public var deadLettered: Int64

        public init(
            topic: String,
            partition: Int32,
            committedOffset: Int64,
            logEndOffset: Int64,
            lag: Int64,
            inFlight: Int32,
            unfinished: Int32,
            deadLettered: Int64
        ) {
            self.topic = topic
            self.partition = partition
            self.committedOffset = committedOffset
            self.logEndOffset = logEndOffset
            self.lag = lag
            self.inFlight = inFlight
            self.unfinished = unfinished
            self.deadLettered = deadLettered
        }
    }

    public var kind: GroupKind
    public var settings: ResolvedGroupSettings
    public var members: [Member]
    public var partitions: [PartitionState]

    public init(kind: GroupKind, settings: ResolvedGroupSettings, members: [Member], partitions: [PartitionState]) {
        self.kind = kind
        self.settings = settings
        self.members = members
        self.partitions = partitions
    }

    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeInteger(kind.rawValue)
        settings.encode(into: &buffer)
        buffer.writeWireArray(members) { buffer, member in
            buffer.writeWireString(member.memberID)
            buffer.writeWireString(member.clientAddress)
            buffer.writeInteger(member.credits)
            buffer.writeInteger(member.inFlight)
        }
        buffer.writeWireArray(partitions) { buffer, state in
            buffer.writeWireString(state.topic)
            buffer.writeInteger(state.partition)
            buffer.writeInteger(state.committedOffset)
            buffer.writeInteger(state.logEndOffset)
            buffer.writeInteger(state.lag)
            buffer.writeInteger(state.inFlight)
            buffer.writeInteger(state.unfinished)
            buffer.writeInteger(state.deadLettered)
        }
    }

    public init(decoding buffer: inout ByteBuffer) throws {
        kind = try buffer.readWireEnum(GroupKind.self, "kind")
        settings = try ResolvedGroupSettings(decoding: &buffer)
        members = try buffer.readWireArray("members", minimumElementBytes: 12) { buffer in
            Member(
                memberID: try buffer.readWireString("memberId"),
                clientAddress: try buffer.readWireString("clientAddress"),
                credits: try buffer.readWire(UInt32.self, "credits"),
                inFlight: try buffer.readWire(Int32.self, "inFlight")
            )
        }
        partitions = try buffer.readWireArray("partitions", minimumElementBytes: 46) { buffer in
            PartitionState(
                topic: try buffer.readWireString("topic"),
                partition: try buffer.readWire(Int32.self, "partition"),
                committedOffset: try buffer.readWire(Int64.self, "committedOffset"),
                logEndOffset: try buffer.readWire(Int64.self, "logEndOffset"),
                lag: try buffer.readWire(Int64.self, "lag"),
                inFlight: try buffer.readWire(Int32.self, "inFlight"),
                unfinished: try buffer.readWire(Int32.self, "unfinished"),
                deadLettered: try buffer.readWire(Int64.self, "deadLettered")
            )
        }
    }
}
