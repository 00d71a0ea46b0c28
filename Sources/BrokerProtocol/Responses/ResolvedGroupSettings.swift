import NIOCore

/// A group's settings as the broker applies them (every field resolved), in `subscribe` and
/// `describeGroup` responses. 37 bytes:
/// ```
/// ordering                    int8    0 key, 1 partition, 2 none
/// ackTimeoutMs                int64
/// maxDeliveries               int32
/// maxUnfinishedPerPartition   int32
/// backoffInitialMs            int64
/// backoffMultiplierPercent    int32   200 is x2
/// backoffMaxMs                int64
/// ```
/// The broker's `GroupSettings` holds the same values (and their accepted ranges).
public struct ResolvedGroupSettings: Hashable, Sendable {
    /// Bytes of the encoding.
    public static let encodedBytes = 37

    public var ordering: GroupOrdering
    public var ackTimeoutMilliseconds: Int64
    public var maxDeliveries: Int32
    public var maxUnfinishedPerPartition: Int32
    public var backoffInitialMilliseconds: Int64
    public var backoffMultiplierPercent: Int32
    public var backoffMaxMilliseconds: Int64

    /// Creates settings.
    public init(
        ordering: GroupOrdering,
        ackTimeoutMilliseconds: Int64,
        maxDeliveries: Int32,
        maxUnfinishedPerPartition: Int32,
        backoffInitialMilliseconds: Int64,
        backoffMultiplierPercent: Int32,
        backoffMaxMilliseconds: Int64
    ) {
        self.ordering = ordering
        self.ackTimeoutMilliseconds = ackTimeoutMilliseconds
        self.maxDeliveries = maxDeliveries
        self.maxUnfinishedPerPartition = maxUnfinishedPerPartition
        self.backoffInitialMilliseconds = backoffInitialMilliseconds
        self.backoffMultiplierPercent = backoffMultiplierPercent
        self.backoffMaxMilliseconds = backoffMaxMilliseconds
    }

    /// Writes the 37 bytes.
    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeInteger(ordering.rawValue)
        buffer.writeInteger(ackTimeoutMilliseconds)
        buffer.writeInteger(maxDeliveries)
        buffer.writeInteger(maxUnfinishedPerPartition)
        buffer.writeInteger(backoffInitialMilliseconds)
        buffer.writeInteger(backoffMultiplierPercent)
        buffer.writeInteger(backoffMaxMilliseconds)
    }

    /// Reads the 37 bytes; an ordering other than 0-2 is `malformedRequest`.
    public init(decoding buffer: inout ByteBuffer) throws {
        ordering = try buffer.readWireEnum(GroupOrdering.self, "ordering")
        ackTimeoutMilliseconds = try buffer.readWire(Int64.self, "ackTimeoutMs")
        maxDeliveries = try buffer.readWire(Int32.self, "maxDeliveries")
        maxUnfinishedPerPartition = try buffer.readWire(Int32.self, "maxUnfinishedPerPartition")
        backoffInitialMilliseconds = try buffer.readWire(Int64.self, "backoffInitialMs")
        backoffMultiplierPercent = try buffer.readWire(Int32.self, "backoffMultiplierPercent")
        backoffMaxMilliseconds = try buffer.readWire(Int64.self, "backoffMaxMs")
    }
}
