import NIOCore

/// Heartbeat request (key 12), versions 0-3.
///
/// | Field | Type | Versions |
/// |---|---|---|
/// | GroupId | STRING | 0+ |
/// | GenerationId | INT32 | 0+ |
/// | MemberId | STRING | 0+ |
/// | GroupInstanceId | NULLABLE_STRING | 3+ |
///
/// From `HeartbeatRequest.json` (v4 is the first flexible version).
public struct KafkaHeartbeatRequest: KafkaRequestBody {
    /// Heartbeat.
    public static let apiKey = KafkaAPIKey.heartbeat
    /// The versions this codec implements.
    public static let versions: ClosedRange<Int16> = 0...3

    /// The group id.
    public var groupID: String
    /// The generation the member believes current.
    public var generationID: Int32
    /// The member id.
    public var memberID: String
    /// The static member's instance id (v3+).
    public var groupInstanceID: String?

    /// Creates a request.
    public init(groupID: String, generationID: Int32, memberID: String, groupInstanceID: String? = nil) {
        self.groupID = groupID
        self.generationID = generationID
        self.memberID = memberID
        self.groupInstanceID = groupInstanceID
    }

    /// Decodes the body of `version`.
    public init(from reader: inout KafkaReader, version: Int16) throws {
        try Self.apiKey.checkCodecVersion(version, in: Self.versions)
        groupID = try reader.readString("HeartbeatRequest.GroupId")
        generationID = try reader.readInt32("HeartbeatRequest.GenerationId")
        memberID = try reader.readString("HeartbeatRequest.MemberId")
        groupInstanceID = version >= 3 ? try reader.readNullableString("HeartbeatRequest.GroupInstanceId") : nil
    }

    /// Encodes the body as `version` (GroupInstanceId is dropped below v3).
    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        Self.apiKey.requireCodecVersion(version, in: Self.versions)
        buffer.writeKafkaString(groupID)
        buffer.writeInteger(generationID)
        buffer.writeKafkaString(memberID)
        if version >= 3 { buffer.writeKafkaNullableString(groupInstanceID) }
    }
}
