import NIOCore

/// One length-prefixed frame on a Sluice connection. All integers are big-endian.
///
/// Request (client to broker):
/// ```
/// offset size field
///      0    4 length          UInt32: bytes after this field (8 + body)
///      4    2 apiKey          UInt16, see APIKey
///      6    2 apiVersion      UInt16
///      8    4 correlationId   UInt32, chosen by the client, echoed in the response
///     12    … body            the API's request, see Requests/
/// ```
/// Response (broker to client):
/// ```
/// offset size field
///      0    4 length          UInt32: bytes after this field (6 + body)
///      4    4 correlationId   UInt32, the request's
///      8    2 errorCode       Int16, request-level: 0, or why the request was not served
///     10    … body            errorCode 0: the API's response, see Responses/;
///                             otherwise: string message (UInt16 length + UTF-8)
/// ```
/// A client may send many requests without waiting; responses may come back in any order and are
/// matched by correlation id.
public enum Frame {
    /// Bytes of the length prefix.
    public static let lengthPrefixBytes = 4
    /// Bytes of a request header after the length prefix.
    public static let requestHeaderBytes = 8
    /// Bytes of a response header after the length prefix.
    public static let responseHeaderBytes = 6
    /// The default largest frame (the length field's value) a peer accepts: 16 MiB.
    public static let defaultMaxFrameBytes = 16 << 20
    /// The most UTF-8 bytes a `string` or `nullable string` holds (the length 0xFFFF means null).
    public static let maxStringBytes = Int(UInt16.max) - 1
}

/// The fixed part of a request frame.
public struct RequestHeader: Hashable, Sendable {
    /// The API called.
    public var apiKey: APIKey
    /// The API version the body is encoded in.
    public var apiVersion: UInt16
    /// Chosen by the client; the response carries it back.
    public var correlationID: UInt32

    /// Creates a header.
    public init(apiKey: APIKey, apiVersion: UInt16, correlationID: UInt32) {
        self.apiKey = apiKey
        self.apiVersion = apiVersion
        self.correlationID = correlationID
    }
}

/// A request frame split into header and body.
public struct RequestFrame: Sendable {
    /// The header.
    public var header: RequestHeader
    /// The API-specific bytes.
    public var body: ByteBuffer

    /// Creates a frame.
    public init(header: RequestHeader, body: ByteBuffer) {
        self.header = header
        self.body = body
    }

    /// Splits the payload of a frame (the bytes after the length prefix).
    /// - Throws: ``ProtocolError`` if the payload is shorter than a request header.
    public init(payload: ByteBuffer) throws {
        var payload = payload
        guard let key = payload.readInteger(as: UInt16.self),
            let version = payload.readInteger(as: UInt16.self),
            let correlationID = payload.readInteger(as: UInt32.self)
        else {
            throw ProtocolError(.malformedRequest, "a request frame needs an 8-byte header")
        }
        self.header = RequestHeader(apiKey: APIKey(rawValue: key), apiVersion: version, correlationID: correlationID)
        self.body = payload
    }

    /// Writes the whole frame, length prefix included.
    public func write(into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt32(Frame.requestHeaderBytes + body.readableBytes))
        buffer.writeInteger(header.apiKey.rawValue)
        buffer.writeInteger(header.apiVersion)
        buffer.writeInteger(header.correlationID)
        buffer.writeImmutableBuffer(body)
    }
}

/// A response frame split into header and body.
public struct ResponseFrame: Sendable {
    /// The request's correlation id.
    public var correlationID: UInt32
    /// `.none`, or why the request was not served at all (then `body` holds a message string).
    public var errorCode: ErrorCode
    /// The API-specific bytes, or the error message.
    public var body: ByteBuffer

    /// Creates a frame.
    public init(correlationID: UInt32, errorCode: ErrorCode = .none, body: ByteBuffer) {
        self.correlationID = correlationID
        self.errorCode = errorCode
        self.body = body
    }

    /// A request-level error response carrying `message` (cut to ``Frame/maxStringBytes`` if longer).
    public init(correlationID: UInt32, error: ErrorCode, message: String) {
        var body = ByteBuffer()
        body.writeWireString(message.truncatedForWire)
        self.init(correlationID: correlationID, errorCode: error, body: body)
    }

    /// Splits the payload of a frame (the bytes after the length prefix).
    public init(payload: ByteBuffer) throws {
        var payload = payload
        guard let correlationID = payload.readInteger(as: UInt32.self),
            let code = payload.readInteger(as: Int16.self)
        else {
            throw ProtocolError(.malformedRequest, "a response frame needs a 6-byte header")
        }
        self.correlationID = correlationID
        self.errorCode = ErrorCode(rawValue: code)
        self.body = payload
    }

    /// The message of a request-level error response.
    public var errorMessage: String? {
        guard errorCode != .none else { return nil }
        var body = self.body
        return try? body.readWireString()
    }

    /// Writes the whole frame, length prefix included.
    public func write(into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt32(Frame.responseHeaderBytes + body.readableBytes))
        buffer.writeInteger(correlationID)
        buffer.writeInteger(errorCode.rawValue)
        buffer.writeImmutableBuffer(body)
    }
}
