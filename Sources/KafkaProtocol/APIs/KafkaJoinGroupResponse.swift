import NIOCore

/// JoinGroup response (key 11), versions 0-5.
///
/// | Field | Type | Versions |
/// |---|---|---|
/// | ThrottleTimeMs | INT32 | 2+ |
/// | ErrorCode | INT16 | 0+ |
/// | GenerationId | INT32 | 0+ |
/// | ProtocolName | STRING | 0+ (nullable only from v7) |
/// | Leader | STRING | 0+ |
/// | MemberId | STRING | 0+ |
/// | Members | ARRAY of { MemberId STRING, GroupInstanceId NULLABLE_STRING (5+), Metadata BYTES } | 0+ |
///
/// From `JoinGroupResponse.json` (ProtocolType and SkipAssignment come in v7 and v9).
public struct KafkaJoinGroupResponse: KafkaResponseBody {
    /// One member, as the leader receives it.
    public struct Member: Hashable, Sendable {
        /// The member id.
        public var memberID: String
        /// The static member's instance id (v5+).
        public var groupInstanceID: String?
        /// The member's metadata for the selected protocol.
        public var metadata: ByteBuffer

        /// Creates a member entry.
        public init(memberID: String, groupInstanceID: String? = nil, metadata: ByteBuffer) {
            self.memberID = memberID
            self.groupInstanceID = groupInstanceID
            self.metadata = metadata
        }
    }

    /// JoinGroup.
    public static let apiKey = KafkaAPIKey.joinGroup
    /// The versions this codec implements.
    public static let versions: ClosedRange<Int16> = 0...5

    /// Throttle time (v2+).
    public var throttleTimeMs: Int32
    /// The error, or ``KafkaErrorCode/none``.
    public var errorCode: KafkaErrorCode
    /// The generation joined, -1 on error.
    public var generationID: Int32
    /// The selected protocol (empty on error: the field is not nullable below v7).
    public var protocolName: String
    /// The leader's member id.
    public var leader: String
    /// The member's id.
    public var memberID: String
    /// Every member with its metadata (for the leader only).
    public var members: [Member]

    /// Creates a response.
    public init(
        throttleTimeMs: Int32 = 0,
        errorCode: KafkaErrorCode = .none,
        generationID: Int32,
        protocolName: String,
        leader: String,
        memberID: String,
        members: [Member] = []
    ) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.generationID = generationID
        self.protocolName = protocolName
        self.leader = leader
        self.memberID = memberID
        self.members = members
    }

    /// Decodes the body of `version`.
    public init(from reader: inout KafkaReader, version: Int16) throws {
        try Self.apiKey.checkCodecVersion(version, in: Self.versions)
        throttleTimeMs = version >= 2 ? try reader.readInt32("JoinGroupResponse.ThrottleTimeMs") : 0
        errorCode = KafkaErrorCode(rawValue: try reader.readInt16("JoinGroupResponse.ErrorCode"))
        generationID = try reader.readInt32("JoinGroupResponse.GenerationId")
        protocolName = try reader.readString("JoinGroupResponse.ProtocolName")
        leader = try reader.readString("JoinGroupResponse.Leader")
        memberID = try reader.readString("JoinGroupResponse.MemberId")
        let minimum = version >= 5 ? 8 : 6
        members = try reader.readArray("JoinGroupResponse.Members", minimumElementBytes: minimum) { reader in
            Member(
                memberID: try reader.readString("JoinGroupResponse.Members.MemberId"),
                groupInstanceID: version >= 5
                    ? try reader.readNullableString("JoinGroupResponse.Members.GroupInstanceId") : nil,
                metadata: try reader.readBytes("JoinGroupResponse.Members.Metadata")
            )
        }
    }

    /// Encodes the body as `version` (fields a version lacks are dropped).
    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        Self.apiKey.requireCodecVersion(version, in: Self.versions)
        if version >= 2 { buffer.writeInteger(throttleTimeMs) }
        buffer.writeInteger(errorCode.rawValue)
        buffer.writeInteger(generationID)
        buffer.writeKafkaString(protocolName)
        buffer.writeKafkaString(leader)
        buffer.writeKafkaString(memberID)
        buffer.writeKafkaArray(members, flexible: false) { buffer, member in
            buffer.writeKafkaString(member.memberID)
            if version >= 5 { buffer.writeKafkaNullableString(member.groupInstanceID) }
            buffer.writeKafkaBytes(member.metadata)
        }
    }
}
