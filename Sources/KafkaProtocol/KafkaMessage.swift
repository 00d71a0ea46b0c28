import NIOCore

/// The body of a Kafka request or response of one API, decodable and encodable at each supported
/// version.
///
/// Each conforming type documents its layout per version, field by field, as Kafka's JSON
/// message spec (`clients/src/main/resources/common/message/<Name>Request.json` or
/// `<Name>Response.json`) gives it. Encoding a field at a version that does not have it drops the
/// field (as Kafka does for "ignorable" fields); decoding a version leaves such fields at their
/// defaults.
public protocol KafkaMessageBody: Hashable, Sendable {
    /// The API this body belongs to.
    static var apiKey: KafkaAPIKey { get }

    /// Decodes the body of `version` from `reader`.
    /// - Throws: ``KafkaDecodingError`` for bytes that do not decode.
    init(from reader: inout KafkaReader, version: Int16) throws

    /// Encodes the body as `version`.
    /// - Precondition: `version` is one this type supports.
    func encode(into buffer: inout ByteBuffer, version: Int16)
}

/// The body of a Kafka request (request header, `<Name>Request.json`).
public protocol KafkaRequestBody: KafkaMessageBody {}

/// The body of a Kafka response (response header, `<Name>Response.json`).
public protocol KafkaResponseBody: KafkaMessageBody {}

extension KafkaRequestBody {
    /// Encodes a whole request frame: the INT32 size prefix, the header (its version chosen by
    /// ``KafkaAPIVersions/requestHeaderVersion(apiKey:apiVersion:)``) and the body. For test
    /// clients and tools; the broker only decodes requests.
    public func encodeFrame(version: Int16, correlationID: Int32, clientID: String?) -> ByteBuffer {
        let header = KafkaRequestHeader(
            apiKey: Self.apiKey,
            apiVersion: version,
            correlationID: correlationID,
            clientID: clientID
        )
        var buffer = ByteBuffer()
        buffer.writeKafkaSizePrefixed { frame in
            header.encode(
                into: &frame,
                headerVersion: KafkaAPIVersions.requestHeaderVersion(apiKey: Self.apiKey, apiVersion: version)
            )
            encode(into: &frame, version: version)
        }
        return buffer
    }
}

extension KafkaResponseBody {
    /// Encodes a whole response frame: the INT32 size prefix, the header (its version chosen by
    /// ``KafkaAPIVersions/responseHeaderVersion(apiKey:apiVersion:)``) and the body.
    public func encodeFrame(version: Int16, correlationID: Int32) -> ByteBuffer {
        var buffer = ByteBuffer()
        encodeFrame(into: &buffer, version: version, correlationID: correlationID)
        return buffer
    }

    /// Appends a whole response frame (size prefix, header, body) to `buffer`.
    public func encodeFrame(into buffer: inout ByteBuffer, version: Int16, correlationID: Int32) {
        buffer.writeKafkaSizePrefixed { frame in
            KafkaResponseHeader(correlationID: correlationID).encode(
                into: &frame,
                headerVersion: KafkaAPIVersions.responseHeaderVersion(apiKey: Self.apiKey, apiVersion: version)
            )
            encode(into: &frame, version: version)
        }
    }

    /// Decodes a response frame WITHOUT its size prefix (header, then body of `version`), as a
    /// test client reads the answer to a request it sent at `version`.
    /// - Throws: ``KafkaDecodingError`` for bytes that do not decode.
    public static func decodeFrame(_ frame: ByteBuffer, version: Int16) throws -> (KafkaResponseHeader, Self) {
        var reader = KafkaReader(frame)
        let header = try KafkaResponseHeader.decode(
            from: &reader,
            headerVersion: KafkaAPIVersions.responseHeaderVersion(apiKey: apiKey, apiVersion: version)
        )
        return (header, try Self(from: &reader, version: version))
    }
}

extension ByteBuffer {
    /// Writes an INT32 size prefix followed by what `body` writes, the prefix counting the bytes
    /// after itself (Kafka's frame format).
    public mutating func writeKafkaSizePrefixed(_ body: (inout ByteBuffer) -> Void) {
        let sizeIndex = writerIndex
        writeInteger(Int32(0))
        let start = writerIndex
        body(&self)
        let size = writerIndex - start
        precondition(size <= Int(Int32.max), "a Kafka frame holds at most 2^31-1 bytes")
        setInteger(Int32(size), at: sizeIndex)
    }
}
