import NIOCore

/// What happened to one entry of an `ack`, `nack`, `reject` or `extend`:
/// `topic string, partition int32, errorCode int16, errorMessage nullable string`.
public struct GroupEntryResult: Hashable, Sendable {
    /// The smallest encoding: an empty topic and a null message.
    static let minimumBytes = 10

    public var topic: String
    public var partition: Int32
    /// 0, or why this entry failed (`notDelivered`, `unknownTopic`, `invalidRequest`, …).
    public var errorCode: ErrorCode
    public var errorMessage: String?

    public init(topic: String, partition: Int32, errorCode: ErrorCode = .none, errorMessage: String? = nil) {
        self.topic = topic
        self.partition = partition
        self.errorCode = errorCode
        self.errorMessage = errorMessage
    }

    func encode(into buffer: inout ByteBuffer) {
        buffer.writeWireString(topic)
        buffer.writeInteger(partition)
        buffer.writeInteger(errorCode.rawValue)
        buffer.writeWireMessage(errorMessage)
    }

    init(decoding buffer: inout ByteBuffer) throws {
        topic = try buffer.readWireString("topic")
        partition = try buffer.readWire(Int32.self, "partition")
        errorCode = ErrorCode(rawValue: try buffer.readWire(Int16.self, "errorCode"))
        errorMessage = try buffer.readWireNullableString("errorMessage")
    }
}

extension ByteBuffer {
    mutating func writeGroupEntryResults(_ entries: [GroupEntryResult]) {
        writeWireArray(entries) { $1.encode(into: &$0) }
    }

    mutating func readGroupEntryResults() throws -> [GroupEntryResult] {
        try readWireArray("entries", minimumElementBytes: GroupEntryResult.minimumBytes) {
            try GroupEntryResult(decoding: &$0)
        }
    }
}

/// `ack` v0 response: `entries: array<GroupEntryResult>`, one per request entry, in request order;
/// sent once the acknowledgements are durable.
public struct AckResponse: WireMessage, Hashable {
    public static let apiKey = APIKey.ack

    public var entries: [GroupEntryResult]

    public init(entries: [GroupEntryResult]) { self.entries = entries }
    public func encode(into buffer: inout ByteBuffer) { buffer.writeGroupEntryResults(entries) }
    public init(decoding buffer: inout ByteBuffer) throws { entries = try buffer.readGroupEntryResults() }
}

/// `nack` v0 response: `entries: array<GroupEntryResult>`, one per request entry, in request order.
public struct NackResponse: WireMessage, Hashable {
    public static let apiKey = APIKey.nack

    public var entries: [GroupEntryResult]

    public init(entries: [GroupEntryResult]) { self.entries = entries }
    public func encode(into buffer: inout ByteBuffer) { buffer.writeGroupEntryResults(entries) }
    public init(decoding buffer: inout ByteBuffer) throws { entries = try buffer.readGroupEntryResults() }
}

/// `reject` v0 response: `entries: array<GroupEntryResult>`, one per request entry, in request
/// order; sent once the dead letters and their finished marks are durable.
public struct RejectResponse: WireMessage, Hashable {
    public static let apiKey = APIKey.reject

    public var entries: [GroupEntryResult]

    public init(entries: [GroupEntryResult]) { self.entries = entries }
    public func encode(into buffer: inout ByteBuffer) { buffer.writeGroupEntryResults(entries) }
    public init(decoding buffer: inout ByteBuffer) throws { entries = try buffer.readGroupEntryResults() }
}

/// `extend` v0 response: `entries: array<GroupEntryResult>`, one per request entry, in request order.
public struct ExtendResponse: WireMessage, Hashable {
    public static let apiKey = APIKey.extend

    public var entries: [GroupEntryResult]

    public init(entries: [GroupEntryResult]) { self.entries = entries }
    public func encode(into buffer: inout ByteBuffer) { buffer.writeGroupEntryResults(entries) }
    public init(decoding buffer: inout ByteBuffer) throws { entries = try buffer.readGroupEntryResults() }
}
