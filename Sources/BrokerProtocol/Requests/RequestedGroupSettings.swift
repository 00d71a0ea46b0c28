import NIOCore

/// The group settings a `subscribe` asks for; `nil` (-1 on the wire) means "the group's, or the
/// broker's default when the subscribe creates the group". 37 bytes, in the order of
/// ``ResolvedGroupSettings``:
/// ```
/// ordering                    int8    -1, 0 key, 1 partition, 2 none (other values: malformedRequest)
/// ackTimeoutMs                int64   -1 or a value
/// maxDeliveries               int32   -1 or a value
/// maxUnfinishedPerPartition   int32   -1 or a value
/// backoffInitialMs            int64   -1 or a value
/// backoffMultiplierPercent    int32   -1 or a value
/// backoffMaxMs                int64   -1 or a value
/// ```
/// A value of -1 is `nil`: `.some(-1)` encodes as -1 and decodes as `nil`. Values out of the
/// broker's ranges are the broker's to refuse (`invalidRequest`), not the decoder's.
public struct RequestedGroupSettings: Hashable, Sendable {
    /// Bytes of the encoding.
    public static let encodedBytes = 37

    public var ordering: GroupOrdering?
    public var ackTimeoutMilliseconds: Int64?
    public var maxDeliveries: Int32?
    public var maxUnfinishedPerPartition: Int32?
    public var backoffInitialMilliseconds: Int64?
    public var backoffMultiplierPercent: Int32?
    public var backoffMaxMilliseconds: Int64?

    /// Creates a request for settings; every one left out takes the group's (or the default).
    public init(
        ordering: GroupOrdering? = nil,
        ackTimeoutMilliseconds: Int64? = nil,
        maxDeliveries: Int32? = nil,
        maxUnfinishedPerPartition: Int32? = nil,
        backoffInitialMilliseconds: Int64? = nil,
        backoffMultiplierPercent: Int32? = nil,
        backoffMaxMilliseconds: Int64? = nil
    ) {
        self.ordering = ordering
        self.ackTimeoutMilliseconds = ackTimeoutMilliseconds
        self.maxDeliveries = maxDeliveries
        self.maxUnfinishedPerPartition = maxUnfinishedPerPartition
        self.backoffInitialMilliseconds = backoffInitialMilliseconds
        self.backoffMultiplierPercent = backoffMultiplierPercent
        self.backoffMaxMilliseconds = backoffMaxMilliseconds
    }

    /// One setting a subscribe asks for that differs from the existing group's.
    public struct Conflict: Hashable, Sendable, CustomStringConvertible {
        /// Creates a conflict.
        public init(setting: String, requested: String, existing: String) {
            self.setting = setting
            self.requested = requested
            self.existing = existing
        }

        /// The setting's wire name (`ackTimeoutMs`).
        public var setting: String
        /// The value the subscribe asked for.
        public var requested: String
        /// The group's value.
        public var existing: String

        /// The `groupSettingsConflict` message after the group's name: `ackTimeoutMs is 30000, the
        /// subscribe asked for 5000` (the broker sends `group 'billing': ` + this).
        public var description: String {
            "\(setting) is \(existing), the subscribe asked for \(requested)"
        }
    }

    /// `base` with every setting given here put in its place: the settings of a group this
    /// subscribe creates, when `base` is the broker's defaults.
    public func resolved(over base: ResolvedGroupSettings) -> ResolvedGroupSettings {
        ResolvedGroupSettings(
            ordering: ordering ?? base.ordering,
            ackTimeoutMilliseconds: ackTimeoutMilliseconds ?? base.ackTimeoutMilliseconds,
            maxDeliveries: maxDeliveries ?? base.maxDeliveries,
            maxUnfinishedPerPartition: maxUnfinishedPerPartition ?? base.maxUnfinishedPerPartition,
            backoffInitialMilliseconds: backoffInitialMilliseconds ?? base.backoffInitialMilliseconds,
            backoffMultiplierPercent: backoffMultiplierPercent ?? base.backoffMultiplierPercent,
            backoffMaxMilliseconds: backoffMaxMilliseconds ?? base.backoffMaxMilliseconds
        )
    }

    /// The first setting (in wire order) given here that differs from the existing group's, or
    /// `nil` when the subscribe agrees with the group: the rule behind `groupSettingsConflict`.
    public func firstConflict(with existing: ResolvedGroupSettings) -> Conflict? {
        func check<T: Equatable>(_ name: String, _ requested: T?, _ current: T) -> Conflict? {
            guard let requested, requested != current else { return nil }
            return Conflict(setting: name, requested: "\(requested)", existing: "\(current)")
        }
        return check("ordering", ordering, existing.ordering)
            ?? check("ackTimeoutMs", ackTimeoutMilliseconds, existing.ackTimeoutMilliseconds)
            ?? check("maxDeliveries", maxDeliveries, existing.maxDeliveries)
            ?? check("maxUnfinishedPerPartition", maxUnfinishedPerPartition, existing.maxUnfinishedPerPartition)
            ?? check("backoffInitialMs", backoffInitialMilliseconds, existing.backoffInitialMilliseconds)
            ?? check("backoffMultiplierPercent", backoffMultiplierPercent, existing.backoffMultiplierPercent)
            ?? check("backoffMaxMs", backoffMaxMilliseconds, existing.backoffMaxMilliseconds)
    }

    /// Writes the 37 bytes.
    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeInteger(ordering?.rawValue ?? -1)
        buffer.writeWireOptional(ackTimeoutMilliseconds)
        buffer.writeWireOptional(maxDeliveries)
        buffer.writeWireOptional(maxUnfinishedPerPartition)
        buffer.writeWireOptional(backoffInitialMilliseconds)
        buffer.writeWireOptional(backoffMultiplierPercent)
        buffer.writeWireOptional(backoffMaxMilliseconds)
    }

    /// Reads the 37 bytes; an ordering other than -1 to 2 is `malformedRequest`.
    public init(decoding buffer: inout ByteBuffer) throws {
        ordering = try buffer.readWireOptionalEnum(GroupOrdering.self, "ordering")
        ackTimeoutMilliseconds = try buffer.readWireOptional(Int64.self, "ackTimeoutMs")
        maxDeliveries = try buffer.readWireOptional(Int32.self, "maxDeliveries")
        maxUnfinishedPerPartition = try buffer.readWireOptional(Int32.self, "maxUnfinishedPerPartition")
        backoffInitialMilliseconds = try buffer.readWireOptional(Int64.self, "backoffInitialMs")
        backoffMultiplierPercent = try buffer.readWireOptional(Int32.self, "backoffMultiplierPercent")
        backoffMaxMilliseconds = try buffer.readWireOptional(Int64.self, "backoffMaxMs")
    }
}
