import NIOCore

/// CreateTopics response (key 19), versions 0-4.
///
/// | Field | Type | Versions |
/// |---|---|---|
/// | ThrottleTimeMs | INT32 | 2+ |
/// | Topics | ARRAY of { Name STRING, ErrorCode INT16, ErrorMessage NULLABLE_STRING (1+) } | 0+ |
///
/// From `CreateTopicsResponse.json` (v5, flexible, adds the created topic's partitions and configs).
public struct KafkaCreateTopicsResponse: KafkaResponseBody {
    /// One topic's outcome.
    public struct Topic: Hashable, Sendable {
        /// The topic name.
        public var name: String
        /// The error, or ``KafkaErrorCode/none``.
        public var errorCode: KafkaErrorCode
        /// A message for the error (v1+).
        public var errorMessage: String?

        /// Creates a topic outcome.
        public init(name: String, errorCode: KafkaErrorCode = .none, errorMessage: String? = nil) {
            self.name = name
            self.errorCode = errorCode
            self.errorMessage = errorMessage
        }
    }

    /// CreateTopics.
    public static let apiKey = KafkaAPIKey.createTopics
    /// The versions this codec implements.
    public static let versions: ClosedRange<Int16> = 0...4

    /// Throttle time (v2+).
    public var throttleTimeMs: Int32
    /// Per-topic outcomes.
    public var topics: [Topic]

    /// Creates a response.
    public init(throttleTimeMs: Int32 = 0, topics: [Topic]) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
    }

    /// Decodes the body of `version`.
    public init(from reader: inout KafkaReader, version: Int16) throws {
        try Self.apiKey.checkCodecVersion(version, in: Self.versions)
        throttleTimeMs = version >= 2 ? try reader.readInt32("CreateTopicsResponse.ThrottleTimeMs") : 0
        topics = try reader.readArray("CreateTopicsResponse.Topics", minimumElementBytes: 4) { reader in
            Topic(
                name: try reader.readString("CreateTopicsResponse.Topics.Name"),
                errorCode: KafkaErrorCode(rawValue: try reader.readInt16("CreateTopicsResponse.Topics.ErrorCode")),
                errorMessage: version >= 1
                    ? try reader.readNullableString("CreateTopicsResponse.Topics.ErrorMessage") : nil
            )
        }
    }

    /// Encodes the body as `version` (fields a version lacks are dropped).
    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        Self.apiKey.requireCodecVersion(version, in: Self.versions)
        if version >= 2 { buffer.writeInteger(throttleTimeMs) }
        buffer.writeKafkaArray(topics, flexible: false) { buffer, topic in
            buffer.writeKafkaString(topic.name)
            buffer.writeInteger(topic.errorCode.rawValue)
            if version >= 1 { buffer.writeKafkaNullableString(topic.errorMessage) }
        }
    }
}
