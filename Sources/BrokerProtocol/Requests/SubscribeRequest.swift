import NIOCore

/// `subscribe` v0 request: join a consumer group (creating it if needed) and open a subscription
/// on this connection.
/// ```
/// group               string      1-249 of [A-Za-z0-9._-], not starting with "__"
/// topics              array<string>   at least one (an empty array: malformedRequest)
/// startAt             int8        0 latest, 1 earliest; used only when this subscribe creates the group
/// settings            37 bytes    RequestedGroupSettings: ordering int8, ackTimeoutMs int64,
///                                 maxDeliveries int32, maxUnfinishedPerPartition int32,
///                                 backoffInitialMs int64, backoffMultiplierPercent int32,
///                                 backoffMaxMs int64; -1 each: the group's (or the default)
/// initialCredits      uint32      deliveries the member takes at once
/// ```
public struct SubscribeRequest: WireMessage, Hashable {
    public static let apiKey = APIKey.subscribe

    /// The group to join.
    public var group: String
    /// The topics the group reads (at least one).
    public var topics: [String]
    /// Where a group this subscribe creates starts.
    public var startAt: GroupStartPosition
    /// The settings asked for; those given must match an existing group's.
    public var settings: RequestedGroupSettings
    /// Credits granted with the subscription.
    public var initialCredits: UInt32

    /// Creates a request.
    public init(
        group: String,
        topics: [String],
        startAt: GroupStartPosition = .latest,
        settings: RequestedGroupSettings = RequestedGroupSettings(),
        initialCredits: UInt32
    ) {
        self.group = group
        self.topics = topics
        self.startAt = startAt
        self.settings = settings
        self.initialCredits = initialCredits
    }

    /// Why this subscribe cannot join an existing group whose settings are `settings` and whose
    /// topics are `topics`: its first setting that differs (``RequestedGroupSettings/firstConflict(with:)``),
    /// else its set of topics if that differs (order and repeats do not matter); `nil` when it agrees.
    public func conflict(with settings: ResolvedGroupSettings, topics: Set<String>) -> RequestedGroupSettings.Conflict?
    {
        if let conflict = self.settings.firstConflict(with: settings) { return conflict }
        let requested = Set(self.topics)
        guard requested != topics else { return nil }
        func list(_ topics: Set<String>) -> String { "[" + topics.sorted().joined(separator: ", ") + "]" }
        return RequestedGroupSettings.Conflict(setting: "topics", requested: list(requested), existing: list(topics))
    }

    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeWireString(group)
        buffer.writeWireArray(topics) { $0.writeWireString($1) }
        buffer.writeInteger(startAt.rawValue)
        settings.encode(into: &buffer)
        buffer.writeInteger(initialCredits)
    }

    public init(decoding buffer: inout ByteBuffer) throws {
        group = try buffer.readWireString("group")
        topics = try buffer.readWireArray("topics", minimumElementBytes: 2) { try $0.readWireString("topic") }
        guard !topics.isEmpty else {
            throw ProtocolError(.malformedRequest, "topics: a subscribe names at least one topic")
        }
        startAt = try buffer.readWireEnum(GroupStartPosition.self, "startAt")
        settings = try RequestedGroupSettings(decoding: &buffer)
        initialCredits = try buffer.readWire(UInt32.self, "initialCredits")
    }
}
