import NIOCore

/// The header at the start of every Kafka response (after the 4-byte size prefix).
///
/// | Version | Layout |
/// |---|---|
/// | 0 | INT32 correlation id |
/// | 1 | v0, then tagged fields |
///
/// Which version a response uses: ``KafkaAPIVersions/responseHeaderVersion(apiKey:apiVersion:)``
/// (v1 from the API's first flexible version, v0 before, and v0 always for ApiVersions).
public struct KafkaResponseHeader: Hashable, Sendable {
    /// The correlation id of the request this answers.
    public var correlationID: Int32

    /// Creates a header.
    public init(correlationID: Int32) {
        self.correlationID = correlationID
    }

    /// Decodes a header of `headerVersion` (0 or 1); unknown tagged fields (v1) are skipped.
    /// - Throws: ``KafkaDecodingError`` if the bytes are short or malformed.
    public static func decode(from reader: inout KafkaReader, headerVersion: Int16) throws -> KafkaResponseHeader {
        precondition((0...1).contains(headerVersion), "response header versions are 0-1")
        let correlationID = try reader.readInt32("ResponseHeader.CorrelationId")
        if headerVersion >= 1 {
            try reader.skipTaggedFields("ResponseHeader.TaggedFields")
        }
        return KafkaResponseHeader(correlationID: correlationID)
    }

    /// Encodes the header as `headerVersion` (0 or 1; v1 writes empty tagged fields).
    public func encode(into buffer: inout ByteBuffer, headerVersion: Int16) {
        precondition((0...1).contains(headerVersion), "response header versions are 0-1")
        buffer.writeInteger(correlationID)
        if headerVersion >= 1 {
            buffer.writeKafkaEmptyTaggedFields()
        }
    }
}
