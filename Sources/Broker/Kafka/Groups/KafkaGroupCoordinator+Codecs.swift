import KafkaProtocol
import NIOCore

/// The coordinator's requests and answers in the codecs' types: what the Kafka listener decodes
/// and encodes. Bytes are `ByteBuffer` on the wire and `[UInt8]` in the state machine; error codes
/// have Kafka's numbers in both.
extension KafkaGroupCoordinator {
    /// A JoinGroup as decoded at `version`, from `clientID` at `clientHost`.
    public func join(
        _ decoded: KafkaJoinGroupRequest,
        version: Int16,
        clientID: String,
        clientHost: String
    ) -> EventLoopFuture<KafkaJoinGroupResponse> {
        let request = KafkaClassicGroup.JoinRequest(
            apiVersion: version,
            groupID: decoded.groupID,
            sessionTimeoutMilliseconds: decoded.sessionTimeoutMs,
            // v0 has no rebalance timeout (decoded as -1): the session timeout stands in, as in Kafka.
            rebalanceTimeoutMilliseconds: decoded.rebalanceTimeoutMs,
            memberID: decoded.memberID,
            groupInstanceID: decoded.groupInstanceID,
            protocolType: decoded.protocolType,
            protocols: decoded.protocols.map { .init(name: $0.name, metadata: Array($0.metadata.readableBytesView)) },
            clientID: clientID,
            clientHost: clientHost
        )
        return self.join(request).map { response in
            KafkaJoinGroupResponse(
                errorCode: KafkaErrorCode(response.errorCode),
                generationID: response.generationID,
                protocolName: response.protocolName ?? "",
                leader: response.leaderID,
                memberID: response.memberID,
                members: response.members.map {
                    KafkaJoinGroupResponse.Member(
                        memberID: $0.memberID,
                        groupInstanceID: $0.groupInstanceID,
                        metadata: ByteBuffer(bytes: $0.metadata)
                    )
                }
            )
        }
    }

    /// A SyncGroup as decoded.
    public func sync(_ decoded: KafkaSyncGroupRequest) -> EventLoopFuture<KafkaSyncGroupResponse> {
        let request = KafkaClassicGroup.SyncRequest(
            groupID: decoded.groupID,
            generationID: decoded.generationID,
            memberID: decoded.memberID,
            groupInstanceID: decoded.groupInstanceID,
            assignments: decoded.assignments.map {
                .init(memberID: $0.memberID, assignment: Array($0.assignment.readableBytesView))
            }
        )
        return self.sync(request).map { response in
            KafkaSyncGroupResponse(
                errorCode: KafkaErrorCode(response.errorCode),
                assignment: ByteBuffer(bytes: response.assignment)
            )
        }
    }

    /// A Heartbeat as decoded.
    public func heartbeat(_ request: KafkaHeartbeatRequest) -> EventLoopFuture<KafkaHeartbeatResponse> {
        heartbeat(
            KafkaClassicGroup.HeartbeatRequest(
                groupID: request.groupID,
                generationID: request.generationID,
                memberID: request.memberID,
                groupInstanceID: request.groupInstanceID
            )
        ).map { KafkaHeartbeatResponse(errorCode: KafkaErrorCode($0)) }
    }

    /// A LeaveGroup as decoded at `version`: v0-2 name one member and answer with one error code,
    /// v3 names several and answers per member.
    public func leave(_ request: KafkaLeaveGroupRequest, version: Int16) -> EventLoopFuture<KafkaLeaveGroupResponse> {
        leave(
            KafkaClassicGroup.LeaveRequest(
                groupID: request.groupID,
                members: request.members.map { .init(memberID: $0.memberID, groupInstanceID: $0.groupInstanceID) }
            )
        ).map { response in
            guard version >= 3 else {
                return KafkaLeaveGroupResponse(errorCode: KafkaErrorCode(response.singleMemberErrorCode))
            }
            return KafkaLeaveGroupResponse(
                errorCode: KafkaErrorCode(response.errorCode),
                members: response.members.map {
                    KafkaLeaveGroupResponse.Member(
                        memberID: $0.memberID,
                        groupInstanceID: $0.groupInstanceID,
                        errorCode: KafkaErrorCode($0.errorCode)
                    )
                }
            )
        }
    }
}

extension KafkaErrorCode {
    /// The same code, as the codecs write it.
    init(_ code: KafkaGroupErrorCode) { self.init(rawValue: code.rawValue) }
}
