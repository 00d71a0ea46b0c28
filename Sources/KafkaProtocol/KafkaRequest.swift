import NIOCore

/// A decoded Kafka request: its header and, if the API and version are served, its typed body.
///
/// ``decode(frame:)`` is the broker's single entry point. It never hangs and never traps: a
/// frame either decodes, or throws ``KafkaDecodingError`` (malformed: close the connection), or
/// comes back with an ``Body/unsupportedAPI`` / ``Body/unsupportedVersion(_:)`` body that still
/// carries the header, so the broker can answer with the request's correlation id:
///
/// - ApiVersions at an unsupported version: answer
///   ``KafkaAPIVersionsResponse/unsupportedVersion(apiKeys:)`` encoded as version 0 (clients
///   then retry at a version from the list).
/// - Any other unsupported API or version: Kafka itself closes the connection; a broker may
///   instead answer an error in the API's own format when it has a codec for some version.
///
/// Adding an API: add its codec, its range to ``KafkaAPIVersions/supported``, a case to
/// ``Body`` and a line to ``decodeBody(header:reader:)``.
public struct KafkaRequest: Hashable, Sendable {
    /// The body of a request, by API.
    public enum Body: Hashable, Sendable {
        /// ApiVersions (18).
        case apiVersions(KafkaAPIVersionsRequest)
        /// Metadata (3).
        case metadata(KafkaMetadataRequest)
        /// Produce (0).
        case produce(KafkaProduceRequest)
        /// Fetch (1).
        case fetch(KafkaFetchRequest)
        /// ListOffsets (2).
        case listOffsets(KafkaListOffsetsRequest)
        /// InitProducerId (22).
        case initProducerID(KafkaInitProducerIDRequest)
        /// The API key is not served (unknown, or known but without a codec here). The body was
        /// not read.
        case unsupportedAPI
        /// The API is served, but not at the header's version; the associated value is the
        /// served range. The body was not read.
        case unsupportedVersion(KafkaAPIVersions.Range)
    }

    /// The request header (for an unsupported API or version, read as header v1: the client id
    /// is nil if it did not decode).
    public var header: KafkaRequestHeader
    /// The typed body, or why there is none.
    public var body: Body

    /// Creates a request.
    public init(header: KafkaRequestHeader, body: Body) {
        self.header = header
        self.body = body
    }

    /// Decodes one request frame, WITHOUT its 4-byte size prefix (the listener's frame decoder
    /// strips it and enforces its size limit).
    ///
    /// The header version follows the API's flexible rule
    /// (``KafkaAPIVersions/requestHeaderVersion(apiKey:apiVersion:)``). Bytes after the body are
    /// ignored, as Kafka does.
    /// - Throws: ``KafkaDecodingError`` if the frame is shorter than the 8 bytes every header
    ///   starts with, or if the header or body of a served API and version does not decode.
    public static func decode(frame: ByteBuffer) throws -> KafkaRequest {
        var reader = KafkaReader(frame)
        let apiKey = KafkaAPIKey(rawValue: try reader.readInt16("RequestHeader.RequestApiKey"))
        let apiVersion = try reader.readInt16("RequestHeader.RequestApiVersion")
        let correlationID = try reader.readInt32("RequestHeader.CorrelationId")

        guard let range = KafkaAPIVersions.range(for: apiKey), range.contains(apiVersion) else {
            // Unsupported: the fields needed to answer are read; the client id is best effort.
            let clientID = (try? reader.readNullableString("RequestHeader.ClientId")) ?? nil
            let header = KafkaRequestHeader(
                apiKey: apiKey,
                apiVersion: apiVersion,
                correlationID: correlationID,
                clientID: clientID
            )
            let range = KafkaAPIVersions.range(for: apiKey)
            return KafkaRequest(header: header, body: range.map { .unsupportedVersion($0) } ?? .unsupportedAPI)
        }

        var header = KafkaRequestHeader(
            apiKey: apiKey,
            apiVersion: apiVersion,
            correlationID: correlationID,
            clientID: nil
        )
        header.clientID = try reader.readNullableString("RequestHeader.ClientId")
        if KafkaAPIVersions.requestHeaderVersion(apiKey: apiKey, apiVersion: apiVersion) >= 2 {
            try reader.skipTaggedFields("RequestHeader.TaggedFields")
        }
        return KafkaRequest(header: header, body: try decodeBody(header: header, reader: &reader))
    }

    /// Decodes the body of a served API and version.
    static func decodeBody(header: KafkaRequestHeader, reader: inout KafkaReader) throws -> Body {
        let version = header.apiVersion
        switch header.apiKey {
        case .apiVersions: return .apiVersions(try KafkaAPIVersionsRequest(from: &reader, version: version))
        case .metadata: return .metadata(try KafkaMetadataRequest(from: &reader, version: version))
        case .produce: return .produce(try KafkaProduceRequest(from: &reader, version: version))
        case .fetch: return .fetch(try KafkaFetchRequest(from: &reader, version: version))
        case .listOffsets: return .listOffsets(try KafkaListOffsetsRequest(from: &reader, version: version))
        case .initProducerID: return .initProducerID(try KafkaInitProducerIDRequest(from: &reader, version: version))
        default:
            // KafkaAPIVersions.supported lists an API without a case here: a bug in this module.
            preconditionFailure("\(header.apiKey) is listed as supported but has no decoder")
        }
    }
}
