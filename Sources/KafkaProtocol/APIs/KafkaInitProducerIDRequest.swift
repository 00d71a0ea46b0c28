import NIOCore

/// InitProducerId request (key 22), versions 0-1 (identical layouts).
///
/// | Field | Type |
/// |---|---|
/// | TransactionalId | NULLABLE_STRING |
/// | TransactionTimeoutMs | INT32 |
///
/// From `InitProducerIdRequest.json`.
public struct KafkaInitProducerIDRequest: KafkaRequestBody {
    /// InitProducerId.
    public static let apiKey = KafkaAPIKey.initProducerID

    /// The transactional id, or nil for an idempotent (non-transactional) producer.
    public var transactionalID: String?
    /// How long a transaction may stay open (only meaningful with a transactional id).
    public var transactionTimeoutMs: Int32

    /// Creates a request.
    public init(transactionalID: String? = nil, transactionTimeoutMs: Int32) {
        self.transactionalID = transactionalID
        self.transactionTimeoutMs = transactionTimeoutMs
    }

    /// Decodes the body of `version`.
    public init(from reader: inout KafkaReader, version: Int16) throws {
        try KafkaAPIVersions.checkSupported(Self.apiKey, version: version)
        transactionalID = try reader.readNullableString("InitProducerIdRequest.TransactionalId")
        transactionTimeoutMs = try reader.readInt32("InitProducerIdRequest.TransactionTimeoutMs")
    }

    /// Encodes the body as `version`.
    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        KafkaAPIVersions.requireSupported(Self.apiKey, version: version)
        buffer.writeKafkaNullableString(transactionalID)
        buffer.writeInteger(transactionTimeoutMs)
    }
}
