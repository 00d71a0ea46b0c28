import ArgumentParser
import BrokerClient
import BrokerProtocol
import Foundation
import NIOCore
import ToolSupport

/// `broker-bench group`: members of a consumer group drain messages produced beforehand,
/// acknowledging each one.
struct GroupBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "group",
        abstract: "Measure a consumer group: members drain --count messages, acknowledging each one.",
        discussion: """
            Creates the topic if missing and the group at the end of the topic (a subscribe with \
            no credits, then a leave), then produces --count messages (acks written, every \
            message its own key, batches of about 128 KiB sent to the partitions in turn; not \
            timed), then starts --consumers group members, each a GroupConsumer on its own \
            connection, which acknowledge every message individually with ack() without waiting \
            for one ack before handling the next message (a member holds at most --prefetch \
            unfinished messages). The throughput is from the first delivery to the last \
            acknowledgement; the latency is per message, from its delivery to the member to the \
            return of its ack() (the acknowledgement is durable then). At the end the benchmark \
            checks that every produced offset was acknowledged (duplicates, that is redeliveries, \
            are counted and reported) and that the group's committed offsets reached the end. \
            With --duration the members stop after that long even if messages remain.
            """
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "The topic; created if missing.")
    var topic: String

    @Option(help: "Partitions of the topic when it is created.")
    var partitions: Int32 = 8

    @Option(help: "Bytes per message value.")
    var messageSize: Int = 100

    @Option(help: "Bytes per message key (0: no key).")
    var keySize: Int = 16

    @Option(help: "Messages to produce and then consume.")
    var count: Int = 1_000_000

    @Option(help: "Stop the members after this long (e.g. 30s) even if messages remain.")
    var duration: String?

    @Option(help: "Group members, each on its own connection.")
    var consumers: Int = 2

    @Option(
        help: "The group; by default a new one, bench-<time>-<pid>. An existing group must have nothing unfinished."
    )
    var group: String?

    @Option(help: "The group's ordering when it is created: key, partition or none.")
    var ordering: String = "key"

    @Option(help: "Unfinished messages a member may hold (its credits).")
    var prefetch: Int = 1000

    @Option(help: "The group's maxUnfinishedPerPartition when it is created (default: the broker's).")
    var maxUnfinished: Int?

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        guard GroupBenchmarkPlan.ordering(ordering) != nil else {
            throw ValidationError("--ordering must be key, partition or none, got \(ordering)")
        }
        if let duration, DurationSyntax.parse(duration) == nil {
            throw ValidationError("--duration must be \(DurationSyntax.expected), got '\(duration)'")
        }
        guard count >= 1 else { throw ValidationError("--count must be at least 1") }
        guard consumers >= 1 else { throw ValidationError("--consumers must be at least 1") }
        guard prefetch >= 1 else { throw ValidationError("--prefetch must be at least 1") }
        guard partitions >= 1 else { throw ValidationError("--partitions must be at least 1") }
        guard messageSize >= 0, keySize >= 0 else { throw ValidationError("sizes must not be negative") }
        if let maxUnfinished, !(1...100_000).contains(maxUnfinished) {
            throw ValidationError("--max-unfinished must be from 1 to 100000, got \(maxUnfinished)")
        }
    }

    var groupName: String {
        group ?? "bench-\(Int(Date().timeIntervalSince1970))-\(ProcessInfo.processInfo.processIdentifier)"
    }

    var settings: RequestedGroupSettings {
        var settings = RequestedGroupSettings()
        settings.ordering = GroupBenchmarkPlan.ordering(ordering)
        settings.maxUnfinishedPerPartition = maxUnfinished.map { Int32($0) }
        return settings
    }

    func run() async throws {
        let address = try connection.address()
        let name = groupName
        let admin = BrokerConnection(address: address)
        defer { Task { await admin.close() } }
        var produce = try NetworkBenchmarkOptions.parse(["--topic", topic])
        produce.partitions = partitions
        produce.messageSize = messageSize
        produce.keySize = keySize
        try await produce.ensureTopic(on: admin)

        // The group starts at the end of the topic: what this run produces, nothing before.
        let start = try await createGroup(name, on: admin)
        note("producing \(count) messages to \(topic) (acks written, not timed)")
        try await Self.produce(count, with: produce, on: admin)
        let ends = try await admin.send(DescribeTopicRequest(topic: topic), as: DescribeTopicResponse.self)
            .partitions
        let plan = GroupBenchmarkPlan(
            ranges: ends.map { end in
                (end.partition, (start[end.partition] ?? end.logEndOffset)..<end.logEndOffset)
            }
        )
        guard plan.total == count else {
            throw ValidationError(
                "topic \(topic) received \(plan.total) messages while \(count) were produced: "
                    + "is another producer writing to it?"
            )
        }
        note("consuming with \(consumers) member(s) of group \(name), prefetch \(prefetch), ordering \(ordering)")
        let tracker = GroupBenchmarkTracker(plan: plan)
        let progress = ProgressPrinter(total: count, enabled: !json)
        let deadline = duration.flatMap(DurationSyntax.parse)
        try await runMembers(group: name, address: address, tracker: tracker, progress: progress, deadline: deadline)

        let outcome = tracker.outcome()
        let described = try await admin.send(DescribeGroupRequest(group: name), as: DescribeGroupResponse.self)
        let behind = described.partitions.filter { $0.topic == topic && $0.lag > 0 }.count
        let result = NetworkResult(
            name: "group ordering=\(ordering) value=\(messageSize)B key=\(keySize)B partitions=\(partitions) "
                + "consumers=\(consumers) prefetch=\(prefetch)",
            messages: outcome.acknowledged,
            bytes: outcome.acknowledged * (messageSize + keySize),
            seconds: outcome.seconds,
            latenciesMilliseconds: outcome.latencies,
            latencyNote: "delivery to ack"
        )
        let check = GroupBenchmarkCheck(
            expected: plan.total,
            acknowledged: outcome.acknowledged,
            redelivered: outcome.duplicates,
            ackErrors: outcome.ackErrors,
            partitionsBehind: behind
        )
        print(json ? String(result.json.dropLast()) + ",\(check.json)}" : result.text + "\n" + check.text)
        if deadline == nil, !check.isComplete {
            throw ValidationError("the group did not acknowledge every message: \(check.text)")
        }
    }

    /// Creates the group at the end of the topic (a subscribe without credits, then a leave) and
    /// returns its committed offset on each partition.
    func createGroup(_ name: String, on admin: BrokerConnection) async throws -> [Int32: Int64] {
        let subscribed = try await admin.send(
            SubscribeRequest(group: name, topics: [topic], startAt: .latest, settings: settings, initialCredits: 0),
            as: SubscribeResponse.self
        )
        _ = try await admin.send(LeaveRequest(subscriptionID: subscribed.subscriptionID), as: LeaveResponse.self)
        let described = try await admin.send(DescribeGroupRequest(group: name), as: DescribeGroupResponse.self)
        let unfinished = described.partitions.reduce(0) { $0 + Int($1.lag) }
        guard unfinished == 0 else {
            throw ValidationError("group \(name) has \(unfinished) unfinished messages: use a new --group")
        }
        return Dictionary(
            described.partitions.filter { $0.topic == topic }.map { ($0.partition, $0.committedOffset) },
            uniquingKeysWith: { first, _ in first }
        )
    }

    /// Produces exactly `count` messages (acks written), every one with its own key, in batches
    /// of about `options.batchBytes` sent to the partitions in turn, 16 requests in flight.
    static func produce(
        _ count: Int,
        with options: NetworkBenchmarkOptions,
        on connection: BrokerConnection
    )
        async throws
    {
        let perBatch = options.recordsPerBatch
        let batches = (count + perBatch - 1) / perBatch
        try await withThrowingTaskGroup(of: Void.self) { window in
            for number in 0..<batches {
                if number >= 16 { try await window.next() }
                let batch = options.makeBatch(count: min(perBatch, count - number * perBatch), sequence: number)
                let request = ProduceRequest(
                    acks: .written,
                    topic: options.topic,
                    partitions: [.init(partition: Int32(number % Int(options.partitions)), records: batch.buffer)]
                )
                window.addTask {
                    let response = try await connection.send(request, as: ProduceResponse.self)
                    if let failure = response.partitions.first(where: { $0.errorCode != .none }) {
                        throw ValidationError("produce failed: \(failure.errorMessage ?? "\(failure.errorCode)")")
                    }
                }
            }
            try await window.waitForAll()
        }
    }

    func runMembers(
        group name: String,
        address: BrokerAddress,
        tracker: GroupBenchmarkTracker,
        progress: ProgressPrinter,
        deadline: Duration?
    ) async throws {
        var configuration = GroupConsumerConfiguration()
        configuration.prefetch = prefetch
        configuration.ordering = GroupBenchmarkPlan.ordering(ordering)
        configuration.maxUnfinishedPerPartition = maxUnfinished
        let connections = (0..<consumers).map { _ in BrokerConnection(address: address) }
        let members = connections.map { connection in
            GroupConsumer(
                connection: connection,
                group: name,
                topics: [topic],
                configuration: configuration
            )
        }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for member in members {
                tasks.addTask { try await Self.drain(member, tracker: tracker, progress: progress) }
            }
            // Waits for the last acknowledgement (or the deadline), then every member leaves.
            await tracker.waitUntilComplete(orAfter: deadline)
            for member in members { try? await member.leave() }
            try await tasks.waitForAll()
        }
        for connection in connections { await connection.close() }
    }

    /// Acknowledges every message `member` receives, each in its own task, until it leaves.
    static func drain(
        _ member: GroupConsumer,
        tracker: GroupBenchmarkTracker,
        progress: ProgressPrinter
    ) async throws {
        let clock = ContinuousClock()
        try await withThrowingDiscardingTaskGroup { acks in
            for try await message in member.messages() {
                let delivered = clock.now
                tracker.delivered(at: delivered)
                acks.addTask {
                    do {
                        try await message.ack()
                        let acknowledged = tracker.acknowledged(
                            partition: message.record.partition,
                            offset: message.record.offset,
                            deliveredAt: delivered,
                            now: clock.now
                        )
                        if acknowledged & 4095 == 0 { progress.add(acknowledged) }
                    } catch {
                        tracker.ackFailed()
                    }
                }
            }
        }
    }

    func note(_ text: String) {
        guard !json else { return }
        FileHandle.standardError.write(Data("broker-bench: \(text)\n".utf8))
    }
}

/// The offsets a run must acknowledge: a range per partition.
struct GroupBenchmarkPlan: Sendable {
    var ranges: [Int32: Range<Int64>]

    init(ranges: [(Int32, Range<Int64>)]) {
        self.ranges = Dictionary(ranges, uniquingKeysWith: { first, _ in first })
    }

    var total: Int { ranges.values.reduce(0) { $0 + $1.count } }

    static func ordering(_ text: String) -> GroupOrdering? {
        switch text {
        case "key": .key
        case "partition": .partition
        case "none": .unordered
        default: nil
        }
    }
}

/// The end-of-run check: every message acknowledged, none lost.
struct GroupBenchmarkCheck {
    var expected: Int
    var acknowledged: Int
    var redelivered: Int
    var ackErrors: Int
    var partitionsBehind: Int

    var isComplete: Bool { acknowledged == expected && partitionsBehind == 0 }

    var text: String {
        "check: \(acknowledged)/\(expected) distinct offsets acknowledged, \(redelivered) redelivered, "
            + "\(ackErrors) failed acks, \(partitionsBehind) partitions behind: "
            + (isComplete ? "complete" : "INCOMPLETE")
    }

    var json: String {
        "\"check\":{\"expected\":\(expected),\"acknowledged\":\(acknowledged),\"redelivered\":\(redelivered),"
            + "\"ack_errors\":\(ackErrors),\"partitions_behind\":\(partitionsBehind),\"complete\":\(isComplete)}"
    }
}
