import NIOCore

/// DeleteTopics response (key 20), versions 0-3.
///
/// | Field | Type | Versions |
/// |---|---|---|
/// | ThrottleTimeMs | INT32 | 1+ |
/// | Responses | ARRAY of { Name STRING, ErrorCode INT16 } | 0+ |
///
/// From `DeleteTopicsResponse.json`.
public struct KafkaDeleteTopicsResponse: KafkaResponseBody {
    /// One topic's outcome.
    public struct Topic: Hashable, Sendable {
        /// The topic name.
        public var name: String
        /// The error, or ``KafkaErrorCode/none``.
        public var errorCode: KafkaErrorCode

        /// Creates a topic outcome.
        public init(name: String, errorCode: KafkaErrorCode = .none) {
            self.name = name
            self.errorCode = errorCode
        }
    }

    /// DeleteTopics.
    public static let apiKey = KafkaAPIKey.deleteTopics
    /// The versions this codec implements.
    public static let versions: ClosedRange<Int16> = 0...3

    /// Throttle time (v1+).
    public var throttleTimeMs: Int32
    /// Per-topic outcomes.
    public var responses: [Topic]

    /// Creates a response.
    public init(throttleTimeMs: Int32 = 0, responses: [Topic]) {
        self.throttleTimeMs = throttleTimeMs
        self.responses = responses
    }

    /// Decodes the body of `version`.
    public init(from reader: inout KafkaReader, version: Int16) throws {
        try Self.apiKey.checkCodecVersion(version, in: Self.versions)
        throttleTimeMs = version >= 1 ? try reader.readInt32("DeleteTopicsResponse.ThrottleTimeMs") : 0
        responses = try reader.readArray("DeleteTopicsResponse.Responses", minimumElementBytes: 4) { reader in
            Topic(
                name: try reader.readString("DeleteTopicsResponse.Responses.Name"),
                errorCode: KafkaErrorCode(rawValue: try reader.readInt16("DeleteTopicsResponse.Responses.ErrorCode"))
            )
        }
    }

    /// Encodes the body as `version` (ThrottleTimeMs is dropped in v0).
    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        Self.apiKey.requireCodecVersion(version, in: Self.versions)
        if version >= 1 { buffer.writeInteger(throttleTimeMs) }
        buffer.writeKafkaArray(responses, flexible: false) { buffer, topic in
            buffer.writeKafkaString(topic.name)
            buffer.writeInteger(topic.errorCode.rawValue)
        }
    }
}
