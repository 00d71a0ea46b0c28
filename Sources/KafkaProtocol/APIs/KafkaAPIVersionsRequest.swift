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

    /// Whether the client software name and version are acceptable at `version`: always before
    /// v3; from v3 both must be ASCII letters and digits, with `-` and `.` allowed inside (not
    /// first or last), as Kafka checks. Kafka answers a request that fails this with
    /// ``KafkaErrorCode/invalidRequest``.
    public func hasValidClientSoftware(version: Int16) -> Bool {
        version < 3
            || (Self.isValidSoftwareField(clientSoftwareName) && Self.isValidSoftwareField(clientSoftwareVersion))
    }

    private static func isValidSoftwareField(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        func isAlphanumeric(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        guard let first = bytes.first, let last = bytes.last, isAlphanumeric(first), isAlphanumeric(last) else {
            return false
        }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }
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
