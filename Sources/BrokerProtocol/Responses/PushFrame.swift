import NIOCore

/// A frame the broker sends unasked (today only `deliver`): a response frame whose correlation id is
/// ``correlationID`` (0xFFFFFFFF, which no request may use) and whose error code is 0, with a
/// 4-byte push header before the push's body:
/// ```
/// offset size field
///      0    4 length          UInt32: 6 + 4 + body
///      4    4 correlationId   0xFFFFFFFF
///      8    2 errorCode       0
///     10    2 apiKey          UInt16, the push (22 deliver)
///     12    2 version         UInt16, the push's version
///     14    … body            the push, e.g. DeliverPush
/// ```
public struct PushFrame: Hashable, Sendable {
    /// The correlation id of every push. Clients never use it for a request (and 0 stays the
    /// broker's, for connection-level errors).
    public static let correlationID: UInt32 = 0xFFFF_FFFF
    /// Bytes of the push header (apiKey, version) at the start of the response body.
    public static let headerBytes = 4

    /// Which push this is.
    public var apiKey: APIKey
    /// The version its body is encoded in.
    public var version: UInt16
    /// The push's body.
    public var body: ByteBuffer

    /// Creates a push.
    public init(apiKey: APIKey, version: UInt16, body: ByteBuffer) {
        self.apiKey = apiKey
        self.version = version
        self.body = body
    }

    /// Reads the push in `frame`.
    /// - Throws: ``ProtocolError`` (`malformedRequest`) if `frame` is not a push
    ///   (``ResponseFrame/isPush``), carries an error code, or is shorter than the push header.
    public init(_ frame: ResponseFrame) throws {
        guard frame.isPush else {
            throw ProtocolError(.malformedRequest, "correlation id \(frame.correlationID) is not a push's")
        }
        guard frame.errorCode == .none else {
            throw ProtocolError(.malformedRequest, "a push carries error code \(frame.errorCode.rawValue)")
        }
        var body = frame.body
        apiKey = APIKey(rawValue: try body.readWire(UInt16.self, "push apiKey"))
        version = try body.readWire(UInt16.self, "push version")
        self.body = body
    }

    /// The response frame that carries the push.
    public var responseFrame: ResponseFrame {
        var payload = ByteBuffer()
        payload.reserveCapacity(Self.headerBytes + body.readableBytes)
        payload.writeInteger(apiKey.rawValue)
        payload.writeInteger(version)
        payload.writeImmutableBuffer(body)
        return ResponseFrame(correlationID: Self.correlationID, errorCode: .none, body: payload)
    }
}

extension ResponseFrame {
    /// Whether the frame is a push from the broker (``PushFrame``) rather than a response to a request.
    public var isPush: Bool { correlationID == PushFrame.correlationID }
}
