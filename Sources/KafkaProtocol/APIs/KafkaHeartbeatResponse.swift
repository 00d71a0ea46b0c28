import NIOCore

/// Heartbeat response (key 12), versions 0-3.
///
/// | Field | Type | Versions |
/// |---|---|---|
/// | ThrottleTimeMs | INT32 | 1+ |
/// | ErrorCode | INT16 | 0+ |
///
/// From `HeartbeatResponse.json`.
public struct KafkaHeartbeatResponse: KafkaResponseBody {
    /// Heartbeat.
    public static let apiKey = KafkaAPIKey.heartbeat
    /// The versions this codec implements.
    public static let versions: ClosedRange<Int16> = 0...3

    /// Throttle time (v1+).
    public var throttleTimeMs: Int32
    /// The error, or ``KafkaErrorCode/none``.
    public var errorCode: KafkaErrorCode

    /// Creates a response.
    public init(throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode = .none) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
    }

    /// Decodes the body of `version`.
    public init(from reader: inout KafkaReader, version: Int16) throws {
        try Self.apiKey.checkCodecVersion(version, in: Self.versions)
        throttleTimeMs = version >= 1 ? try reader.readInt32("HeartbeatResponse.ThrottleTimeMs") : 0
        errorCode = KafkaErrorCode(rawValue: try reader.readInt16("HeartbeatResponse.ErrorCode"))
    }

    /// Encodes the body as `version` (ThrottleTimeMs is dropped in v0).
    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        Self.apiKey.requireCodecVersion(version, in: Self.versions)
        if version >= 1 { buffer.writeInteger(throttleTimeMs) }
        buffer.writeInteger(errorCode.rawValue)
    }
}
