import NIOCore

/// `credit` v0 request: grant a subscription more deliveries.
/// ```
/// subscriptionId      uint32
/// credits             uint32      added to the subscription's credits (the total saturates at 2^32 - 1)
/// ```
public struct CreditRequest: WireMessage, Hashable {
    public static let apiKey = APIKey.credit

    /// The subscription, as `subscribe` answered.
    public var subscriptionID: UInt32
    /// How many more deliveries the member takes.
    public var credits: UInt32

    /// Creates a request.
    public init(subscriptionID: UInt32, credits: UInt32) {
        self.subscriptionID = subscriptionID
        self.credits = credits
    }

    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeInteger(subscriptionID)
        buffer.writeInteger(credits)
    }

    public init(decoding buffer: inout ByteBuffer) throws {
        subscriptionID = try buffer.readWire(UInt32.self, "subscriptionId")
        credits = try buffer.readWire(UInt32.self, "credits")
    }
}
