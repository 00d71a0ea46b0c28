import NIOCore
import Testing

@testable import KafkaProtocol

/// Checks a group or admin request body at `version` without ``KafkaRequest`` (which routes only the versions
/// ``KafkaAPIVersions/supported`` lists; OffsetFetch 6-7 are implemented but not listed): the body round-trips, every truncation throws, and its whole frame (size
/// prefix, header, body) decodes back to the same header and body.
func checkCodecRequest<Body: KafkaRequestBody>(
    _ value: Body,
    version: Int16,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    try checkBody(value, version: version, sourceLocation: sourceLocation)

    var frame = value.encodeFrame(version: version, correlationID: 99, clientID: "sluice-test")
    let size = frame.readInteger(as: Int32.self)
    #expect(size.map(Int.init) == frame.readableBytes, sourceLocation: sourceLocation)
    var frameReader = KafkaReader(frame)
    let header = try KafkaRequestHeader.decode(
        from: &frameReader,
        headerVersion: KafkaAPIVersions.requestHeaderVersion(apiKey: Body.apiKey, apiVersion: version)
    )
    #expect(header.apiKey == Body.apiKey && header.apiVersion == version, sourceLocation: sourceLocation)
    #expect(header.correlationID == 99 && header.clientID == "sluice-test", sourceLocation: sourceLocation)
    #expect(try Body(from: &frameReader, version: version) == value, sourceLocation: sourceLocation)
    #expect(frameReader.isAtEnd, sourceLocation: sourceLocation)
}

/// The encoded body of `value` at `version`, as bytes.
func encodedBytes<Body: KafkaRequestBody>(_ value: Body, version: Int16) -> [UInt8] {
    var buffer = ByteBuffer()
    value.encode(into: &buffer, version: version)
    return bytes(buffer)
}

/// Bytes of a classic STRING.
func kafkaString(_ value: String) -> [UInt8] {
    let utf8 = Array(value.utf8)
    return [UInt8(utf8.count >> 8), UInt8(utf8.count & 0xFF)] + utf8
}

/// Bytes of a big-endian INT32.
func int32Bytes(_ value: Int32) -> [UInt8] {
    withUnsafeBytes(of: value.bigEndian) { Array($0) }
}

/// Bytes of a big-endian INT64.
func int64Bytes(_ value: Int64) -> [UInt8] {
    withUnsafeBytes(of: value.bigEndian) { Array($0) }
}
