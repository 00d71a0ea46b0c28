import Testing

@testable import Broker

/// Drives one `KafkaClassicGroup` with a manual clock, recording every answer by token and checking that no token
/// is answered twice.
struct KafkaGroupHarness {
    var group: KafkaClassicGroup
    var now: Int64 = 0
    private var nextToken: UInt64 = 0
    /// Every answer received, by token.
    private(set) var answers: [KafkaGroupRequestToken: KafkaClassicGroupOutput] = [:]
    /// Tokens given to join or sync, in order.
    private(set) var issued: [KafkaGroupRequestToken] = []
    /// Tokens answered twice (must stay empty).
    private(set) var answeredTwice: [KafkaGroupRequestToken] = []

    init(configuration: KafkaClassicGroupConfiguration = KafkaClassicGroupConfiguration(), seed: UInt64 = 1) {
        group = KafkaClassicGroup(
            groupID: "g",
            configuration: configuration,
            memberIDGenerator: .seeded(seed),
            now: 0
        )
    }

    static func request(
        memberID: String = "",
        instance: String? = nil,
        version: Int16 = 5,
        session: Int32 = 10_000,
        rebalance: Int32 = 30_000,
        protocols: [String] = ["range"],
        metadata: [UInt8] = [1],
        protocolType: String = "consumer",
        clientID: String = "client"
    ) -> KafkaClassicGroup.JoinRequest {
        KafkaClassicGroup.JoinRequest(
            apiVersion: version,
            groupID: "g",
            sessionTimeoutMilliseconds: session,
            rebalanceTimeoutMilliseconds: rebalance,
            memberID: memberID,
            groupInstanceID: instance,
            protocolType: protocolType,
            protocols: protocols.map { KafkaClassicGroup.MemberProtocol(name: $0, metadata: metadata) },
            clientID: clientID
        )
    }

    mutating func makeToken() -> KafkaGroupRequestToken {
        nextToken += 1
        let token = KafkaGroupRequestToken(nextToken)
        issued.append(token)
        return token
    }

    mutating func record(_ outputs: [KafkaClassicGroupOutput]) {
        for output in outputs {
            if answers[output.token] != nil { answeredTwice.append(output.token) }
            answers[output.token] = output
        }
    }

    /// Sends a JoinGroup; returns its token.
    @discardableResult
    mutating func join(_ request: KafkaClassicGroup.JoinRequest) -> KafkaGroupRequestToken {
        let token = makeToken()
        record(group.join(request, token: token, now: now))
        return token
    }

    /// Sends a SyncGroup; returns its token.
    @discardableResult
    mutating func sync(
        memberID: String,
        generation: Int32,
        instance: String? = nil,
        assignments: [String: [UInt8]] = [:]
    ) -> KafkaGroupRequestToken {
        let token = makeToken()
        let request = KafkaClassicGroup.SyncRequest(
            groupID: "g",
            generationID: generation,
            memberID: memberID,
            groupInstanceID: instance,
            assignments: assignments.sorted { $0.key < $1.key }.map {
                KafkaClassicGroup.SyncRequest.Assignment(memberID: $0.key, assignment: $0.value)
            }
        )
        record(group.sync(request, token: token, now: now))
        return token
    }

    mutating func heartbeat(memberID: String, generation: Int32, instance: String? = nil) -> KafkaGroupErrorCode {
        let result = group.heartbeat(
            KafkaClassicGroup.HeartbeatRequest(
                groupID: "g",
                generationID: generation,
                memberID: memberID,
                groupInstanceID: instance
            ),
            now: now
        )
        record(result.outputs)
        return result.errorCode
    }

    mutating func leave(_ members: [KafkaClassicGroup.LeaveRequest.Member]) -> KafkaClassicGroup.LeaveResponse {
        let result = group.leave(KafkaClassicGroup.LeaveRequest(groupID: "g", members: members), now: now)
        record(result.outputs)
        return result.response
    }

    mutating func commit(memberID: String, generation: Int32, instance: String? = nil) -> KafkaOffsetCommitDecision {
        let result = group.validateOffsetCommit(
            memberID: memberID,
            groupInstanceID: instance,
            generationID: generation,
            now: now
        )
        record(result.outputs)
        return result.decision
    }

    /// Moves the clock forward and ticks.
    mutating func advance(by milliseconds: Int64) {
        now += milliseconds
        record(group.tick(now: now))
    }

    /// Sends a JoinGroup and returns its answer if it came at once.
    mutating func joinNow(_ request: KafkaClassicGroup.JoinRequest) -> KafkaClassicGroup.JoinResponse? {
        let token = join(request)
        return joinAnswer(token)
    }

    /// Sends a SyncGroup and returns its answer if it came at once.
    mutating func syncNow(
        memberID: String,
        generation: Int32,
        instance: String? = nil
    ) -> KafkaClassicGroup.SyncResponse? {
        let token = sync(memberID: memberID, generation: generation, instance: instance)
        return syncAnswer(token)
    }

    /// Completes an initial rebalance that several members joined at once: its delay, extended once.
    mutating func completeInitialJoin() {
        advance(by: Int64(group.configuration.initialRebalanceDelayMilliseconds))
        advance(by: Int64(group.configuration.initialRebalanceDelayMilliseconds))
    }

    func joinAnswer(_ token: KafkaGroupRequestToken) -> KafkaClassicGroup.JoinResponse? {
        if case .respondJoin(_, let response) = answers[token] { return response }
        return nil
    }

    func syncAnswer(_ token: KafkaGroupRequestToken) -> KafkaClassicGroup.SyncResponse? {
        if case .respondSync(_, let response) = answers[token] { return response }
        return nil
    }

    /// A v5 dynamic member's first round trip: `MEMBER_ID_REQUIRED` with its id, then the join with it (parked or
    /// answered). Returns the member id and the second join's token.
    mutating func joinNewMember(
        protocols: [String] = ["range"],
        session: Int32 = 10_000,
        rebalance: Int32 = 30_000
    ) -> (memberID: String, token: KafkaGroupRequestToken) {
        let first = join(Self.request(session: session, rebalance: rebalance, protocols: protocols))
        let required = joinAnswer(first)
        #expect(required?.errorCode == .memberIDRequired)
        let memberID = required?.memberID ?? ""
        #expect(!memberID.isEmpty)
        let token = join(
            Self.request(memberID: memberID, session: session, rebalance: rebalance, protocols: protocols)
        )
        return (memberID, token)
    }

    /// Two members join an empty group and the initial delay passes; returns (leader, follower) in generation 1,
    /// CompletingRebalance.
    mutating func twoMembersJoined() -> (leader: String, follower: String) {
        let first = joinNewMember()
        let second = joinNewMember()
        completeInitialJoin()
        #expect(group.state == .completingRebalance)
        #expect(joinAnswer(first.token)?.errorCode == KafkaGroupErrorCode.noError)
        #expect(joinAnswer(second.token)?.errorCode == KafkaGroupErrorCode.noError)
        return (first.memberID, second.memberID)
    }

    /// Two members joined, the leader assigned `[1]` and `[2]`, both synced: Stable, generation 1.
    mutating func stableGroupOfTwo() -> (leader: String, follower: String) {
        let (leader, follower) = twoMembersJoined()
        sync(memberID: follower, generation: 1)
        sync(memberID: leader, generation: 1, assignments: [leader: [1], follower: [2]])
        #expect(group.state == .stable)
        return (leader, follower)
    }
}
