import BrokerClient
import BrokerProtocol
import Foundation
import Testing

/// A restart of the real `brokerd` (`kill -9`) after the group state log has written a checkpoint
/// (more than `snapshotEveryEvents`, 10,000, changes: each of 12,000 messages acknowledged by its
/// own request): the state restored from the checkpoint and the changes after it holds every
/// answered ack (none of those messages comes back) and the delivery and failure counts (a message
/// nacked once before the kill is dead-lettered at its second failure after it, with
/// `maxDeliveries` 2).
@Suite(.serialized) struct GroupCheckpointRestartTests {
    static let total = 12_000

    enum Plan {
        case hold, nack, ack

        init(_ offset: Int64) {
            switch offset % 100 {
            case 7: self = .hold
            case 53: self = .nack
            default: self = .ack
            }
        }
    }

    @Test("kill -9 after a group-state checkpoint: answered acks stay, delivery and failure counts kept")
    func restartThroughACheckpoint() async throws {
        let directory = NSTemporaryDirectory() + "sluice-group-checkpoint-restart-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try await BrokerdChild(dataDirectory: directory)
        try await produceJobs(port: first.port, topic: "jobs", partitions: 2, count: Self.total, keys: Self.total)
        let settings = RequestedGroupSettings(ackTimeoutMilliseconds: 600_000, maxDeliveries: 2)
        let member = try await BulkGroupMember(port: first.port)
        try await member.subscribe(group: "workers", topics: ["jobs"], settings: settings, credits: UInt32(Self.total))

        // Every delivery is settled by its own request, pipelined; answers are collected as they come.
        var waiting: [UInt32: (id: String, plan: Plan)] = [:]
        var answeredAcks: Set<String> = []
        var nacked: Set<String> = []
        var held: Set<String> = []
        var delivered = 0
        let deadline = Date().addingTimeInterval(120)
        while answeredAcks.count + nacked.count + held.count < Self.total {
            guard Date() < deadline else {
                throw TestFailure("not settled within 120 s: \(answeredAcks.count) acks answered")
            }
            let deliveries = try member.takeDeliveries()
            for delivery in deliveries {
                delivered += 1
                #expect(delivery.deliveryCount == 1, "\(delivery)")
                let id = "\(delivery.partition)/\(delivery.offset)"
                let plan = Plan(delivery.offset)
                switch plan {
                case .hold:
                    held.insert(id)
                case .ack:
                    let correlation = member.write(
                        AckRequest(
                            subscriptionID: member.subscriptionID,
                            entries: [
                                .init(
                                    topic: "jobs",
                                    partition: delivery.partition,
                                    ranges: [delivery.offset...delivery.offset]
                                )
                            ]
                        )
                    )
                    waiting[correlation] = (id, plan)
                case .nack:
                    let correlation = member.write(
                        NackRequest(
                            subscriptionID: member.subscriptionID,
                            entries: [
                                .init(
                                    topic: "jobs",
                                    partition: delivery.partition,
                                    offset: delivery.offset,
                                    delayMilliseconds: 600_000,
                                    reason: "later"
                                )
                            ]
                        )
                    )
                    waiting[correlation] = (id, plan)
                }
            }
            member.flush()
            let answers = member.takeAnswers(waiting.keys)
            for (correlation, frame) in answers {
                guard let (id, plan) = waiting.removeValue(forKey: correlation) else { continue }
                #expect(frame.errorCode == .none, "\(frame.errorMessage ?? "")")
                let entries = try AckResponse.decode(frame.body).entries  // nack's answer has the same form
                #expect(entries.allSatisfy { $0.errorCode == .none }, "\(id): \(entries)")
                if plan == .ack { answeredAcks.insert(id) } else { nacked.insert(id) }
            }
            if deliveries.isEmpty && answers.isEmpty { try await Task.sleep(for: .milliseconds(1)) }
        }
        #expect(delivered == Self.total)
        #expect(
            FileManager.default.fileExists(atPath: directory + "/__group_state/checkpoint"),
            "the group state log wrote a checkpoint"
        )
        #expect(try await first.child.stop(signal: SIGKILL) == SIGKILL)

        // After the restart: the held messages come back with count 2 and are acknowledged; the
        // nacked ones come back with count 2 and, nacked again, reach maxDeliveries.
        let second = try await BrokerdChild(dataDirectory: directory)
        defer { second.child.kill() }
        let again = try await RawMember(port: second.port)
        try await again.subscribe(group: "workers", topics: ["jobs"], settings: settings, credits: 1000)
        var back: [String: Int32] = [:]
        while back.count < held.count + nacked.count {
            for delivery in try await again.nextPush() {
                let id = "\(delivery.partition)/\(delivery.offset)"
                #expect(back[id] == nil, "\(id) twice")
                back[id] = delivery.deliveryCount
                if held.contains(id) {
                    _ = try await again.ack("jobs", [delivery])
                } else {
                    #expect(nacked.contains(id), "\(id) came back: its ack was answered before the kill")
                    _ = try await again.nack("jobs", delivery, reason: "still later")
                }
            }
        }
        #expect(Set(back.keys) == held.union(nacked))
        #expect(back.values.allSatisfy { $0 == 2 }, "counts kept through the checkpoint")
        let letters = try await readTopic("dlq.workers.jobs", port: second.port, atLeast: nacked.count)
        let dead = Set(letters.map { "\($0.partition)/\($0.headerString("sluice.dlq.offset") ?? "")" })
        #expect(dead == nacked, "the nacked messages reached maxDeliveries 2 at their second failure")
        #expect(letters.allSatisfy { $0.headerString("sluice.dlq.delivery-count") == "2" })
        let admin = try await TestConnection(port: second.port)
        var lag: Int64 = -1
        for _ in 0..<3000 where lag != 0 {
            let described = try await admin.call(DescribeGroupRequest(group: "workers"), as: DescribeGroupResponse.self)
            lag = described.partitions.reduce(0) { $0 + $1.lag }
            if lag != 0 { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(lag == 0)
        #expect(!again.hasPendingPush, "nothing more was delivered")
    }
}
