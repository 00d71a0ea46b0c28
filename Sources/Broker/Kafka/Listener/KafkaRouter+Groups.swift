import KafkaProtocol
import NIOCore

/// Classic consumer groups on the Kafka listener: this broker is every group's coordinator
/// (FindCoordinator), and JoinGroup, SyncGroup, Heartbeat and LeaveGroup go to the
/// ``KafkaGroupCoordinator`` (docs/KAFKA.md "Classic consumer groups").
extension KafkaRouter {
    /// FindCoordinator 0-2: this broker, at the address the client reached, for any group; a
    /// transaction coordinator (key type 1) is COORDINATOR_NOT_AVAILABLE (no transactions).
    static func findCoordinator(
        _ request: KafkaFindCoordinatorRequest,
        advertising address: AdvertisedAddress
    ) -> KafkaFindCoordinatorResponse {
        guard request.keyType == 0 else {
            return KafkaFindCoordinatorResponse(
                errorCode: .coordinatorNotAvailable,
                errorMessage: "transactions are not supported, so there is no transaction coordinator",
                nodeID: -1,
                host: "",
                port: -1
            )
        }
        return KafkaFindCoordinatorResponse(nodeID: nodeID, host: address.host, port: address.port)
    }

    /// Serves the group APIs; `nil` for any other request.
    func handleGroups(
        _ request: KafkaRequest,
        advertising address: AdvertisedAddress,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<KafkaReply>? {
        let version = request.header.apiVersion
        let correlationID = request.header.correlationID
        func frame<R: KafkaResponseBody>(_ future: EventLoopFuture<R>) -> EventLoopFuture<KafkaReply> {
            future.hop(to: eventLoop).map { .frame([$0.encodeFrame(version: version, correlationID: correlationID)]) }
        }
        switch request.body {
        case .findCoordinator(let body):
            return frame(eventLoop.makeSucceededFuture(Self.findCoordinator(body, advertising: address)))
        case .joinGroup(let body):
            return frame(
                coordinator.join(body, version: version, clientID: request.header.clientID ?? "", clientHost: "")
            )
        case .syncGroup(let body):
            return frame(coordinator.sync(body))
        case .heartbeat(let body):
            return frame(coordinator.heartbeat(body))
        case .leaveGroup(let body):
            return frame(coordinator.leave(body, version: version))
        default:
            return nil
        }
    }
}
