import NIOCore

/// ApiVersions response (key 18), versions 0-3.
///
/// | Version | Layout |
/// |---|---|
/// | 0 | INT16 ErrorCode, ARRAY ApiKeys of (INT16 ApiKey, INT16 MinVersion, INT16 MaxVersion) |
/// | 1-2 | v0, then INT32 ThrottleTimeMs |
/// | 3 (flexible) | INT16 ErrorCode, COMPACT_ARRAY ApiKeys of (INT16, INT16, INT16, tagged fields), INT32 ThrottleTimeMs, tagged fields |
///
/// The response header is v0 (no tagged fields) at every version, v3 included. The v3 tagged
/// fields (SupportedFeatures, FinalizedFeatures, …) are skipped when decoding and not written.
/// From `ApiVersionsResponse.json`.
public struct KafkaAPIVersionsResponse: KafkaResponseBody {
    /// ApiVersions.
    public static let apiKey = KafkaAPIKey.apiVersions

    /// The top-level error (``KafkaErrorCode/unsupportedVersion`` for a version not served).
    public var errorCode: KafkaErrorCode
    /// Every API the broker serves and its version range.
    public var apiKeys: [KafkaAPIVersions.Range]
    /// Throttle time (v1+; 0 before).
    public var throttleTimeMs: Int32

    /// Creates a response.
    public init(errorCode: KafkaErrorCode = .none, apiKeys: [KafkaAPIVersions.Range], throttleTimeMs: Int32 = 0) {
        self.errorCode = errorCode
        self.apiKeys = apiKeys
        self.throttleTimeMs = throttleTimeMs
    }

    /// The answer to an ApiVersions request whose version the broker does not serve: error
    /// ``KafkaErrorCode/unsupportedVersion`` and the full API list, to be ENCODED AS VERSION 0
    /// whatever version was asked, as Kafka does. Clients read it as v0 and retry at a version
    /// from the list.
    public static func unsupportedVersion(
        apiKeys: [KafkaAPIVersions.Range] = KafkaAPIVersions.supported
    ) -> KafkaAPIVersionsResponse {
        KafkaAPIVersionsResponse(errorCode: .unsupportedVersion, apiKeys: apiKeys)
    }

    /// Decodes the body of `version`.
    public init(from reader: inout KafkaReader, version: Int16) throws {
        try KafkaAPIVersions.checkSupported(Self.apiKey, version: version)
        let flexible = version >= 3
        errorCode = KafkaErrorCode(rawValue: try reader.readInt16("ApiVersionsResponse.ErrorCode"))
        apiKeys = try reader.readArray(
            "ApiVersionsResponse.ApiKeys",
            flexible: flexible,
            minimumElementBytes: flexible ? 7 : 6
        ) { reader in
            let key = KafkaAPIKey(rawValue: try reader.readInt16("ApiVersionsResponse.ApiKeys.ApiKey"))
            let minimum = try reader.readInt16("ApiVersionsResponse.ApiKeys.MinVersion")
            let maximum = try reader.readInt16("ApiVersionsResponse.ApiKeys.MaxVersion")
            guard minimum <= maximum else {
                throw KafkaDecodingError(
                    .invalidValue,
                    field: "ApiVersionsResponse.ApiKeys",
                    "\(key) has minimum version \(minimum) above maximum \(maximum)"
                )
            }
            if flexible { try reader.skipTaggedFields("ApiVersionsResponse.ApiKeys.TaggedFields") }
            return KafkaAPIVersions.Range(apiKey: key, minimumVersion: minimum, maximumVersion: maximum)
        }
        throttleTimeMs = version >= 1 ? try reader.readInt32("ApiVersionsResponse.ThrottleTimeMs") : 0
        if flexible { try reader.skipTaggedFields("ApiVersionsResponse.TaggedFields") }
    }

    /// Encodes the body as `version`.
    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        KafkaAPIVersions.requireSupported(Self.apiKey, version: version)
        let flexible = version >= 3
        buffer.writeInteger(errorCode.rawValue)
        buffer.writeKafkaArray(apiKeys, flexible: flexible) { buffer, range in
            buffer.writeInteger(range.apiKey.rawValue)
            buffer.writeInteger(range.minimumVersion)
            buffer.writeInteger(range.maximumVersion)
            if flexible { buffer.writeKafkaEmptyTaggedFields() }
        }
        if version >= 1 { buffer.writeInteger(throttleTimeMs) }
        if flexible { buffer.writeKafkaEmptyTaggedFields() }
    }
}
