import KafkaProtocol
import NIOCore

/// The body of the `FuzzKafkaRequests` fuzzer: one input is one Kafka request frame without its
/// size prefix, decoded as the Kafka listener decodes what a client sends
/// (`KafkaRequest.decode(frame:)`).
///
/// Oracles (a trap stops the fuzzer):
/// 1. The decoder throws only `KafkaDecodingError`.
/// 2. A typed request re-encodes (header and body at the same version) to a frame that decodes
///    to an equal request.
/// 3. An unsupported API or version keeps the correlation id of bytes 4-7, and the API and
///    version of bytes 0-3.
/// 4. For coverage of the response decoders (which test clients use), the bytes after the 8-byte
///    header prefix are also decoded as the RESPONSE body of the frame's API and version, when
///    served, with oracles 1 and 2.
public enum KafkaRequestHarness {
    public static func run(_ bytes: UnsafeRawBufferPointer) {
        let frame = ByteBuffer(bytes: bytes)
        let request: KafkaRequest
        do {
            request = try KafkaRequest.decode(frame: frame)
        } catch is KafkaDecodingError {
            checkResponseDecoding(frame)
            return
        } catch {
            preconditionFailure("KafkaRequest.decode threw \(error), not a KafkaDecodingError")
        }
        precondition(frame.getInteger(at: frame.readerIndex + 4, as: Int32.self) == request.header.correlationID)
        precondition(frame.getInteger(at: frame.readerIndex, as: Int16.self) == request.header.apiKey.rawValue)
        precondition(frame.getInteger(at: frame.readerIndex + 2, as: Int16.self) == request.header.apiVersion)
        let version = request.header.apiVersion
        switch request.body {
        case .apiVersions(let body): checkRequestRoundTrip(request, body, version: version)
        case .metadata(let body): checkRequestRoundTrip(request, body, version: version)
        case .produce(let body): checkRequestRoundTrip(request, body, version: version)
        case .fetch(let body): checkRequestRoundTrip(request, body, version: version)
        case .listOffsets(let body): checkRequestRoundTrip(request, body, version: version)
        case .initProducerID(let body): checkRequestRoundTrip(request, body, version: version)
        case .offsetCommit(let body): checkRequestRoundTrip(request, body, version: version)
        case .offsetFetch(let body): checkRequestRoundTrip(request, body, version: version)
        case .findCoordinator(let body): checkRequestRoundTrip(request, body, version: version)
        case .joinGroup(let body): checkRequestRoundTrip(request, body, version: version)
        case .heartbeat(let body): checkRequestRoundTrip(request, body, version: version)
        case .leaveGroup(let body): checkRequestRoundTrip(request, body, version: version)
        case .syncGroup(let body): checkRequestRoundTrip(request, body, version: version)
        case .createTopics(let body): checkRequestRoundTrip(request, body, version: version)
        case .deleteTopics(let body): checkRequestRoundTrip(request, body, version: version)
        case .describeConfigs(let body): checkRequestRoundTrip(request, body, version: version)
        case .unsupportedAPI:
            precondition(KafkaAPIVersions.range(for: request.header.apiKey) == nil, "a served API came out unsupported")
        case .unsupportedVersion(let range):
            precondition(!range.contains(version), "a served version came out unsupported")
        }
        checkResponseDecoding(frame)
    }

    /// Re-encodes `body` with the request's header and decodes the new frame.
    static func checkRequestRoundTrip<Body: KafkaRequestBody>(_ request: KafkaRequest, _ body: Body, version: Int16) {
        var frame = body.encodeFrame(
            version: version,
            correlationID: request.header.correlationID,
            clientID: request.header.clientID
        )
        let size = frame.readInteger(as: Int32.self)
        precondition(size.map(Int.init) == frame.readableBytes, "the size prefix is not the frame's size")
        do {
            let again = try KafkaRequest.decode(frame: frame)
            precondition(again == request, "a re-encoded request decodes differently")
        } catch {
            preconditionFailure("a re-encoded request does not decode: \(error)")
        }
    }

    /// Decodes the bytes after the 8-byte header prefix as the response body of the frame's API
    /// and version, if served.
    static func checkResponseDecoding(_ frame: ByteBuffer) {
        guard let rawKey = frame.getInteger(at: frame.readerIndex, as: Int16.self),
            let version = frame.getInteger(at: frame.readerIndex + 2, as: Int16.self),
            frame.readableBytes >= 8
        else { return }
        let apiKey = KafkaAPIKey(rawValue: rawKey)
        guard let range = KafkaAPIVersions.range(for: apiKey), range.contains(version) else { return }
        let body = frame.getSlice(at: frame.readerIndex + 8, length: frame.readableBytes - 8)!
        switch apiKey {
        case .apiVersions: checkResponseRoundTrip(KafkaAPIVersionsResponse.self, body, version: version)
        case .metadata: checkResponseRoundTrip(KafkaMetadataResponse.self, body, version: version)
        case .produce: checkResponseRoundTrip(KafkaProduceResponse.self, body, version: version)
        case .fetch: checkResponseRoundTrip(KafkaFetchResponse.self, body, version: version)
        case .listOffsets: checkResponseRoundTrip(KafkaListOffsetsResponse.self, body, version: version)
        case .initProducerID: checkResponseRoundTrip(KafkaInitProducerIDResponse.self, body, version: version)
        case .offsetCommit: checkResponseRoundTrip(KafkaOffsetCommitResponse.self, body, version: version)
        case .offsetFetch: checkResponseRoundTrip(KafkaOffsetFetchResponse.self, body, version: version)
        case .findCoordinator: checkResponseRoundTrip(KafkaFindCoordinatorResponse.self, body, version: version)
        case .joinGroup: checkResponseRoundTrip(KafkaJoinGroupResponse.self, body, version: version)
        case .heartbeat: checkResponseRoundTrip(KafkaHeartbeatResponse.self, body, version: version)
        case .leaveGroup: checkResponseRoundTrip(KafkaLeaveGroupResponse.self, body, version: version)
        case .syncGroup: checkResponseRoundTrip(KafkaSyncGroupResponse.self, body, version: version)
        case .createTopics: checkResponseRoundTrip(KafkaCreateTopicsResponse.self, body, version: version)
        case .deleteTopics: checkResponseRoundTrip(KafkaDeleteTopicsResponse.self, body, version: version)
        case .describeConfigs: checkResponseRoundTrip(KafkaDescribeConfigsResponse.self, body, version: version)
        default: preconditionFailure("\(apiKey) is served but has no response decoder in the harness")
        }
    }

    static func checkResponseRoundTrip<Body: KafkaResponseBody>(_ type: Body.Type, _ bytes: ByteBuffer, version: Int16)
    {
        var reader = KafkaReader(bytes)
        let decoded: Body
        do {
            decoded = try Body(from: &reader, version: version)
        } catch is KafkaDecodingError {
            return
        } catch {
            preconditionFailure("\(Body.self) threw \(error), not a KafkaDecodingError")
        }
        var encoded = ByteBuffer()
        decoded.encode(into: &encoded, version: version)
        var again = KafkaReader(encoded)
        do {
            let decodedAgain = try Body(from: &again, version: version)
            precondition(decodedAgain == decoded, "a re-encoded response decodes differently")
            precondition(again.isAtEnd, "a re-encoded response leaves bytes behind")
        } catch {
            preconditionFailure("a re-encoded \(Body.self) does not decode: \(error)")
        }
    }
}
