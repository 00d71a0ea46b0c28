import NIOCore

/// DescribeConfigs response (key 32), versions 0-2.
///
/// | Field | Type | Versions |
/// |---|---|---|
/// | ThrottleTimeMs | INT32 | 0+ |
/// | Results | ARRAY of DescribeConfigsResult | 0+ |
/// | Results: ErrorCode, ErrorMessage | INT16, NULLABLE_STRING | 0+ |
/// | Results: ResourceType, ResourceName | INT8, STRING | 0+ |
/// | Results: Configs | ARRAY of the entries below | 0+ |
/// | Configs: Name, Value | STRING, NULLABLE_STRING | 0+ |
/// | Configs: ReadOnly | BOOLEAN | 0+ |
/// | Configs: IsDefault | BOOLEAN | 0 only |
/// | Configs: ConfigSource | INT8 | 1+ (default -1) |
/// | Configs: IsSensitive | BOOLEAN | 0+ |
/// | Configs: Synonyms | ARRAY of { Name STRING, Value NULLABLE_STRING, Source INT8 } | 1+ |
///
/// From `DescribeConfigsResponse.json` (ConfigType and Documentation come in v3).
public struct KafkaDescribeConfigsResponse: KafkaResponseBody {
    /// Another name a configuration is known by.
    public struct Synonym: Hashable, Sendable {
        /// The synonym's name.
        public var name: String
        /// Its value.
        public var value: String?
        /// Where its value comes from.
        public var source: Int8

        /// Creates a synonym entry.
        public init(name: String, value: String?, source: Int8) {
            self.name = name
            self.value = value
            self.source = source
        }
    }

    /// One configuration entry.
    public struct Config: Hashable, Sendable {
        /// The configuration name.
        public var name: String
        /// Its value (nil for a sensitive one).
        public var value: String?
        /// Whether it cannot be altered.
        public var readOnly: Bool
        /// Whether it is the default (v0 only; from v1 `configSource` tells).
        public var isDefault: Bool
        /// Where the value comes from (v1+; 5 default, 1 topic, -1 unknown).
        public var configSource: Int8
        /// Whether the value is sensitive.
        public var isSensitive: Bool
        /// Synonyms (v1+).
        public var synonyms: [Synonym]

        /// Creates a configuration entry.
        public init(
            name: String,
            value: String?,
            readOnly: Bool = false,
            isDefault: Bool = false,
            configSource: Int8 = -1,
            isSensitive: Bool = false,
            synonyms: [Synonym] = []
        ) {
            self.name = name
            self.value = value
            self.readOnly = readOnly
            self.isDefault = isDefault
            self.configSource = configSource
            self.isSensitive = isSensitive
            self.synonyms = synonyms
        }
    }

    /// One resource's configuration.
    public struct Result: Hashable, Sendable {
        /// The error, or ``KafkaErrorCode/none``.
        public var errorCode: KafkaErrorCode
        /// A message for the error.
        public var errorMessage: String?
        /// The resource type.
        public var resourceType: Int8
        /// The resource name.
        public var resourceName: String
        /// The configuration entries.
        public var configs: [Config]

        /// Creates a result entry.
        public init(
            errorCode: KafkaErrorCode = .none,
            errorMessage: String? = nil,
            resourceType: Int8,
            resourceName: String,
            configs: [Config]
        ) {
            self.errorCode = errorCode
            self.errorMessage = errorMessage
            self.resourceType = resourceType
            self.resourceName = resourceName
            self.configs = configs
        }
    }

    /// DescribeConfigs.
    public static let apiKey = KafkaAPIKey.describeConfigs
    /// The versions this codec implements.
    public static let versions: ClosedRange<Int16> = 0...2

    /// Throttle time.
    public var throttleTimeMs: Int32
    /// Per-resource results.
    public var results: [Result]

    /// Creates a response.
    public init(throttleTimeMs: Int32 = 0, results: [Result]) {
        self.throttleTimeMs = throttleTimeMs
        self.results = results
    }

    /// Decodes the body of `version`.
    public init(from reader: inout KafkaReader, version: Int16) throws {
        try Self.apiKey.checkCodecVersion(version, in: Self.versions)
        throttleTimeMs = try reader.readInt32("DescribeConfigsResponse.ThrottleTimeMs")
        results = try reader.readArray("DescribeConfigsResponse.Results", minimumElementBytes: 11) { reader in
            Result(
                errorCode: KafkaErrorCode(rawValue: try reader.readInt16("DescribeConfigsResponse.Results.ErrorCode")),
                errorMessage: try reader.readNullableString("DescribeConfigsResponse.Results.ErrorMessage"),
                resourceType: try reader.readInt8("DescribeConfigsResponse.Results.ResourceType"),
                resourceName: try reader.readString("DescribeConfigsResponse.Results.ResourceName"),
                configs: try reader.readArray("DescribeConfigsResponse.Results.Configs", minimumElementBytes: 6) {
                    reader in
                    try Self.readConfig(from: &reader, version: version)
                }
            )
        }
    }

    private static func readConfig(from reader: inout KafkaReader, version: Int16) throws -> Config {
        let name = try reader.readString("DescribeConfigsResponse.Configs.Name")
        let value = try reader.readNullableString("DescribeConfigsResponse.Configs.Value")
        let readOnly = try reader.readBoolean("DescribeConfigsResponse.Configs.ReadOnly")
        let isDefault = version == 0 ? try reader.readBoolean("DescribeConfigsResponse.Configs.IsDefault") : false
        let source = version >= 1 ? try reader.readInt8("DescribeConfigsResponse.Configs.ConfigSource") : -1
        let isSensitive = try reader.readBoolean("DescribeConfigsResponse.Configs.IsSensitive")
        let synonyms =
            version >= 1
            ? try reader.readArray("DescribeConfigsResponse.Configs.Synonyms", minimumElementBytes: 5) { reader in
                Synonym(
                    name: try reader.readString("DescribeConfigsResponse.Synonyms.Name"),
                    value: try reader.readNullableString("DescribeConfigsResponse.Synonyms.Value"),
                    source: try reader.readInt8("DescribeConfigsResponse.Synonyms.Source")
                )
            } : []
        return Config(
            name: name,
            value: value,
            readOnly: readOnly,
            isDefault: isDefault,
            configSource: source,
            isSensitive: isSensitive,
            synonyms: synonyms
        )
    }

    /// Encodes the body as `version` (fields a version lacks are dropped).
    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        Self.apiKey.requireCodecVersion(version, in: Self.versions)
        buffer.writeInteger(throttleTimeMs)
        buffer.writeKafkaArray(results, flexible: false) { buffer, result in
            buffer.writeInteger(result.errorCode.rawValue)
            buffer.writeKafkaNullableString(result.errorMessage)
            buffer.writeInteger(result.resourceType)
            buffer.writeKafkaString(result.resourceName)
            buffer.writeKafkaArray(result.configs, flexible: false) { buffer, config in
                buffer.writeKafkaString(config.name)
                buffer.writeKafkaNullableString(config.value)
                buffer.writeKafkaBoolean(config.readOnly)
                if version == 0 { buffer.writeKafkaBoolean(config.isDefault) }
                if version >= 1 { buffer.writeInteger(config.configSource) }
                buffer.writeKafkaBoolean(config.isSensitive)
                if version >= 1 {
                    buffer.writeKafkaArray(config.synonyms, flexible: false) { buffer, synonym in
                        buffer.writeKafkaString(synonym.name)
                        buffer.writeKafkaNullableString(synonym.value)
                        buffer.writeInteger(synonym.source)
                    }
                }
            }
        }
    }
}
