import BrokerClient
import BrokerProtocol
import Foundation
import Testing

/// `kill -9` of the real `brokerd` during redrives (docs/GROUPS.md, "Redrive"; DURABILITY.md,
/// "Consumer-group state"): 240 dead letters are redriven in pieces (`limit`) and acknowledged by a
/// member while the broker is killed at seeded random points: right after a redrive request is
/// sent, or after a random number of the redriven messages' acks were answered, with more acks on
/// the wire. After every restart the member goes on and the next redrive takes up where the last
/// recorded one ended. In the end every dead letter was redriven and acknowledged; a redrive is
/// answered with the count its recorded limit covers; no message whose ack was answered is
/// delivered again; a message delivered twice is one whose ack was not answered before a kill.
@Suite(.serialized) struct RedriveCrashTests {
    static let deadLetters = 240
    static let topic = "orders"
    static let dlq = "dlq.workers.orders"
    /// A long ack timeout: a member acking one by one on a loaded machine must not see its
    /// deliveries time out (a timed-out delivery comes back, which this test would count).
    static let settings = RequestedGroupSettings(ackTimeoutMilliseconds: 600_000)

    /// What the member saw across every round, by dead-letter partition and offset.
    struct Observed {
        var acknowledged: Set<String> = []
        var deliveries: [String: Int] = [:]
        /// Offsets whose ack was sent but not answered when the broker was killed.
        var unanswered: Set<String> = []
        var redriven: Int64 = 0
    }

    @Test(
        "kill -9 during redrives: every dead letter is redriven and acknowledged, answered acks never come back",
        arguments: [11, 12, 13] as [UInt64]
    )
    func redriveOverKills(seed: UInt64) async throws {
        var random = SeededGenerator(seed: seed)
        print("RedriveCrashTests seed \(seed)")
        let directory = NSTemporaryDirectory() + "sluice-redrive-crash-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var broker = try await BrokerdChild(dataDirectory: directory)
        try await Self.makeDeadLetters(port: broker.port)
        var observed = Observed()
        for round in 0..<4 {
            let member = try await RawMember(port: broker.port)
            try await member.subscribe(group: "workers", topics: [Self.topic], settings: Self.settings, credits: 40)
            let admin = try await TestConnection(port: broker.port)
            let limit = Int64.random(in: 30...90, using: &random)
            if Bool.random(using: &random) {
                // Killed while the redrive request is on its way: it may or may not be recorded.
                try await admin.send(
                    RedriveDeadLettersRequest(group: "workers", topic: Self.topic, limit: limit),
                    correlationID: 7
                )
                try await Self.consume(member, &observed, acks: Int.random(in: 0...20, using: &random))
            } else {
                let answer = try await admin.call(
                    RedriveDeadLettersRequest(group: "workers", topic: Self.topic, limit: limit),
                    as: RedriveDeadLettersResponse.self
                )
                #expect(answer.redriven <= limit, "round \(round)")
                observed.redriven += answer.redriven
                try await Self.consume(member, &observed, acks: Int.random(in: 0...60, using: &random))
            }
            #expect(try await broker.child.stop(signal: SIGKILL) == SIGKILL)
            broker = try await BrokerdChild(dataDirectory: directory)
        }
        defer { broker.child.kill() }
        // The last redrive takes whatever no recorded redrive covered; then everything is acked.
        let admin = try await TestConnection(port: broker.port)
        let last = try await admin.call(
            RedriveDeadLettersRequest(group: "workers", topic: Self.topic),
            as: RedriveDeadLettersResponse.self
        )
        let member = try await RawMember(port: broker.port)
        // Credits are not given back by acks: enough for everything left.
        try await member.subscribe(group: "workers", topics: [Self.topic], settings: Self.settings, credits: 1_000)
        // Until the group has finished everything (an ack sent but not answered before a kill
        // may have been recorded: its message is finished without the member knowing).
        let deadline = Date().addingTimeInterval(120)
        var described = try await admin.call(DescribeGroupRequest(group: "workers"), as: DescribeGroupResponse.self)
        while !Self.isFinished(described), Date() < deadline {
            try await Self.consume(member, &observed, acks: .max, pushes: 1, timeoutSeconds: 0.5)
            described = try await admin.call(DescribeGroupRequest(group: "workers"), as: DescribeGroupResponse.self)
        }
        #expect(Self.isFinished(described), "\(described.partitions)")
        let everyLetter = Set(
            try await readTopic(Self.dlq, port: broker.port, atLeast: Self.deadLetters).map {
                "\($0.partition)/\($0.offset)"
            }
        )
        #expect(everyLetter.count == Self.deadLetters, "no dead letter was written again")
        let finished = observed.acknowledged.union(observed.unanswered)
        #expect(
            finished == everyLetter,
            "every dead letter redriven and acknowledged; missing \(everyLetter.subtracting(finished).sorted())"
        )
        #expect(
            observed.redriven + last.redriven <= Int64(Self.deadLetters),
            "answered redrives cover each dead letter once (\(observed.redriven) + \(last.redriven))"
        )
        for (letter, count) in observed.deliveries where count > 1 {
            #expect(
                observed.unanswered.contains(letter),
                "\(letter) delivered \(count) times, its ack never unanswered"
            )
        }
    }

    /// Whether the group has redriven dead-letter partitions and nothing left to deliver anywhere.
    static func isFinished(_ described: DescribeGroupResponse) -> Bool {
        described.partitions.contains { $0.topic == dlq }
            && described.partitions.allSatisfy { $0.lag == 0 && $0.unfinished == 0 }
    }

    /// Produces ``deadLetters`` messages to `orders` (3 partitions) and rejects every one.
    static func makeDeadLetters(port: Int) async throws {
        try await produceJobs(port: port, topic: topic, partitions: 3, count: deadLetters, keys: deadLetters)
        let member = try await RawMember(port: port)
        try await member.subscribe(group: "workers", topics: [topic], settings: settings, credits: 1_000)
        var rejected = 0
        while rejected < deadLetters {
            for delivered in try await member.nextPush() {
                let answer = try await member.reject(topic, delivered, reason: "poison")
                #expect(answer.entries.map(\.errorCode) == [.none])
                rejected += 1
            }
        }
        try await member.connection.channel.close()
    }

    /// Takes redriven deliveries and answers up to `acks` acks one by one; then, if more were
    /// delivered, sends their acks without waiting (the kill that follows finds them on the wire).
    static func consume(
        _ member: RawMember,
        _ observed: inout Observed,
        acks: Int,
        pushes: Int = .max,
        timeoutSeconds: Double = 2
    ) async throws {
        var answered = 0
        var pushesTaken = 0
        while answered < acks, pushesTaken < pushes {
            let delivered: [RawMember.Delivered]
            do {
                delivered = try await member.nextPush(timeoutSeconds: timeoutSeconds)
            } catch {
                return  // nothing (more) redriven for now
            }
            pushesTaken += 1
            for message in delivered {
                let letter = "\(message.partition)/\(message.offset)"
                observed.deliveries[letter, default: 0] += 1
                #expect(!observed.acknowledged.contains(letter), "\(letter): its ack was answered, yet it came back")
                if answered < acks {
                    let answer = try await member.ack(dlq, [message])
                    #expect(answer.entries.map(\.errorCode) == [.none], "\(answer.entries)")
                    observed.acknowledged.insert(letter)
                    answered += 1
                } else {
                    try await member.connection.send(
                        AckRequest(
                            subscriptionID: member.subscriptionID,
                            entries: [
                                .init(
                                    topic: dlq,
                                    partition: message.partition,
                                    ranges: [message.offset...message.offset]
                                )
                            ]
                        ),
                        correlationID: UInt32(500_000 + observed.unanswered.count)
                    )
                    observed.unanswered.insert(letter)
                }
            }
        }
    }
}
