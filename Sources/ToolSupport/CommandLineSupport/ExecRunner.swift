import BrokerClient

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs the `consumer --exec` command for a group member's messages, at most `concurrency` at
/// once, and settles each by the way its handler ended (``ExecOutcome``). While a handler runs
/// longer than half the group's ack timeout, its delivery is extended every half ack timeout, so
/// that a long job is not delivered again while it still runs. A failed delivery, a rejected
/// message, or a settlement the broker refused is named in one line on standard error.
actor ExecRunner {
    /// What the runner needs of the group (its ack timeout and max deliveries), looked up once.
    struct GroupFacts: Sendable {
        var ackTimeout: Duration
        var maxDeliveries: Int?
    }

    /// How often a running handler's delivery is extended when the group cannot be described.
    static let fallbackExtendInterval = Duration.seconds(1)
    /// How long handlers sent SIGTERM because the connection was lost have before SIGKILL.
    static let terminationGrace = Duration.seconds(10)

    private let command: String
    private let group: String
    private let concurrency: Int
    private let admin: Admin
    private let inheritedEnvironment: [[UInt8]]
    private var facts: GroupFacts?
    private var running: [Int: ExecProcess] = [:]
    private var busySlots = 0
    private var nextID = 0
    private var slotWaiters: [CheckedContinuation<Void, Never>] = []
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []
    /// Set once the consumer gives up its running handlers: they are signalled and not settled.
    private var isAbandoned = false
    /// Messages settled (acknowledged, rejected or nacked).
    private(set) var settled = 0

    /// A runner for `group`, which `admin` describes (once, at the first message) for its ack
    /// timeout.
    init(command: String, group: String, concurrency: Int, admin: Admin) {
        precondition(concurrency > 0, "concurrency must be positive")
        self.command = command
        self.group = group
        self.concurrency = concurrency
        self.admin = admin
        self.inheritedEnvironment = ExecEnvironment.inherited()
    }

    /// Waits until fewer than `concurrency` handlers run, and takes the free slot (give it to
    /// ``start(_:)``, or back with ``releaseSlot()``).
    func acquireSlot() async {
        if busySlots < concurrency {
            busySlots += 1
            return
        }
        // The slot is handed over by releaseSlot().
        await withCheckedContinuation { slotWaiters.append($0) }
    }

    /// Gives back a slot taken with ``acquireSlot()``.
    func releaseSlot() {
        if !slotWaiters.isEmpty {
            slotWaiters.removeFirst().resume()
            return
        }
        busySlots -= 1
        if busySlots == 0 {
            for waiter in idleWaiters { waiter.resume() }
            idleWaiters.removeAll()
        }
    }

    /// Runs the command for `message` in the slot taken (returns once it is started).
    func start(_ message: GroupMessage) {
        nextID += 1
        let id = nextID
        Task { await self.handle(message, id: id) }
    }

    /// Waits until no handler runs (and none is being settled).
    func waitUntilIdle() async {
        if busySlots == 0 { return }
        await withCheckedContinuation { idleWaiters.append($0) }
    }

    /// Gives up the running handlers: sends `signal` to each one's process group, and settles none
    /// of them (leaving the group then gives their messages to the group again at once); starts
    /// no more.
    func abandon(signal: Int32) {
        isAbandoned = true
        for process in running.values { process.signalGroup(signal) }
    }

    private func handle(_ message: GroupMessage, id: Int) async {
        defer { releaseSlot() }
        let record = message.record
        let name = "\(record.topic)/\(record.partition)@\(record.offset)"
        let facts = await groupFacts()
        if isAbandoned { return }
        let termination: ExecTermination
        do {
            let environment = ExecEnvironment.entries(
                inheritedEnvironment,
                for: record,
                deliveryCount: message.deliveryCount,
                group: group
            )
            let process = try ExecProcess.start(command: command, environment: environment)
            running[id] = process
            let value = record.value.map { Array($0.readableBytesView) } ?? []
            termination = await withTaskGroup(of: ExecTermination?.self) { tasks in
                tasks.addTask { await process.finish(writing: value) }
                tasks.addTask {
                    await Self.extend(message, every: facts.ackTimeout / 2, name: name)
                    return nil
                }
                // The handler's end; the extensions stop with it.
                while let next = await tasks.next() {
                    if let ended = next {
                        tasks.cancelAll()
                        return ended
                    }
                }
                preconditionFailure("the handler's task ended without its termination")
            }
            running[id] = nil
        } catch {
            termination = .failed(error.description)
        }
        if isAbandoned { return }
        let outcome = ExecOutcome(termination)
        if let reason = outcome.reason {
            StandardOutput.writeError(
                program: "consumer",
                "\(name): \(reason) (\(Self.consequence(outcome, deliveryCount: message.deliveryCount, facts: facts)))"
            )
        }
        do {
            switch outcome {
            case .ack: try await message.ack()
            case .reject(let reason): try await message.reject(reason: reason)
            case .nack(let reason): try await message.nack(reason: reason)
            }
            settled += 1
        } catch {
            let verb =
                switch outcome {
                case .ack: "acknowledge"
                case .reject: "reject"
                case .nack: "nack"
                }
            StandardOutput.writeError(program: "consumer", "\(name): could not \(verb) it: \(Self.message(error))")
        }
    }

    /// What the group does with a message after `outcome`, for the log line.
    static func consequence(_ outcome: ExecOutcome, deliveryCount: Int, facts: GroupFacts) -> String {
        switch outcome {
        case .ack:
            return "acknowledged"
        case .reject:
            return "delivery \(deliveryCount); dead-lettered"
        case .nack:
            guard let maxDeliveries = facts.maxDeliveries else {
                return "delivery \(deliveryCount); delivered again after the group's backoff, or dead-lettered"
            }
            if deliveryCount >= maxDeliveries { return "delivery \(deliveryCount) of \(maxDeliveries); dead-lettered" }
            return "delivery \(deliveryCount) of \(maxDeliveries); delivered again after the group's backoff"
        }
    }

    /// Extends `message`'s delivery every `interval` until cancelled; stops (with a line on
    /// standard error) if the broker refuses.
    private static func extend(_ message: GroupMessage, every interval: Duration, name: String) async {
        let interval = max(interval, .milliseconds(10))
        while true {
            do {
                try await Task.sleep(for: interval)
            } catch {
                return  // Cancelled: the handler ended.
            }
            do {
                try await message.extend()
            } catch {
                if Task.isCancelled { return }
                StandardOutput.writeError(
                    program: "consumer",
                    "\(name): could not extend the delivery (it may be delivered again while its handler runs): "
                        + Self.message(error)
                )
                return
            }
        }
    }

    /// The group's ack timeout and max deliveries, described once; if that fails, deliveries are
    /// extended every ``fallbackExtendInterval``.
    private func groupFacts() async -> GroupFacts {
        if let facts { return facts }
        do {
            let description = try await admin.describeGroup(group)
            let facts = GroupFacts(ackTimeout: description.ackTimeout, maxDeliveries: description.maxDeliveries)
            self.facts = facts
            return facts
        } catch {
            StandardOutput.writeError(
                program: "consumer",
                "cannot describe group \(group) for its ack timeout (\(Self.message(error))); "
                    + "extending running deliveries every \(DurationSyntax.format(Self.fallbackExtendInterval))"
            )
            let facts = GroupFacts(ackTimeout: Self.fallbackExtendInterval * 2, maxDeliveries: nil)
            self.facts = facts
            return facts
        }
    }

    private static func message(_ error: any Error) -> String {
        (error as? ClientError)?.message ?? "\(error)"
    }
}
