import NIOCore
import Testing

@testable import KafkaProtocol

/// Checks a request body at `version`: the body round-trips, every truncation of it throws, its
/// whole frame (size prefix, header, body) decodes through ``KafkaRequest/decode(frame:)`` to
/// the same value with the header intact, and every truncation of the frame throws.
func checkRequest<Body: KafkaRequestBody>(
    _ value: Body,
    version: Int16,
    sourceLocation: SourceLocation = #_sourceLocation,
    extract: (KafkaRequest.Body) -> Body?
) throws {
    try checkBody(value, version: version, sourceLocation: sourceLocation)

    var frame = value.encodeFrame(version: version, correlationID: 0x1234_5678, clientID: "sluice-test")
    let requestSize = frame.readInteger(as: Int32.self)
    #expect(requestSize.map(Int.init) == frame.readableBytes, sourceLocation: sourceLocation)
    let request = try KafkaRequest.decode(frame: frame)
    #expect(
        request.header
            == KafkaRequestHeader(
                apiKey: Body.apiKey,
                apiVersion: version,
                correlationID: 0x1234_5678,
                clientID: "sluice-test"
            ),
        sourceLocation: sourceLocation
    )
    #expect(extract(request.body) == value, "v\(version) through KafkaRequest.decode", sourceLocation: sourceLocation)
    let all = bytes(frame)
    for length in 0..<all.count {
        #expect(throws: KafkaDecodingError.self, "frame prefix \(length)", sourceLocation: sourceLocation) {
            _ = try KafkaRequest.decode(frame: buffer(Array(all[0..<length])))
        }
    }
}

/// Checks a response body at `version`: the body round-trips, every truncation of it throws,
/// and its whole frame decodes with ``KafkaResponseBody/decodeFrame(_:version:)``.
func checkResponse<Body: KafkaResponseBody>(
    _ value: Body,
    version: Int16,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    try checkBody(value, version: version, sourceLocation: sourceLocation)

    var frame = value.encodeFrame(version: version, correlationID: -7)
    let responseSize = frame.readInteger(as: Int32.self)
    #expect(responseSize.map(Int.init) == frame.readableBytes, sourceLocation: sourceLocation)
    let (header, body) = try Body.decodeFrame(frame, version: version)
    #expect(header.correlationID == -7, sourceLocation: sourceLocation)
    #expect(body == value, sourceLocation: sourceLocation)
}

/// Every version of `apiKey` that ``KafkaAPIVersions/supported`` lists.
func supportedVersions(_ apiKey: KafkaAPIKey) -> [Int16] {
    guard let range = KafkaAPIVersions.range(for: apiKey) else { return [] }
    return Array(range.minimumVersion...range.maximumVersion)
}

/// Decodes `bytes` as a `Body` of `version` and returns the error (recording an issue if none).
@discardableResult
func bodyDecodingError<Body: KafkaRequestBody>(
    _ type: Body.Type,
    version: Int16,
    _ bytes: [UInt8],
    sourceLocation: SourceLocation = #_sourceLocation
) -> KafkaDecodingError? {
    decodingError(bytes, sourceLocation: sourceLocation) { try Body(from: &$0, version: version) }
}

/// Checks a request or response body at `version`: it round-trips, is read to its end, and every
/// truncation of it throws.
func checkBody<Body: KafkaMessageBody>(
    _ value: Body,
    version: Int16,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    var encoded = ByteBuffer()
    value.encode(into: &encoded, version: version)
    var reader = KafkaReader(encoded)
    let decoded = try Body(from: &reader, version: version)
    #expect(decoded == value, "v\(version) round trip", sourceLocation: sourceLocation)
    #expect(reader.isAtEnd, sourceLocation: sourceLocation)
    expectEveryTruncationThrows(encoded, sourceLocation: sourceLocation) { try Body(from: &$0, version: version) }
}
