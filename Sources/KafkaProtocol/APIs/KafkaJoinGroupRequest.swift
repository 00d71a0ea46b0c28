import NIOCore

/// JoinGroup request (key 11), versions 0-5.
///
/// | Field | Type | Versions |
/// |---|---|---|
/// | GroupId | STRING | 0+ |
/// | SessionTimeoutMs | INT32 | 0+ |
/// | RebalanceTimeoutMs | INT32 | 1+ (default -1) |
/// | MemberId | STRING | 0+ |
/// | GroupInstanceId | NULLABLE_STRING | 5+ |
/// | ProtocolType | STRING | 0+ |
/// | Protocols | ARRAY of { Name STRING, Metadata BYTES } | 0+ |
///
/// From `JoinGroupRequest.json` (v6 is the first flexible version).
public struct KafkaJoinGroupRequest: KafkaRequestBody {
    /// One protocol the member supports, with its metadata.
    public struct JoinProtocol: Hashable, Sendable {
        /// The protocol name (an assignor for consumers).
        public var name: String
        /// The protocol metadata (a slice of the request).
        public var metadata: ByteBuffer

        /// Creates a protocol entry.
        public init(name: String, metadata: ByteBuffer) {
            self.name = name
            self.metadata = metadata
        }
    }

    /// JoinGroup.
    public static let apiKey = KafkaAPIKey.joinGroup
    /// The versions this codec implements.
    public static let versions: ClosedRange<Int16> = 0...5

    /// The group id.
    public var groupID: String
    /// The session timeout.
    public var sessionTimeoutMs: Int32
    /// The rebalance timeout (v1+; -1 when decoded from v0, where Kafka uses the session timeout).
    public var rebalanceTimeoutMs: Int32
    /// The member id, empty for a new member.
    public var memberID: String
    /// The static member's instance id (v5+).
    public var groupInstanceID: String?
    /// The protocol type (`consumer` for consumers).
    public var protocolType: String
    /// The supported protocols, most preferred first.
    public var protocols: [JoinProtocol]

    /// Creates a request.
    public init(
        groupID: String,
        sessionTimeoutMs: Int32,
        rebalanceTimeoutMs: Int32 = -1,
        memberID: String,
        groupInstanceID: String? = nil,
        protocolType: String,
        protocols: [JoinProtocol]
    ) {
        self.groupID = groupID
        self.sessionTimeoutMs = sessionTimeoutMs
        self.rebalanceTimeoutMs = rebalanceTimeoutMs
        self.memberID = memberID
        self.groupInstanceID = groupInstanceID
        self.protocolType = protocolType
        self.protocols = protocols
    }

    /// Decodes the body of `version`.
    public init(from reader: inout KafkaReader, version: Int16) throws {
        try Self.apiKey.checkCodecVersion(version, in: Self.versions)
        groupID = try reader.readString("JoinGroupRequest.GroupId")
        sessionTimeoutMs = try reader.readInt32("JoinGroupRequest.SessionTimeoutMs")
        rebalanceTimeoutMs = version >= 1 ? try reader.readInt32("JoinGroupRequest.RebalanceTimeoutMs") : -1
        memberID = try reader.readString("JoinGroupRequest.MemberId")
        groupInstanceID = version >= 5 ? try reader.readNullableString("JoinGroupRequest.GroupInstanceId") : nil
        protocolType = try reader.readString("JoinGroupRequest.ProtocolType")
        protocols = try reader.readArray("JoinGroupRequest.Protocols", minimumElementBytes: 6) { reader in
            JoinProtocol(
                name: try reader.readString("JoinGroupRequest.Protocols.Name"),
                metadata: try reader.readBytes("JoinGroupRequest.Protocols.Metadata")
            )
        }
    }

    /// Encodes the body as `version` (fields a version lacks are dropped).
    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        Self.apiKey.requireCodecVersion(version, in: Self.versions)
        buffer.writeKafkaString(groupID)
        buffer.writeInteger(sessionTimeoutMs)
        if version >= 1 { buffer.writeInteger(rebalanceTimeoutMs) }
        buffer.writeKafkaString(memberID)
        if version >= 5 { buffer.writeKafkaNullableString(groupInstanceID) }
        buffer.writeKafkaString(protocolType)
        buffer.writeKafkaArray(protocols, flexible: false) { buffer, entry in
            buffer.writeKafkaString(entry.name)
            buffer.writeKafkaBytes(entry.metadata)
        }
    }
}
