import BrokerClient
import BrokerProtocol
import Foundation
import Testing

@testable import Broker

/// A consumer group run across a restart of the real `brokerd` (SIGTERM, then `kill -9`) on the
/// same data directory. 2,000 keyed messages on 4 partitions; the member, speaking the wire
/// protocol, records for every message its deliveries and which acks were answered, so the checks
/// after the restart are exact (docs/DURABILITY.md, "Consumer-group state"):
///
/// - a message whose ack was answered is never delivered again;
/// - every other message is delivered again, except (after `kill -9` only) one whose ack was sent
///   but not answered, which may or may not come back;
/// - delivery counts are kept: each message comes back with the deliveries it had plus one (a
///   message nacked twice arrives with 3; one in flight at the stop with 2);
/// - nothing is lost: at the end every partition's committed offset is its end.
@Suite(.serialized) struct GroupRestartTests {
    static let total = 2_000
    static let keys = 500
    /// Deliveries the member takes before the stop: fewer than the run could use, so that the
    /// member ends the first half with no credits, every delivery received.
    static let firstHalfDeliveries = 1_200
    /// A long ack timeout: no delivery fails by timing out, however slow the machine.
    static let settings = RequestedGroupSettings(
        ackTimeoutMilliseconds: 600_000,
        backoffInitialMilliseconds: 0,
        backoffMaxMilliseconds: 0
    )

    /// What the member does with message `job i` (all messages of one key share `i % 10`, as
    /// there are 500 keys): class 0 is held in flight over the stop, class 5 is nacked twice
    /// (the second time with a 10-minute delay, so it waits over the stop), classes 1 and 2 are
    /// acknowledged late (after `kill -9`: in a burst the kill cuts short), the others at once.
    enum Plan {
        case hold, nackTwice, ackLate, ack

        init(_ index: Int, lateAcks: Bool) {
            switch index % 10 {
            case 0: self = .hold
            case 5: self = .nackTwice
            case 1, 2: self = lateAcks ? .ackLate : .ack
            default: self = .ack
            }
        }
    }

    @Test("SIGTERM of brokerd mid-run: nothing acknowledged comes back, nothing is lost, delivery counts kept")
    func sigterm() async throws {
        try await Self.run(stopSignal: SIGTERM)
    }

    @Test("kill -9 of brokerd mid-run: only unanswered acks may come back, nothing is lost, delivery counts kept")
    func sigkill() async throws {
        try await Self.run(stopSignal: SIGKILL)
    }

    static func index(_ delivered: RawMember.Delivered) throws -> Int {
        try #require(delivered.value.flatMap { Int($0.dropFirst("job ".count)) }, "value \(delivered)")
    }

    static func run(stopSignal: Int32) async throws {
        let directory = NSTemporaryDirectory() + "sluice-group-restart-e2e-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let lateAcks = stopSignal == SIGKILL
        let first = try await BrokerdChild(dataDirectory: directory)
        try await produceJobs(port: first.port, topic: "jobs", partitions: 4, count: total, keys: keys)

        // The first half: deliveries under credits granted as messages are handled, up to 1,200.
        var maxCount: [String: Int32] = [:]  // "partition/offset" → highest delivery count seen
        var indexOf: [String: Int] = [:]
        var answered: Set<String> = []  // acks answered without error
        var sentUnanswered: Set<String> = []  // acks sent, no answer seen before the kill
        var nackedTwice: Set<String> = []
        var late: [RawMember.Delivered] = []
        let member = try await RawMember(port: first.port)
        try await member.subscribe(group: "workers", topics: ["jobs"], settings: settings, credits: 100)
        var granted = 100
        var received = 0
        while received < firstHalfDeliveries {
            let push = try await member.nextPush()
            received += push.count
            var toAck: [RawMember.Delivered] = []
            for delivered in push {
                let id = "\(delivered.partition)/\(delivered.offset)"
                let index = try index(delivered)
                indexOf[id] = index
                #expect(delivered.deliveryCount == (maxCount[id] ?? 0) + 1, "\(id): \(delivered)")
                maxCount[id] = delivered.deliveryCount
                switch Plan(index, lateAcks: lateAcks) {
                case .hold: break
                case .ack: toAck.append(delivered)
                case .ackLate: late.append(delivered)
                case .nackTwice:
                    let first = delivered.deliveryCount == 1
                    let answer = try await member.nack(
                        "jobs",
                        delivered,
                        delay: first ? 0 : 600_000,
                        reason: first ? "first failure" : "second failure"
                    )
                    #expect(answer.entries.allSatisfy { $0.errorCode == .none }, "\(answer)")
                    if !first { nackedTwice.insert(id) }
                }
            }
            if !toAck.isEmpty {
                let answer = try await member.ack("jobs", toAck)
                for entry in answer.entries where entry.errorCode == .none {
                    for delivered in toAck where delivered.partition == entry.partition {
                        answered.insert("\(delivered.partition)/\(delivered.offset)")
                    }
                }
                #expect(answer.entries.allSatisfy { $0.errorCode == .none }, "\(answer)")
            }
            let more = min(push.count, firstHalfDeliveries - granted)
            if more > 0 {
                try await member.credit(UInt32(more))
                granted += more
            }
        }
        #expect(received == firstHalfDeliveries, "no more deliveries than credits")
        #expect(nackedTwice.count >= 10, "enough messages were nacked twice before the stop: \(nackedTwice.count)")

        if stopSignal == SIGKILL {
            // A burst of acks, one request each, without waiting; the kill comes when about a third
            // of them are answered, so some are answered, some written but not answered, some not
            // even read by the broker.
            #expect(late.count >= 30, "late acks: \(late.count)")
            var correlations: [UInt32: RawMember.Delivered] = [:]
            for (number, delivered) in late.enumerated() {
                let correlation = UInt32(1_000_000 + number)
                correlations[correlation] = delivered
                try await member.connection.send(
                    AckRequest(
                        subscriptionID: member.subscriptionID,
                        entries: [
                            .init(
                                topic: "jobs",
                                partition: delivered.partition,
                                ranges: [delivered.offset...delivered.offset]
                            )
                        ]
                    ),
                    correlationID: correlation
                )
            }
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline,
                member.connection.pendingFrames.filter({ correlations[$0.correlationID] != nil }).count < late.count / 3
            {
                try await Task.sleep(for: .milliseconds(1))
            }
            #expect(try await first.child.stop(signal: SIGKILL) == SIGKILL)
            try await member.connection.waitUntilClosed()
            var answeredLate: Set<String> = []
            for frame in member.connection.pendingFrames {
                guard let delivered = correlations[frame.correlationID] else { continue }
                let answer = try AckResponse.decode(frame.body)
                #expect(frame.errorCode == .none && answer.entries.allSatisfy { $0.errorCode == .none }, "\(answer)")
                answeredLate.insert("\(delivered.partition)/\(delivered.offset)")
            }
            answered.formUnion(answeredLate)
            sentUnanswered = Set(late.map { "\($0.partition)/\($0.offset)" }).subtracting(answeredLate)
            #expect(!answeredLate.isEmpty, "some late acks were answered before the kill")
        } else {
            // Everything received is handled: the broker holds exactly the member's held messages
            // in flight. Then a clean stop.
            let admin = try await TestConnection(port: first.port)
            let described = try await admin.call(DescribeGroupRequest(group: "workers"), as: DescribeGroupResponse.self)
            let held = maxCount.keys.filter { Plan(indexOf[$0]!, lateAcks: false) == .hold }.count
            #expect(described.members.map(\.inFlight) == [Int32(held)], "\(described.members)")
            #expect(try await first.child.stop(signal: SIGTERM) == 0, "\(first.child.standardError)")
        }

        // After the restart: everything still unfinished is delivered, each once, counts kept.
        let second = try await BrokerdChild(dataDirectory: directory)
        defer { second.child.kill() }
        let again = try await RawMember(port: second.port)
        let subscribed = try await again.subscribe(
            group: "workers",
            topics: ["jobs"],
            settings: settings,
            credits: 200
        )
        #expect(!subscribed.created)
        let admin = try await TestConnection(port: second.port)
        var redelivered: [String: Int32] = [:]
        let deadline = Date().addingTimeInterval(120)
        var finished = false
        while !finished {
            guard Date() < deadline else {
                Issue.record("the group did not finish within 120 s after the restart")
                break
            }
            if again.hasPendingPush {
                let push = try await again.nextPush()
                for delivered in push {
                    let id = "\(delivered.partition)/\(delivered.offset)"
                    #expect(redelivered[id] == nil, "\(id) delivered twice after the restart")
                    redelivered[id] = delivered.deliveryCount
                    indexOf[id] = try index(delivered)
                }
                let answer = try await again.ack("jobs", push)
                #expect(answer.entries.allSatisfy { $0.errorCode == .none }, "\(answer)")
                try await again.credit(UInt32(push.count))
            } else {
                let described = try await admin.call(
                    DescribeGroupRequest(group: "workers"),
                    as: DescribeGroupResponse.self
                )
                finished = described.partitions.allSatisfy { $0.lag == 0 && $0.unfinished == 0 }
                if !finished { try await Task.sleep(for: .milliseconds(20)) }
            }
        }

        // Exactly what the durability rules allow came back.
        #expect(indexOf.count == total, "every message was delivered: \(indexOf.count)")
        #expect(Set(redelivered.keys).isDisjoint(with: answered), "an answered ack was delivered again")
        let mustComeBack = Set(indexOf.keys).subtracting(answered).subtracting(sentUnanswered)
        #expect(mustComeBack.isSubset(of: Set(redelivered.keys)), "unfinished messages lost over the restart")
        for (id, count) in redelivered {
            #expect(count == (maxCount[id] ?? 0) + 1, "\(id) came back with count \(count), seen \(maxCount[id] ?? 0)")
        }
        for id in nackedTwice {
            #expect(redelivered[id] == 3, "\(id), nacked twice, came back as \(redelivered[id] ?? 0)")
        }
        let held = maxCount.keys.filter { Plan(indexOf[$0]!, lateAcks: lateAcks) == .hold }
        #expect(!held.isEmpty)
        for id in held {
            #expect(redelivered[id] == 2, "\(id), in flight at the stop, came back as \(redelivered[id] ?? 0)")
        }
        if stopSignal == SIGTERM { #expect(sentUnanswered.isEmpty) }
        let described = try await admin.call(DescribeGroupRequest(group: "workers"), as: DescribeGroupResponse.self)
        #expect(described.partitions.reduce(0) { $0 + $1.committedOffset } == Int64(total))
        #expect(described.partitions.allSatisfy { $0.deadLettered == 0 })
    }
}
