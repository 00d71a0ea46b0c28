import NIOCore

/// DeleteTopics request (key 20), versions 0-3 (identical layouts).
///
/// | Field | Type |
/// |---|---|
/// | TopicNames | ARRAY of STRING |
/// | TimeoutMs | INT32 |
///
/// From `DeleteTopicsRequest.json` (v4 is the first flexible version).
public struct KafkaDeleteTopicsRequest: KafkaRequestBody {
    /// DeleteTopics.
    public static let apiKey = KafkaAPIKey.deleteTopics
    /// The versions this codec implements.
    public static let versions: ClosedRange<Int16> = 0...3

    /// The topics to delete.
    public var topicNames: [String]
    /// How long to wait for the deletion.
    public var timeoutMs: Int32

    /// Creates a request.
    public init(topicNames: [String], timeoutMs: Int32) {
        self.topicNames = topicNames
        self.timeoutMs = timeoutMs
    }

    /// Decodes the body of `version`.
    public init(from reader: inout KafkaReader, version: Int16) throws {
        try Self.apiKey.checkCodecVersion(version, in: Self.versions)
        topicNames = try reader.readStringArray("DeleteTopicsRequest.TopicNames", flexible: false)
        timeoutMs = try reader.readInt32("DeleteTopicsRequest.TimeoutMs")
    }

    /// Encodes the body as `version`.
    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        Self.apiKey.requireCodecVersion(version, in: Self.versions)
        buffer.writeKafkaStringArray(topicNames, flexible: false)
        buffer.writeInteger(timeoutMs)
    }
}
