import NIOCore

/// `subscribe` v0 response:
/// ```
/// subscriptionId      uint32      the subscription's id, unique among this connection's open subscriptions
/// settings            37 bytes    ResolvedGroupSettings: the group's settings, every field resolved
/// created             uint8       1: this subscribe created the group; 0: it existed (other values: malformed)
/// ```
public struct SubscribeResponse: WireMessage, Hashable {
    public static let apiKey = APIKey.subscribe

    /// The id that `credit`, `ack`, `nack`, `reject`, `extend`, `leave` and `deliver` carry.
    public var subscriptionID: UInt32
    /// The group's settings.
    public var settings: ResolvedGroupSettings
    /// Whether this subscribe created the group.
    public var created: Bool

    public init(subscriptionID: UInt32, settings: ResolvedGroupSettings, created: Bool) {
        self.subscriptionID = subscriptionID
        self.settings = settings
        self.created = created
    }

    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeInteger(subscriptionID)
        settings.encode(into: &buffer)
        buffer.writeInteger(UInt8(created ? 1 : 0))
    }

    public init(decoding buffer: inout ByteBuffer) throws {
        subscriptionID = try buffer.readWire(UInt32.self, "subscriptionId")
        settings = try ResolvedGroupSettings(decoding: &buffer)
        created = try buffer.readWireBool("created")
    }
}
