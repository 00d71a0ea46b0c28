import NIOCore

/// The classic group coordinator at work: every Kafka classic group of the broker
/// (``KafkaClassicGroups``, a pure state machine) confined to one event loop, with the loop's timer
/// driving its deadlines and each request answered through a future, however long the state
/// machine parks it (a join waits for the other members, a sync for the leader's assignment).
///
/// Answers for a connection that has closed meanwhile are produced anyway; the listener drops
/// them. ``shutdown()`` answers every parked request (`NOT_COORDINATOR`) so none hangs.
public final class KafkaGroupCoordinator: @unchecked Sendable {
    /// The loop that owns the groups; every method hops there.
    public let loop: any EventLoop
    private let clock: @Sendable () -> Int64

    // Loop-confined state.
    private var groups: KafkaClassicGroups
    private var nextToken: UInt64 = 0
    private var joins: [KafkaGroupRequestToken: EventLoopPromise<KafkaClassicGroup.JoinResponse>] = [:]
    private var syncs: [KafkaGroupRequestToken: EventLoopPromise<KafkaClassicGroup.SyncResponse>] = [:]
    private var timer: Scheduled<Void>?
    private var timerDeadline: Int64?
    private var isShutDown = false

    /// A coordinator on `loop`.
    /// - Parameters:
    ///   - configuration: the groups' timeouts and limits.
    ///   - clock: wall-clock milliseconds (the state machine's time; tests pass their own).
    public init(
        loop: any EventLoop,
        configuration: KafkaClassicGroupConfiguration = KafkaClassicGroupConfiguration(),
        memberIDGenerator: KafkaMemberIDGenerator = .system,
        clock: @escaping @Sendable () -> Int64
    ) {
        self.loop = loop
        self.clock = clock
        self.groups = KafkaClassicGroups(configuration: configuration, memberIDGenerator: memberIDGenerator)
    }

    /// Handles a JoinGroup; the future completes when the state machine answers it.
    public func join(_ request: KafkaClassicGroup.JoinRequest) -> EventLoopFuture<KafkaClassicGroup.JoinResponse> {
        loop.flatSubmit {
            let promise = self.loop.makePromise(of: KafkaClassicGroup.JoinResponse.self)
            guard !self.isShutDown else {
                promise.succeed(.failure(.notCoordinator, memberID: request.memberID))
                return promise.futureResult
            }
            let token = self.newToken()
            self.joins[token] = promise
            self.deliver(self.groups.join(request, token: token, now: self.clock()))
            return promise.futureResult
        }
    }

    /// Handles a SyncGroup; the future completes when the state machine answers it.
    public func sync(_ request: KafkaClassicGroup.SyncRequest) -> EventLoopFuture<KafkaClassicGroup.SyncResponse> {
        loop.flatSubmit {
            let promise = self.loop.makePromise(of: KafkaClassicGroup.SyncResponse.self)
            guard !self.isShutDown else {
                promise.succeed(.failure(.notCoordinator))
                return promise.futureResult
            }
            let token = self.newToken()
            self.syncs[token] = promise
            self.deliver(self.groups.sync(request, token: token, now: self.clock()))
            return promise.futureResult
        }
    }

    /// Handles a Heartbeat.
    public func heartbeat(_ request: KafkaClassicGroup.HeartbeatRequest) -> EventLoopFuture<KafkaGroupErrorCode> {
        loop.submit {
            guard !self.isShutDown else { return .notCoordinator }
            let (errorCode, outputs) = self.groups.heartbeat(request, now: self.clock())
            self.deliver(outputs)
            return errorCode
        }
    }

    /// Handles a LeaveGroup.
    public func leave(_ request: KafkaClassicGroup.LeaveRequest) -> EventLoopFuture<KafkaClassicGroup.LeaveResponse> {
        loop.submit {
            guard !self.isShutDown else {
                return KafkaClassicGroup.LeaveResponse(errorCode: .notCoordinator, members: [])
            }
            let (response, outputs) = self.groups.leave(request, now: self.clock())
            self.deliver(outputs)
            return response
        }
    }

    /// Decides whether an OffsetCommit from this member and generation may be stored.
    public func validateOffsetCommit(
        groupID: String,
        memberID: String,
        groupInstanceID: String?,
        generationID: Int32
    ) -> EventLoopFuture<KafkaOffsetCommitDecision> {
        loop.submit {
            guard !self.isShutDown else { return .reject(.notCoordinator) }
            let (decision, outputs) = self.groups.validateOffsetCommit(
                groupID: groupID,
                memberID: memberID,
                groupInstanceID: groupInstanceID,
                generationID: generationID,
                now: self.clock()
            )
            self.deliver(outputs)
            return decision
        }
    }

    /// A group's members and state, `nil` if the coordinator does not hold it.
    public func describe(groupID: String) -> EventLoopFuture<KafkaClassicGroupDescription?> {
        loop.submit { self.groups.describe(groupID: groupID) }
    }

    /// The ids of the groups held.
    public var groupIDs: EventLoopFuture<[String]> { loop.submit { self.groups.groupIDs } }

    /// Deletes an empty group (`NON_EMPTY_GROUP` if it has members).
    public func delete(groupID: String) -> EventLoopFuture<KafkaGroupErrorCode> {
        loop.submit { self.groups.delete(groupID: groupID, now: self.clock()) }
    }

    /// Unloads every group: parked joins and syncs are answered `NOT_COORDINATOR`, later requests
    /// too. Clients find the coordinator again and rejoin (after a restart, from generation 0).
    public func shutdown() -> EventLoopFuture<Void> {
        loop.submit {
            guard !self.isShutDown else { return }
            self.isShutDown = true
            self.timer?.cancel()
            self.timer = nil
            self.deliver(self.groups.shutdown(now: self.clock()))
            // Anything the state machine did not answer (it answers all) must not hang.
            for promise in self.joins.values { promise.succeed(.failure(.notCoordinator, memberID: "")) }
            for promise in self.syncs.values { promise.succeed(.failure(.notCoordinator)) }
            self.joins.removeAll()
            self.syncs.removeAll()
        }
    }

    // MARK: On the loop

    private func newToken() -> KafkaGroupRequestToken {
        nextToken += 1
        return KafkaGroupRequestToken(nextToken)
    }

    /// Completes the futures of the answers and re-arms the timer for the next deadline.
    private func deliver(_ outputs: [KafkaClassicGroupOutput]) {
        for output in outputs {
            switch output {
            case .respondJoin(let token, let response):
                joins.removeValue(forKey: token)?.succeed(response)
            case .respondSync(let token, let response):
                syncs.removeValue(forKey: token)?.succeed(response)
            }
        }
        armTimer()
    }

    private func armTimer() {
        guard !isShutDown, let deadline = groups.nextDeadline() else {
            timer?.cancel()
            timer = nil
            timerDeadline = nil
            return
        }
        if timer != nil, timerDeadline == deadline { return }
        timer?.cancel()
        timerDeadline = deadline
        let delay = max(0, deadline - clock())
        timer = loop.scheduleTask(in: .milliseconds(delay)) {
            self.timer = nil
            self.timerDeadline = nil
            self.deliver(self.groups.tick(now: self.clock()))
        }
    }
}
