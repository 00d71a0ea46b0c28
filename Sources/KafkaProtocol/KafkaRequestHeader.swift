import NIOCore

/// The header at the start of every Kafka request (after the 4-byte size prefix).
///
/// | Version | Layout |
/// |---|---|
/// | 0 | INT16 api key, INT16 api version, INT32 correlation id |
/// | 1 | v0, then NULLABLE_STRING client id (INT16 length, -1 for null) |
/// | 2 | v1, then tagged fields; the client id KEEPS its INT16 length (not compact) |
///
/// Which version a request uses depends on its API and version:
/// ``KafkaAPIVersions/requestHeaderVersion(apiKey:apiVersion:)`` (v2 from the API's first
/// flexible version, v1 before).
public struct KafkaRequestHeader: Hashable, Sendable {
    /// The API of the request.
    public var apiKey: KafkaAPIKey
    /// The version of the API the body is encoded in.
    public var apiVersion: Int16
    /// Echoed in the response so the client can match it to the request.
    public var correlationID: Int32
    /// The client's name (v1+); nil when null or in v0.
    public var clientID: String?

    /// Creates a header.
    public init(apiKey: KafkaAPIKey, apiVersion: Int16, correlationID: Int32, clientID: String?) {
        self.apiKey = apiKey
        self.apiVersion = apiVersion
        self.correlationID = correlationID
        self.clientID = clientID
    }

    /// Decodes a header of `headerVersion` (0, 1 or 2); unknown tagged fields (v2) are skipped.
    /// - Throws: ``KafkaDecodingError`` if the bytes are short or malformed.
    public static func decode(from reader: inout KafkaReader, headerVersion: Int16) throws -> KafkaRequestHeader {
        precondition((0...2).contains(headerVersion), "request header versions are 0-2")
        let apiKey = KafkaAPIKey(rawValue: try reader.readInt16("RequestHeader.RequestApiKey"))
        let apiVersion = try reader.readInt16("RequestHeader.RequestApiVersion")
        let correlationID = try reader.readInt32("RequestHeader.CorrelationId")
        var clientID: String?
        if headerVersion >= 1 {
            clientID = try reader.readNullableString("RequestHeader.ClientId")
        }
        if headerVersion >= 2 {
            try reader.skipTaggedFields("RequestHeader.TaggedFields")
        }
        return KafkaRequestHeader(
            apiKey: apiKey,
            apiVersion: apiVersion,
            correlationID: correlationID,
            clientID: clientID
        )
    }

    /// Encodes the header as `headerVersion` (0, 1 or 2; v2 writes empty tagged fields).
    public func encode(into buffer: inout ByteBuffer, headerVersion: Int16) {
        precondition((0...2).contains(headerVersion), "request header versions are 0-2")
        buffer.writeInteger(apiKey.rawValue)
        buffer.writeInteger(apiVersion)
        buffer.writeInteger(correlationID)
        if headerVersion >= 1 {
            buffer.writeKafkaNullableString(clientID)
        }
        if headerVersion >= 2 {
            buffer.writeKafkaEmptyTaggedFields()
        }
    }
}
