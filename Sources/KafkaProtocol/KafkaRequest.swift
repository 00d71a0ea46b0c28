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
        /// OffsetCommit (8).
        case offsetCommit(KafkaOffsetCommitRequest)
        /// OffsetFetch (9).
        case offsetFetch(KafkaOffsetFetchRequest)
        /// FindCoordinator (10).
        case findCoordinator(KafkaFindCoordinatorRequest)
        /// JoinGroup (11).
        case joinGroup(KafkaJoinGroupRequest)
        /// Heartbeat (12).
        case heartbeat(KafkaHeartbeatRequest)
        /// LeaveGroup (13).
        case leaveGroup(KafkaLeaveGroupRequest)
        /// SyncGroup (14).
        case syncGroup(KafkaSyncGroupRequest)
        /// CreateTopics (19).
        case createTopics(KafkaCreateTopicsRequest)
        /// DeleteTopics (20).
        case deleteTopics(KafkaDeleteTopicsRequest)
        /// DescribeConfigs (32).
        case describeConfigs(KafkaDescribeConfigsRequest)
        /// The API key is not served (unknown, or known but without a codec here). The body was
        /// not read.
        case unsupportedAPI
        /// The API is served, but not at the header's version; the associated value is the
        /// served range. The body was not read.
        case unsupportedVersion(KafkaAPIVersions.Range)
    }

    /// The typed body, or nil for an unsupported API or version: for code that treats every API
    /// alike (re-encoding in tests and fuzzers, logging).
    public var message: (any KafkaRequestBody)? {
        switch body {
        case .apiVersions(let body): body
        case .metadata(let body): body
        case .produce(let body): body
        case .fetch(let body): body
        case .listOffsets(let body): body
        case .initProducerID(let body): body
        case .offsetCommit(let body): body
        case .offsetFetch(let body): body
        case .findCoordinator(let body): body
        case .joinGroup(let body): body
        case .heartbeat(let body): body
        case .leaveGroup(let body): body
        case .syncGroup(let body): body
        case .createTopics(let body): body
        case .deleteTopics(let body): body
        case .describeConfigs(let body): body
        case .unsupportedAPI, .unsupportedVersion: nil
        }
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
        case .offsetCommit: return .offsetCommit(try KafkaOffsetCommitRequest(from: &reader, version: version))
        case .offsetFetch: return .offsetFetch(try KafkaOffsetFetchRequest(from: &reader, version: version))
        case .findCoordinator: return .findCoordinator(try KafkaFindCoordinatorRequest(from: &reader, version: version))
        case .joinGroup: return .joinGroup(try KafkaJoinGroupRequest(from: &reader, version: version))
        case .heartbeat: return .heartbeat(try KafkaHeartbeatRequest(from: &reader, version: version))
        case .leaveGroup: return .leaveGroup(try KafkaLeaveGroupRequest(from: &reader, version: version))
        case .syncGroup: return .syncGroup(try KafkaSyncGroupRequest(from: &reader, version: version))
        case .createTopics: return .createTopics(try KafkaCreateTopicsRequest(from: &reader, version: version))
        case .deleteTopics: return .deleteTopics(try KafkaDeleteTopicsRequest(from: &reader, version: version))
        case .describeConfigs: return .describeConfigs(try KafkaDescribeConfigsRequest(from: &reader, version: version))
        default:
            // KafkaAPIVersions.supported lists an API without a case here: a bug in this module.
            preconditionFailure("\(header.apiKey) is listed as supported but has no decoder")
        }
    }
}
