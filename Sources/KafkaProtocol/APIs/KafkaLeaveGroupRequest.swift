import NIOCore

/// LeaveGroup request (key 13), versions 0-3.
///
/// | Field | Type | Versions |
/// |---|---|---|
/// | GroupId | STRING | 0+ |
/// | MemberId | STRING | 0-2 |
/// | Members | ARRAY of { MemberId STRING, GroupInstanceId NULLABLE_STRING } | 3+ |
///
/// From `LeaveGroupRequest.json` (v4 is the first flexible version; Reason comes in v5). Versions 0-2 name one
/// member: decoded, `members` holds it alone; encoding them requires exactly one member.
public struct KafkaLeaveGroupRequest: KafkaRequestBody {
    /// One leaving member.
    public struct Member: Hashable, Sendable {
        /// The member id (may be empty for a static member named by its instance id).
        public var memberID: String
        /// The static member's instance id.
        public var groupInstanceID: String?

        /// Creates a member entry.
        public init(memberID: String, groupInstanceID: String? = nil) {
            self.memberID = memberID
            self.groupInstanceID = groupInstanceID
        }
    }

    /// LeaveGroup.
    public static let apiKey = KafkaAPIKey.leaveGroup
    /// The versions this codec implements.
    public static let versions: ClosedRange<Int16> = 0...3

    /// The group id.
    public var groupID: String
    /// The leaving members (one for versions 0-2).
    public var members: [Member]

    /// Creates a request.
    public init(groupID: String, members: [Member]) {
        self.groupID = groupID
        self.members = members
    }

    /// Decodes the body of `version`.
    public init(from reader: inout KafkaReader, version: Int16) throws {
        try Self.apiKey.checkCodecVersion(version, in: Self.versions)
        groupID = try reader.readString("LeaveGroupRequest.GroupId")
        if version >= 3 {
            members = try reader.readArray("LeaveGroupRequest.Members", minimumElementBytes: 4) { reader in
                Member(
                    memberID: try reader.readString("LeaveGroupRequest.Members.MemberId"),
                    groupInstanceID: try reader.readNullableString("LeaveGroupRequest.Members.GroupInstanceId")
                )
            }
        } else {
            members = [Member(memberID: try reader.readString("LeaveGroupRequest.MemberId"))]
        }
    }

    /// Encodes the body as `version`.
    /// - Precondition: versions 0-2 carry exactly one member, without an instance id.
    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        Self.apiKey.requireCodecVersion(version, in: Self.versions)
        buffer.writeKafkaString(groupID)
        if version >= 3 {
            buffer.writeKafkaArray(members, flexible: false) { buffer, member in
                buffer.writeKafkaString(member.memberID)
                buffer.writeKafkaNullableString(member.groupInstanceID)
            }
        } else {
            precondition(members.count == 1, "LeaveGroup v\(version) names exactly one member")
            buffer.writeKafkaString(members[0].memberID)
        }
    }
}
