import NIOCore

/// OffsetFetch request (key 9), versions 0-7; 6 and 7 are flexible (compact strings and arrays, tagged fields
/// after each structure).
///
/// | Field | Type | Versions |
/// |---|---|---|
/// | GroupId | STRING | 0-7 |
/// | Topics | ARRAY of { Name STRING, PartitionIndexes ARRAY of INT32 } | 0-7, nullable 2+ (null: every topic) |
/// | RequireStable | BOOLEAN | 7+ |
///
/// From `OffsetFetchRequest.json`.
public struct KafkaOffsetFetchRequest: KafkaRequestBody {
    /// One topic's partitions to fetch offsets for.
    public struct Topic: Hashable, Sendable {
        /// The topic name.
        public var name: String
        /// The partitions.
        public var partitionIndexes: [Int32]

        /// Creates a topic entry.
        public init(name: String, partitionIndexes: [Int32]) {
            self.name = name
            self.partitionIndexes = partitionIndexes
        }
    }

    /// OffsetFetch.
    public static let apiKey = KafkaAPIKey.offsetFetch
    /// The versions this codec implements.
    public static let versions: ClosedRange<Int16> = 0...7

    /// The group id.
    public var groupID: String
    /// The topics, or nil for every topic the group has offsets for (v2+).
    public var topics: [Topic]?
    /// Whether unstable (pending transactional) offsets should be waited for (v7+).
    public var requireStable: Bool

    /// Creates a request.
    public init(groupID: String, topics: [Topic]?, requireStable: Bool = false) {
        self.groupID = groupID
        self.topics = topics
        self.requireStable = requireStable
    }

    /// Decodes the body of `version`.
    public init(from reader: inout KafkaReader, version: Int16) throws {
        try Self.apiKey.checkCodecVersion(version, in: Self.versions)
        let flexible = version >= 6
        groupID = try reader.readString("OffsetFetchRequest.GroupId", flexible: flexible)
        func topic(_ reader: inout KafkaReader) throws -> Topic {
            let entry = Topic(
                name: try reader.readString("OffsetFetchRequest.Topics.Name", flexible: flexible),
                partitionIndexes: try reader.readInt32Array(
                    "OffsetFetchRequest.Topics.PartitionIndexes",
                    flexible: flexible
                )
            )
            if flexible { try reader.skipTaggedFields("OffsetFetchRequest.Topics") }
            return entry
        }
        let minimum = flexible ? 3 : 6
        if version >= 2 {
            topics = try reader.readNullableArray(
                "OffsetFetchRequest.Topics",
                flexible: flexible,
                minimumElementBytes: minimum,
                topic
            )
        } else {
            topics = try reader.readArray("OffsetFetchRequest.Topics", minimumElementBytes: minimum, topic)
        }
        requireStable = version >= 7 ? try reader.readBoolean("OffsetFetchRequest.RequireStable") : false
        if flexible { try reader.skipTaggedFields("OffsetFetchRequest") }
    }

    /// Encodes the body as `version`.
    /// - Precondition: `topics` is not nil below v2.
    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        Self.apiKey.requireCodecVersion(version, in: Self.versions)
        precondition(topics != nil || version >= 2, "OffsetFetch v\(version) cannot ask for every topic")
        let flexible = version >= 6
        buffer.writeKafkaString(groupID, flexible: flexible)
        buffer.writeKafkaNullableArray(topics, flexible: flexible) { buffer, topic in
            buffer.writeKafkaString(topic.name, flexible: flexible)
            buffer.writeKafkaInt32Array(topic.partitionIndexes, flexible: flexible)
            if flexible { buffer.writeKafkaEmptyTaggedFields() }
        }
        if version >= 7 { buffer.writeKafkaBoolean(requireStable) }
        if flexible { buffer.writeKafkaEmptyTaggedFields() }
    }
}
