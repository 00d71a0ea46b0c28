import NIOCore

/// SyncGroup request (key 14), versions 0-3.
///
/// | Field | Type | Versions |
/// |---|---|---|
/// | GroupId | STRING | 0+ |
/// | GenerationId | INT32 | 0+ |
/// | MemberId | STRING | 0+ |
/// | GroupInstanceId | NULLABLE_STRING | 3+ |
/// | Assignments | ARRAY of { MemberId STRING, Assignment BYTES } | 0+ |
///
/// From `SyncGroupRequest.json` (v4 is the first flexible version; ProtocolType and ProtocolName come in v5).
public struct KafkaSyncGroupRequest: KafkaRequestBody {
    /// One member's assignment, sent by the leader.
    public struct Assignment: Hashable, Sendable {
        /// The member the assignment is for.
        public var memberID: String
        /// The assignment (a slice of the request).
        public var assignment: ByteBuffer

        /// Creates an assignment entry.
        public init(memberID: String, assignment: ByteBuffer) {
            self.memberID = memberID
            self.assignment = assignment
        }
    }

    /// SyncGroup.
    public static let apiKey = KafkaAPIKey.syncGroup
    /// The versions this codec implements.
    public static let versions: ClosedRange<Int16> = 0...3

    /// The group id.
    public var groupID: String
    /// The generation the member joined.
    public var generationID: Int32
    /// The member id.
    public var memberID: String
    /// The static member's instance id (v3+).
    public var groupInstanceID: String?
    /// The leader's assignment (empty from followers).
    public var assignments: [Assignment]

    /// Creates a request.
    public init(
        groupID: String,
        generationID: Int32,
        memberID: String,
        groupInstanceID: String? = nil,
        assignments: [Assignment] = []
    ) {
        self.groupID = groupID
        self.generationID = generationID
        self.memberID = memberID
        self.groupInstanceID = groupInstanceID
        self.assignments = assignments
    }

    /// Decodes the body of `version`.
    public init(from reader: inout KafkaReader, version: Int16) throws {
        try Self.apiKey.checkCodecVersion(version, in: Self.versions)
        groupID = try reader.readString("SyncGroupRequest.GroupId")
        generationID = try reader.readInt32("SyncGroupRequest.GenerationId")
        memberID = try reader.readString("SyncGroupRequest.MemberId")
        groupInstanceID = version >= 3 ? try reader.readNullableString("SyncGroupRequest.GroupInstanceId") : nil
        assignments = try reader.readArray("SyncGroupRequest.Assignments", minimumElementBytes: 6) { reader in
            Assignment(
                memberID: try reader.readString("SyncGroupRequest.Assignments.MemberId"),
                assignment: try reader.readBytes("SyncGroupRequest.Assignments.Assignment")
            )
        }
    }

    /// Encodes the body as `version` (GroupInstanceId is dropped below v3).
    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        Self.apiKey.requireCodecVersion(version, in: Self.versions)
        buffer.writeKafkaString(groupID)
        buffer.writeInteger(generationID)
        buffer.writeKafkaString(memberID)
        if version >= 3 { buffer.writeKafkaNullableString(groupInstanceID) }
        buffer.writeKafkaArray(assignments, flexible: false) { buffer, entry in
            buffer.writeKafkaString(entry.memberID)
            buffer.writeKafkaBytes(entry.assignment)
        }
    }
}
