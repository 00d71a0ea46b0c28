import BrokerProtocol
import KafkaProtocol
import Logging
import NIOCore

/// Serves decoded Kafka requests on the broker's own machinery: the same ``RequestRouter``,
/// topics, partitions and logs as the native protocol, on the connection's event loop (partition
/// work hops to the partition's loop, as for native requests).
///
/// Only the APIs in ``servedAPIs`` are advertised and answered; any other request closes the
/// connection, as Kafka does for a request it cannot handle.
final class KafkaRouter: Sendable {
    /// The native router whose produce, fetch and topic paths the Kafka APIs reuse.
    let router: RequestRouter
    let logger: Logger
    /// The classic groups' coordinator.
    let coordinator: KafkaGroupCoordinator
    /// The committed offsets' limits (validated when the broker started).
    let offsetLimits: KafkaOffsetLimits

    /// The APIs this listener serves (a subset of the codecs in `KafkaAPIVersions.supported`).
    static let servedAPIs: Set<KafkaAPIKey> = [
        .apiVersions, .metadata, .produce, .fetch, .listOffsets, .initProducerID,
        .createTopics, .deleteTopics, .describeConfigs,
        .findCoordinator, .joinGroup, .syncGroup, .heartbeat, .leaveGroup, .offsetCommit, .offsetFetch,
    ]

    /// The node id of the single broker every partition is led by in Metadata answers.
    static let nodeID: Int32 = 0

    /// The cluster id in Metadata answers (v2+).
    static let clusterID = "sluice"

    /// What ApiVersions advertises: the served APIs with the codecs' version ranges.
    static var advertised: [KafkaAPIVersions.Range] {
        KafkaAPIVersions.supported.filter { servedAPIs.contains($0.apiKey) }
    }

    init(
        router: RequestRouter,
        coordinator: KafkaGroupCoordinator,
        offsetLimits: KafkaOffsetLimits,
        logger: Logger
    ) {
        self.router = router
        self.coordinator = coordinator
        self.offsetLimits = offsetLimits
        self.logger = logger
    }

    /// The address Metadata advertises for the one broker: the local address of the client's
    /// connection, i.e. the listener's bound address (for a wildcard bind, the interface the
    /// client reached).
    struct AdvertisedAddress: Sendable {
        var host: String
        var port: Int32
    }

    /// Serves one request. The future always succeeds: failures become Kafka error codes in the
    /// response, or a ``KafkaReply/close(reason:)``.
    func handle(
        _ request: KafkaRequest,
        advertising address: AdvertisedAddress,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<KafkaReply> {
        let header = request.header
        let version = header.apiVersion
        let correlationID = header.correlationID
        func reply<R: KafkaResponseBody>(_ body: R) -> EventLoopFuture<KafkaReply> {
            eventLoop.makeSucceededFuture(.frame([body.encodeFrame(version: version, correlationID: correlationID)]))
        }
        guard Self.servedAPIs.contains(header.apiKey) else {
            return eventLoop.makeSucceededFuture(.close(reason: "\(header.apiKey) is not served by this listener"))
        }
        switch request.body {
        case .apiVersions(let body):
            guard body.hasValidClientSoftware(version: version) else {
                return reply(KafkaAPIVersionsResponse(errorCode: .invalidRequest, apiKeys: Self.advertised))
            }
            return reply(KafkaAPIVersionsResponse(apiKeys: Self.advertised))
        case .unsupportedVersion where header.apiKey == .apiVersions:
            // Kafka's answer: the v0 layout, UNSUPPORTED_VERSION and the list; clients retry.
            let body = KafkaAPIVersionsResponse.unsupportedVersion(apiKeys: Self.advertised)
            return eventLoop.makeSucceededFuture(.frame([body.encodeFrame(version: 0, correlationID: correlationID)]))
        case .unsupportedVersion(let range):
            return eventLoop.makeSucceededFuture(
                .close(
                    reason: "\(header.apiKey) v\(version) is not served (versions "
                        + "\(range.minimumVersion)-\(range.maximumVersion) are)"
                )
            )
        case .metadata(let body):
            return metadata(body, advertising: address, on: eventLoop).map {
                .frame([$0.encodeFrame(version: version, correlationID: correlationID)])
            }
        case .produce(let body):
            return produce(body, version: version, correlationID: correlationID, on: eventLoop)
        case .fetch(let body):
            return fetch(body, version: version, correlationID: correlationID, on: eventLoop)
        case .listOffsets(let body):
            return listOffsets(body, version: version, correlationID: correlationID, on: eventLoop)
        case .initProducerID(let body):
            return initProducerID(body, version: version, correlationID: correlationID, on: eventLoop)
        case .createTopics(let body):
            return createTopics(body, version: version, on: eventLoop).map {
                .frame([$0.encodeFrame(version: version, correlationID: correlationID)])
            }
        case .deleteTopics(let body):
            return deleteTopics(body, on: eventLoop).map {
                .frame([$0.encodeFrame(version: version, correlationID: correlationID)])
            }
        case .describeConfigs(let body):
            return reply(describeConfigs(body, version: version))
        default:
            if let reply = handleGroups(request, advertising: address, on: eventLoop) { return reply }
            return eventLoop.makeSucceededFuture(.close(reason: "\(header.apiKey) is not served by this listener"))
        }
    }
}
