import NIOCore

/// Metadata request (key 3), versions 0-8.
///
/// | Field | Type | Versions |
/// |---|---|---|
/// | Topics | ARRAY of (STRING Name); nullable from v1 | 0+ |
/// | AllowAutoTopicCreation | BOOLEAN | 4+ |
/// | IncludeClusterAuthorizedOperations | BOOLEAN | 8 |
/// | IncludeTopicAuthorizedOperations | BOOLEAN | 8 |
///
/// "All topics" is an empty array in v0 and a null array from v1; both decode to
/// `topics == nil`, and nil encodes as whichever the version uses. From `MetadataRequest.json`.
public struct KafkaMetadataRequest: KafkaRequestBody {
    /// Metadata.
    public static let apiKey = KafkaAPIKey.metadata

    /// The topics to describe, or nil for every topic.
    public var topics: [String]?
    /// Whether the broker may create the named topics if they do not exist (v4+; true before).
    public var allowAutoTopicCreation: Bool
    /// Whether to include the cluster's authorized operations (v8).
    public var includeClusterAuthorizedOperations: Bool
    /// Whether to include each topic's authorized operations (v8).
    public var includeTopicAuthorizedOperations: Bool

    /// Creates a request.
    public init(
        topics: [String]?,
        allowAutoTopicCreation: Bool = true,
        includeClusterAuthorizedOperations: Bool = false,
        includeTopicAuthorizedOperations: Bool = false
    ) {
        self.topics = topics
        self.allowAutoTopicCreation = allowAutoTopicCreation
        self.includeClusterAuthorizedOperations = includeClusterAuthorizedOperations
        self.includeTopicAuthorizedOperations = includeTopicAuthorizedOperations
    }

    /// Decodes the body of `version`.
    public init(from reader: inout KafkaReader, version: Int16) throws {
        try KafkaAPIVersions.checkSupported(Self.apiKey, version: version)
        let field = "MetadataRequest.Topics"
        if version == 0 {
            let names = try reader.readArray(field, minimumElementBytes: 2) { try $0.readString("\(field).Name") }
            topics = names.isEmpty ? nil : names
        } else {
            topics = try reader.readNullableArray(field, minimumElementBytes: 2) { try $0.readString("\(field).Name") }
        }
        allowAutoTopicCreation =
            version >= 4 ? try reader.readBoolean("MetadataRequest.AllowAutoTopicCreation") : true
        includeClusterAuthorizedOperations =
            version >= 8 ? try reader.readBoolean("MetadataRequest.IncludeClusterAuthorizedOperations") : false
        includeTopicAuthorizedOperations =
            version >= 8 ? try reader.readBoolean("MetadataRequest.IncludeTopicAuthorizedOperations") : false
    }

    /// Encodes the body as `version`.
    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        KafkaAPIVersions.requireSupported(Self.apiKey, version: version)
        if version == 0 {
            buffer.writeKafkaStringArray(topics ?? [], flexible: false)
        } else {
            buffer.writeKafkaNullableArray(topics, flexible: false) { $0.writeKafkaString($1) }
        }
        if version >= 4 { buffer.writeKafkaBoolean(allowAutoTopicCreation) }
        if version >= 8 {
            buffer.writeKafkaBoolean(includeClusterAuthorizedOperations)
            buffer.writeKafkaBoolean(includeTopicAuthorizedOperations)
        }
    }
}
