import NIOCore

/// `handshake` v0 request: `clientName: string`.
public struct HandshakeRequest: WireMessage, Hashable {
    public static let apiKey = APIKey.handshake
    /// Who is connecting, for the broker's logs.
    public var clientName: String

    /// Creates a request.
    public init(clientName: String) { self.clientName = clientName }

    public func encode(into buffer: inout ByteBuffer) { buffer.writeWireString(clientName) }

    public init(decoding buffer: inout ByteBuffer) throws {
        clientName = try buffer.readWireString("clientName")
    }
}
