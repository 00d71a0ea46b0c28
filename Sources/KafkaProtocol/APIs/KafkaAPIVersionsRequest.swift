import NIOCore

/// ApiVersions request (key 18), versions 0-3: the first request of every client.
///
/// | Version | Layout |
/// |---|---|
/// | 0-2 | empty |
/// | 3 (flexible) | COMPACT_STRING ClientSoftwareName, COMPACT_STRING ClientSoftwareVersion, tagged fields |
///
/// From `ApiVersionsRequest.json`.
public struct KafkaAPIVersionsRequest: KafkaRequestBody {
    /// ApiVersions.
    public static let apiKey = KafkaAPIKey.apiVersions

    /// The client library's name (v3+; empty before).
    public var clientSoftwareName: String
    /// The client library's version (v3+; empty before).
    public var clientSoftwareVersion: String

    /// Creates a request.
    public init(clientSoftwareName: String = "", clientSoftwareVersion: String = "") {
        self.clientSoftwareName = clientSoftwareName
        self.clientSoftwareVersion = clientSoftwareVersion
    }

    /// Decodes the body of `version`.
    public init(from reader: inout KafkaReader, version: Int16) throws {
        try KafkaAPIVersions.checkSupported(Self.apiKey, version: version)
        self.init()
        if version >= 3 {
            clientSoftwareName = try reader.readCompactString("ApiVersionsRequest.ClientSoftwareName")
            clientSoftwareVersion = try reader.readCompactString("ApiVersionsRequest.ClientSoftwareVersion")
            try reader.skipTaggedFields("ApiVersionsRequest.TaggedFields")
        }
    }

    /// Encodes the body as `version`.
    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        KafkaAPIVersions.requireSupported(Self.apiKey, version: version)
        if version >= 3 {
            buffer.writeKafkaString(clientSoftwareName, flexible: true)
            buffer.writeKafkaString(clientSoftwareVersion, flexible: true)
            buffer.writeKafkaEmptyTaggedFields()
        }
    }
}
