import NIOCore

/// How a group orders the deliveries of one partition, on the wire (`int8`). The numbers are those
/// of the broker's `OrderingMode`. The mode the documentation calls `none` is ``unordered`` here, so
/// that `ordering: .none` on an optional cannot be mistaken for it.
public enum GroupOrdering: Int8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Messages with the same key are never in flight together and go in offset order (the default).
    case key = 0
    /// One message in flight per partition, in offset order.
    case partition = 1
    /// No ordering constraint (the mode `none`).
    case unordered = 2

    /// The mode's name in the documentation: `key`, `partition` or `none`.
    public var description: String {
        switch self {
        case .key: "key"
        case .partition: "partition"
        case .unordered: "none"
        }
    }
}

/// Where a new group starts reading, on the wire (`int8`); used only by the subscribe that creates
/// the group.
public enum GroupStartPosition: Int8, Sendable, Hashable, CaseIterable {
    /// At each partition's end: only messages produced from now on (the default).
    case latest = 0
    /// At each partition's start.
    case earliest = 1
}

/// Which protocol a group belongs to, on the wire (`int8`). A group name belongs to one kind.
public enum GroupKind: Int8, Sendable, Hashable, CaseIterable {
    /// A Sluice group: the broker dispatches messages to its members.
    case sluice = 0
    /// A Kafka classic consumer group (committed offsets only).
    case kafka = 1
}

/// Where `resetGroup` moves a group's committed offsets, on the wire (`int8`).
public enum GroupResetTarget: Int8, Sendable, Hashable, CaseIterable {
    /// Each partition's log start offset.
    case earliest = 0
    /// Each partition's log end offset.
    case latest = 1
    /// The offset in `value`, clamped into each partition's `logStartOffset ... logEndOffset`.
    case offset = 2
    /// The first offset whose record timestamp is at or after `value` (epoch milliseconds), or the
    /// log end offset if there is none.
    case timestamp = 3
}

extension ByteBuffer {
    /// Reads an `int8` enumeration; a value it does not define is `malformedRequest`.
    mutating func readWireEnum<T: RawRepresentable & CaseIterable>(_ type: T.Type, _ field: String) throws -> T
    where T.RawValue == Int8 {
        let raw = try readWire(Int8.self, field)
        guard let value = T(rawValue: raw) else {
            let known = T.allCases.map { "\($0.rawValue)" }.joined(separator: ", ")
            throw ProtocolError(.malformedRequest, "\(field): \(raw) is not one of \(known)")
        }
        return value
    }

    /// Reads an `int8` enumeration where -1 means "not given".
    mutating func readWireOptionalEnum<T: RawRepresentable & CaseIterable>(
        _ type: T.Type,
        _ field: String
    ) throws -> T? where T.RawValue == Int8 {
        let raw = try readWire(Int8.self, field)
        if raw == -1 { return nil }
        guard let value = T(rawValue: raw) else {
            let known = (["-1"] + T.allCases.map { "\($0.rawValue)" }).joined(separator: ", ")
            throw ProtocolError(.malformedRequest, "\(field): \(raw) is not one of \(known)")
        }
        return value
    }

    /// Reads a signed integer where -1 means "not given".
    mutating func readWireOptional<T: FixedWidthInteger & SignedInteger>(_ type: T.Type, _ field: String) throws -> T? {
        let value = try readWire(T.self, field)
        return value == -1 ? nil : value
    }

    /// Writes a signed integer, -1 for `nil`.
    mutating func writeWireOptional<T: FixedWidthInteger & SignedInteger>(_ value: T?) {
        writeInteger(value ?? -1)
    }

    /// Reads a `uint8` boolean: 0 or 1, anything else is `malformedRequest`.
    mutating func readWireBool(_ field: String) throws -> Bool {
        switch try readWire(UInt8.self, field) {
        case 0: return false
        case 1: return true
        case let other: throw ProtocolError(.malformedRequest, "\(field): \(other) is not 0 or 1")
        }
    }
}
