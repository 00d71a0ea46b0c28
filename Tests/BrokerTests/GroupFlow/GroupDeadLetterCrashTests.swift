import BrokerClient
import BrokerProtocol
import Foundation
import Testing

/// `kill -9` of the real `brokerd` while messages reach `maxDeliveries`: the kill comes once the
/// first dead letter is written, so some are written and others not yet. After the restart each
/// message is dead-lettered exactly once (docs/GROUPS.md, "Dead letters": one whose failure was
/// written is dead-lettered again at once, under the same message id, which the broker answers
/// with the first copy's offset if the crash came between writing the dead letter and marking the
/// message; a kill does not land there on purpose, so that path is exercised only by chance).
@Suite(.serialized) struct GroupDeadLetterCrashTests {
    static let poisons = 60

    @Test("kill -9 while 60 messages fail for the last time: each is dead-lettered exactly once after the restart")
    func deadLettersOnceOverKill() async throws {
        let directory = NSTemporaryDirectory() + "sluice-group-dlq-crash-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try await BrokerdChild(dataDirectory: directory)
        try await produceJobs(port: first.port, topic: "jobs", partitions: 3, count: Self.poisons, keys: Self.poisons)
        let settings = RequestedGroupSettings(
            ackTimeoutMilliseconds: 600_000,
            maxDeliveries: 3,
            backoffInitialMilliseconds: 0,
            backoffMaxMilliseconds: 0
        )
        let member = try await RawMember(port: first.port)
        try await member.subscribe(group: "workers", topics: ["jobs"], settings: settings, credits: 1000)
        // Every message fails twice; the third deliveries are collected, then failed in one burst
        // that the kill cuts short.
        var last: [RawMember.Delivered] = []
        while last.count < Self.poisons {
            for delivered in try await member.nextPush() {
                if delivered.deliveryCount < 3 {
                    let answer = try await member.nack("jobs", delivered, reason: "failure \(delivered.deliveryCount)")
                    #expect(answer.entries.allSatisfy { $0.errorCode == .none }, "\(answer)")
                } else {
                    #expect(delivered.deliveryCount == 3)
                    last.append(delivered)
                }
            }
        }
        for (number, delivered) in last.enumerated() {
            try await member.connection.send(
                NackRequest(
                    subscriptionID: member.subscriptionID,
                    entries: [
                        .init(
                            topic: "jobs",
                            partition: delivered.partition,
                            offset: delivered.offset,
                            delayMilliseconds: nil,
                            reason: "failure 3"
                        )
                    ]
                ),
                correlationID: UInt32(1_000_000 + number)
            )
        }
        // Wait (bounded) for the first dead letter to be written, then kill.
        let admin = try await TestConnection(port: first.port)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let topics = try await admin.call(ListTopicsRequest(), as: ListTopicsResponse.self)
            if topics.topics.contains(where: { $0.topic == "dlq.workers.jobs" }) { break }
            try await Task.sleep(for: .milliseconds(1))
        }
        #expect(try await first.child.stop(signal: SIGKILL) == SIGKILL)

        // After the restart, whatever was not failed a third time fails again; every message ends
        // dead-lettered, once.
        let second = try await BrokerdChild(dataDirectory: directory)
        defer { second.child.kill() }
        let again = try await RawMember(port: second.port)
        try await again.subscribe(group: "workers", topics: ["jobs"], settings: settings, credits: 1000)
        let secondAdmin = try await TestConnection(port: second.port)
        var finished = false
        let end = Date().addingTimeInterval(60)
        while !finished {
            guard Date() < end else {
                Issue.record("not finished within 60 s after the restart")
                break
            }
            if again.hasPendingPush {
                for delivered in try await again.nextPush() {
                    #expect(delivered.deliveryCount == 4, "\(delivered): three deliveries were written before the kill")
                    let answer = try await again.nack("jobs", delivered, reason: "after the restart")
                    #expect(answer.entries.allSatisfy { $0.errorCode == .none }, "\(answer)")
                }
            } else {
                let described = try await secondAdmin.call(
                    DescribeGroupRequest(group: "workers"),
                    as: DescribeGroupResponse.self
                )
                finished = described.partitions.allSatisfy { $0.lag == 0 }
                if !finished { try await Task.sleep(for: .milliseconds(20)) }
            }
        }
        let letters = try await readTopic("dlq.workers.jobs", port: second.port, atLeast: Self.poisons)
        let sources = letters.map {
            "\($0.headerString("sluice.dlq.partition") ?? "")/\($0.headerString("sluice.dlq.offset") ?? "")"
        }
        #expect(letters.count == Self.poisons, "\(letters.count) dead letters for \(Self.poisons) messages")
        #expect(Set(sources).count == Self.poisons, "each message dead-lettered once")
        #expect(Set(sources) == Set(last.map { "\($0.partition)/\($0.offset)" }))
        let described = try await secondAdmin.call(
            DescribeGroupRequest(group: "workers"),
            as: DescribeGroupResponse.self
        )
        #expect(
            described.partitions.reduce(0) { $0 + $1.deadLettered } == Int64(Self.poisons),
            "\(described.partitions)"
        )
    }
}
