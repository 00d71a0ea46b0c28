import NIOCore

/// InitProducerId response (key 22), versions 0-1 (identical layouts).
///
/// | Field | Type |
/// |---|---|
/// | ThrottleTimeMs | INT32 |
/// | ErrorCode | INT16 |
/// | ProducerId | INT64 |
/// | ProducerEpoch | INT16 |
///
/// From `InitProducerIdResponse.json`.
public struct KafkaInitProducerIDResponse: KafkaResponseBody {
    /// InitProducerId.
    public static let apiKey = KafkaAPIKey.initProducerID

    /// Throttle time.
    public var throttleTimeMs: Int32
    /// The error, or ``KafkaErrorCode/none``.
    public var errorCode: KafkaErrorCode
    /// The producer id given (-1 on error).
    public var producerID: Int64
    /// The producer epoch given.
    public var producerEpoch: Int16

    /// Creates a response.
    public init(throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode = .none, producerID: Int64, producerEpoch: Int16) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.producerID = producerID
        self.producerEpoch = producerEpoch
    }

    /// Decodes the body of `version`.
    public init(from reader: inout KafkaReader, version: Int16) throws {
        try KafkaAPIVersions.checkSupported(Self.apiKey, version: version)
        throttleTimeMs = try reader.readInt32("InitProducerIdResponse.ThrottleTimeMs")
        errorCode = KafkaErrorCode(rawValue: try reader.readInt16("InitProducerIdResponse.ErrorCode"))
        producerID = try reader.readInt64("InitProducerIdResponse.ProducerId")
        producerEpoch = try reader.readInt16("InitProducerIdResponse.ProducerEpoch")
    }

    /// Encodes the body as `version`.
    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        KafkaAPIVersions.requireSupported(Self.apiKey, version: version)
        buffer.writeInteger(throttleTimeMs)
        buffer.writeInteger(errorCode.rawValue)
        buffer.writeInteger(producerID)
        buffer.writeInteger(producerEpoch)
    }
}
