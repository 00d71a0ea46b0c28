import NIOCore

/// FindCoordinator request (key 10), versions 0-2.
///
/// | Field | Type | Versions |
/// |---|---|---|
/// | Key | STRING | 0+ (the group id when KeyType is 0) |
/// | KeyType | INT8 | 1+ (0 group, 1 transaction) |
///
/// From `FindCoordinatorRequest.json` (v3 is the first flexible version, v4 batches keys).
public struct KafkaFindCoordinatorRequest: KafkaRequestBody {
    /// FindCoordinator.
    public static let apiKey = KafkaAPIKey.findCoordinator
    /// The versions this codec implements.
    public static let versions: ClosedRange<Int16> = 0...2

    /// The coordinator key: a group id, or a transactional id.
    public var key: String
    /// 0 for a group, 1 for a transaction (v1+; v0 means a group).
    public var keyType: Int8

    /// Creates a request.
    public init(key: String, keyType: Int8 = 0) {
        self.key = key
        self.keyType = keyType
    }

    /// Decodes the body of `version`.
    public init(from reader: inout KafkaReader, version: Int16) throws {
        try Self.apiKey.checkCodecVersion(version, in: Self.versions)
        key = try reader.readString("FindCoordinatorRequest.Key")
        keyType = version >= 1 ? try reader.readInt8("FindCoordinatorRequest.KeyType") : 0
    }

    /// Encodes the body as `version` (KeyType is dropped below v1).
    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        Self.apiKey.requireCodecVersion(version, in: Self.versions)
        buffer.writeKafkaString(key)
        if version >= 1 { buffer.writeInteger(keyType) }
    }
}
