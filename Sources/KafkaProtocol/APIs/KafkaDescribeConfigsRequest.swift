import NIOCore

/// DescribeConfigs request (key 32), versions 0-2.
///
/// | Field | Type | Versions |
/// |---|---|---|
/// | Resources | ARRAY of { ResourceType INT8, ResourceName STRING, ConfigurationKeys nullable ARRAY of STRING } | 0+ |
/// | IncludeSynonyms | BOOLEAN | 1+ |
///
/// From `DescribeConfigsRequest.json` (ResourceType 2 is a topic, 4 a broker; null keys ask for every
/// configuration; IncludeDocumentation comes in v3, flexible versions in v4).
public struct KafkaDescribeConfigsRequest: KafkaRequestBody {
    /// One resource whose configuration is asked for.
    public struct Resource: Hashable, Sendable {
        /// The resource type (2 topic, 4 broker).
        public var resourceType: Int8
        /// The resource name (a topic name, or a broker id).
        public var resourceName: String
        /// The configuration keys, or nil for all.
        public var configurationKeys: [String]?

        /// Creates a resource entry.
        public init(resourceType: Int8, resourceName: String, configurationKeys: [String]? = nil) {
            self.resourceType = resourceType
            self.resourceName = resourceName
            self.configurationKeys = configurationKeys
        }
    }

    /// DescribeConfigs.
    public static let apiKey = KafkaAPIKey.describeConfigs
    /// The versions this codec implements.
    public static let versions: ClosedRange<Int16> = 0...2

    /// The resources.
    public var resources: [Resource]
    /// Whether synonyms should be listed (v1+).
    public var includeSynonyms: Bool

    /// Creates a request.
    public init(resources: [Resource], includeSynonyms: Bool = false) {
        self.resources = resources
        self.includeSynonyms = includeSynonyms
    }

    /// Decodes the body of `version`.
    public init(from reader: inout KafkaReader, version: Int16) throws {
        try Self.apiKey.checkCodecVersion(version, in: Self.versions)
        resources = try reader.readArray("DescribeConfigsRequest.Resources", minimumElementBytes: 7) { reader in
            Resource(
                resourceType: try reader.readInt8("DescribeConfigsRequest.Resources.ResourceType"),
                resourceName: try reader.readString("DescribeConfigsRequest.Resources.ResourceName"),
                configurationKeys: try reader.readNullableArray(
                    "DescribeConfigsRequest.Resources.ConfigurationKeys",
                    minimumElementBytes: 2
                ) { reader in
                    try reader.readString("DescribeConfigsRequest.Resources.ConfigurationKeys")
                }
            )
        }
        includeSynonyms = version >= 1 ? try reader.readBoolean("DescribeConfigsRequest.IncludeSynonyms") : false
    }

    /// Encodes the body as `version` (IncludeSynonyms is dropped in v0).
    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        Self.apiKey.requireCodecVersion(version, in: Self.versions)
        buffer.writeKafkaArray(resources, flexible: false) { buffer, resource in
            buffer.writeInteger(resource.resourceType)
            buffer.writeKafkaString(resource.resourceName)
            buffer.writeKafkaNullableArray(resource.configurationKeys, flexible: false) { buffer, key in
                buffer.writeKafkaString(key)
            }
        }
        if version >= 1 { buffer.writeKafkaBoolean(includeSynonyms) }
    }
}
