import KafkaProtocol
import NIOCore

/// Classic consumer groups on the Kafka listener: this broker is every group's coordinator
/// (FindCoordinator), JoinGroup, SyncGroup, Heartbeat and LeaveGroup go to the
/// ``KafkaGroupCoordinator``, OffsetCommit and OffsetFetch to the durable group state (docs/KAFKA.md
/// "Classic consumer groups"). A name that is a Sluice group's is refused
/// (INCONSISTENT_GROUP_PROTOCOL), as is a name Sluice does not accept for groups (INVALID_GROUP_ID).
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
        // A group name of the other kind (a Sluice group's) or not a valid name is refused before
        // the coordinator sees it (OffsetCommit and OffsetFetch check it in the offset store).
        if let refused = refusal(request) {
            let code = KafkaErrorCode(refused.code)
            switch refused.body {
            case .joinGroup(let body):
                return frame(
                    eventLoop.makeSucceededFuture(
                        KafkaJoinGroupResponse(
                            errorCode: code,
                            generationID: -1,
                            protocolName: "",
                            leader: "",
                            memberID: body.memberID
                        )
                    )
                )
            case .syncGroup:
                return frame(
                    eventLoop.makeSucceededFuture(KafkaSyncGroupResponse(errorCode: code, assignment: ByteBuffer()))
                )
            case .heartbeat:
                return frame(eventLoop.makeSucceededFuture(KafkaHeartbeatResponse(errorCode: code)))
            default:
                return frame(eventLoop.makeSucceededFuture(KafkaLeaveGroupResponse(errorCode: code)))
            }
        }
        switch request.body {
        case .offsetCommit(let body):
            return frame(offsetCommit(body, on: eventLoop))
        case .offsetFetch(let body):
            return frame(offsetFetch(body, version: version, on: eventLoop))
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

    /// The error a JoinGroup, SyncGroup, Heartbeat or LeaveGroup gets because of its group name
    /// (checked once per request), with the request's body; `nil` when the name may be used.
    private func refusal(_ request: KafkaRequest) -> (code: KafkaGroupErrorCode, body: KafkaRequest.Body)? {
        let groupID: String
        switch request.body {
        case .joinGroup(let body): groupID = body.groupID
        case .syncGroup(let body): groupID = body.groupID
        case .heartbeat(let body): groupID = body.groupID
        case .leaveGroup(let body): groupID = body.groupID
        default: return nil
        }
        do {
            try offsetStore?.checkGroupName(groupID)
            return nil
        } catch let error as KafkaOffsetStoreError {
            return (KafkaGroupErrorCode(rawValue: error.kafkaErrorCode) ?? .unknownServerError, request.body)
        } catch {
            return (.unknownServerError, request.body)
        }
    }
}
