import NIOCore

/// `leave` v0 request: `subscriptionId: uint32`. Closes the subscription cleanly: its messages in
/// flight are delivered again at once, without counting as failed deliveries.
public struct LeaveRequest: WireMessage, Hashable {
    public static let apiKey = APIKey.leave

    /// The subscription to close.
    public var subscriptionID: UInt32

    /// Creates a request.
    public init(subscriptionID: UInt32) { self.subscriptionID = subscriptionID }

    public func encode(into buffer: inout ByteBuffer) { buffer.writeInteger(subscriptionID) }

    public init(decoding buffer: inout ByteBuffer) throws {
        subscriptionID = try buffer.readWire(UInt32.self, "subscriptionId")
    }
}
