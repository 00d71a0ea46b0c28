import NIOCore

/// SyncGroup response (key 14), versions 0-3.
///
/// | Field | Type | Versions |
/// |---|---|---|
/// | ThrottleTimeMs | INT32 | 1+ |
/// | ErrorCode | INT16 | 0+ |
/// | Assignment | BYTES | 0+ |
///
/// From `SyncGroupResponse.json`.
public struct KafkaSyncGroupResponse: KafkaResponseBody {
    /// SyncGroup.
    public static let apiKey = KafkaAPIKey.syncGroup
    /// The versions this codec implements.
    public static let versions: ClosedRange<Int16> = 0...3

    /// Throttle time (v1+).
    public var throttleTimeMs: Int32
    /// The error, or ``KafkaErrorCode/none``.
    public var errorCode: KafkaErrorCode
    /// The member's assignment.
    public var assignment: ByteBuffer

    /// Creates a response.
    public init(throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode = .none, assignment: ByteBuffer) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.assignment = assignment
    }

    /// Decodes the body of `version`.
    public init(from reader: inout KafkaReader, version: Int16) throws {
        try Self.apiKey.checkCodecVersion(version, in: Self.versions)
        throttleTimeMs = version >= 1 ? try reader.readInt32("SyncGroupResponse.ThrottleTimeMs") : 0
        errorCode = KafkaErrorCode(rawValue: try reader.readInt16("SyncGroupResponse.ErrorCode"))
        assignment = try reader.readBytes("SyncGroupResponse.Assignment")
    }

    /// Encodes the body as `version` (ThrottleTimeMs is dropped in v0).
    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        Self.apiKey.requireCodecVersion(version, in: Self.versions)
        if version >= 1 { buffer.writeInteger(throttleTimeMs) }
        buffer.writeInteger(errorCode.rawValue)
        buffer.writeKafkaBytes(assignment)
    }
}
