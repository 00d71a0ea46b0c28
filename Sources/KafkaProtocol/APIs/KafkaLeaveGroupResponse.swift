import NIOCore

/// LeaveGroup response (key 13), versions 0-3.
///
/// | Field | Type | Versions |
/// |---|---|---|
/// | ThrottleTimeMs | INT32 | 1+ |
/// | ErrorCode | INT16 | 0+ |
/// | Members | ARRAY of { MemberId STRING, GroupInstanceId NULLABLE_STRING, ErrorCode INT16 } | 3+ |
///
/// From `LeaveGroupResponse.json`.
public struct KafkaLeaveGroupResponse: KafkaResponseBody {
    /// One member's outcome (v3+).
    public struct Member: Hashable, Sendable {
        /// The member id as requested.
        public var memberID: String
        /// The instance id as requested.
        public var groupInstanceID: String?
        /// The member's error, or ``KafkaErrorCode/none``.
        public var errorCode: KafkaErrorCode

        /// Creates a member outcome.
        public init(memberID: String, groupInstanceID: String? = nil, errorCode: KafkaErrorCode = .none) {
            self.memberID = memberID
            self.groupInstanceID = groupInstanceID
            self.errorCode = errorCode
        }
    }

    /// LeaveGroup.
    public static let apiKey = KafkaAPIKey.leaveGroup
    /// The versions this codec implements.
    public static let versions: ClosedRange<Int16> = 0...3

    /// Throttle time (v1+).
    public var throttleTimeMs: Int32
    /// The error, or ``KafkaErrorCode/none``.
    public var errorCode: KafkaErrorCode
    /// Per-member outcomes (v3+; dropped below).
    public var members: [Member]

    /// Creates a response.
    public init(throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode = .none, members: [Member] = []) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.members = members
    }

    /// Decodes the body of `version`.
    public init(from reader: inout KafkaReader, version: Int16) throws {
        try Self.apiKey.checkCodecVersion(version, in: Self.versions)
        throttleTimeMs = version >= 1 ? try reader.readInt32("LeaveGroupResponse.ThrottleTimeMs") : 0
        errorCode = KafkaErrorCode(rawValue: try reader.readInt16("LeaveGroupResponse.ErrorCode"))
        if version >= 3 {
            members = try reader.readArray("LeaveGroupResponse.Members", minimumElementBytes: 6) { reader in
                Member(
                    memberID: try reader.readString("LeaveGroupResponse.Members.MemberId"),
                    groupInstanceID: try reader.readNullableString("LeaveGroupResponse.Members.GroupInstanceId"),
                    errorCode: KafkaErrorCode(rawValue: try reader.readInt16("LeaveGroupResponse.Members.ErrorCode"))
                )
            }
        } else {
            members = []
        }
    }

    /// Encodes the body as `version` (ThrottleTimeMs is dropped in v0, Members below v3).
    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        Self.apiKey.requireCodecVersion(version, in: Self.versions)
        if version >= 1 { buffer.writeInteger(throttleTimeMs) }
        buffer.writeInteger(errorCode.rawValue)
        if version >= 3 {
            buffer.writeKafkaArray(members, flexible: false) { buffer, member in
                buffer.writeKafkaString(member.memberID)
                buffer.writeKafkaNullableString(member.groupInstanceID)
                buffer.writeInteger(member.errorCode.rawValue)
            }
        }
    }
}
