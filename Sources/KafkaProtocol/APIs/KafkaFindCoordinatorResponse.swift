import NIOCore

/// FindCoordinator response (key 10), versions 0-2.
///
/// | Field | Type | Versions |
/// |---|---|---|
/// | ThrottleTimeMs | INT32 | 1+ |
/// | ErrorCode | INT16 | 0+ |
/// | ErrorMessage | NULLABLE_STRING | 1+ |
/// | NodeId | INT32 | 0+ |
/// | Host | STRING | 0+ |
/// | Port | INT32 | 0+ |
///
/// From `FindCoordinatorResponse.json`.
public struct KafkaFindCoordinatorResponse: KafkaResponseBody {
    /// FindCoordinator.
    public static let apiKey = KafkaAPIKey.findCoordinator
    /// The versions this codec implements.
    public static let versions: ClosedRange<Int16> = 0...2

    /// Throttle time (v1+).
    public var throttleTimeMs: Int32
    /// The error, or ``KafkaErrorCode/none``.
    public var errorCode: KafkaErrorCode
    /// A message for the error (v1+).
    public var errorMessage: String?
    /// The coordinator's broker id.
    public var nodeID: Int32
    /// The coordinator's host.
    public var host: String
    /// The coordinator's port.
    public var port: Int32

    /// Creates a response.
    public init(
        throttleTimeMs: Int32 = 0,
        errorCode: KafkaErrorCode = .none,
        errorMessage: String? = nil,
        nodeID: Int32,
        host: String,
        port: Int32
    ) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.nodeID = nodeID
        self.host = host
        self.port = port
    }

    /// Decodes the body of `version`.
    public init(from reader: inout KafkaReader, version: Int16) throws {
        try Self.apiKey.checkCodecVersion(version, in: Self.versions)
        throttleTimeMs = version >= 1 ? try reader.readInt32("FindCoordinatorResponse.ThrottleTimeMs") : 0
        errorCode = KafkaErrorCode(rawValue: try reader.readInt16("FindCoordinatorResponse.ErrorCode"))
        errorMessage = version >= 1 ? try reader.readNullableString("FindCoordinatorResponse.ErrorMessage") : nil
        nodeID = try reader.readInt32("FindCoordinatorResponse.NodeId")
        host = try reader.readString("FindCoordinatorResponse.Host")
        port = try reader.readInt32("FindCoordinatorResponse.Port")
    }

    /// Encodes the body as `version` (ThrottleTimeMs and ErrorMessage are dropped below v1).
    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        Self.apiKey.requireCodecVersion(version, in: Self.versions)
        if version >= 1 { buffer.writeInteger(throttleTimeMs) }
        buffer.writeInteger(errorCode.rawValue)
        if version >= 1 { buffer.writeKafkaNullableString(errorMessage) }
        buffer.writeInteger(nodeID)
        buffer.writeKafkaString(host)
        buffer.writeInteger(port)
    }
}
