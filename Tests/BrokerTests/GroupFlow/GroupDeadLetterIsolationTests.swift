import BrokerClient
import BrokerProtocol
import Foundation
import Testing

@testable import Broker

/// A group's dead letters are its own: not another group's that would map to the same
/// `dlq.<group>.<topic>` name (dots are allowed in both names: refused), and a reject is answered
/// once its dead letters exist. `deadLettered` (PROTOCOL.md §5.21) counts what the group's
/// dead-letter partition holds.
@Suite struct GroupDeadLetterIsolationTests {
    /// `deadLettered` is what the group's dead-letter partition holds: the dead-letter topic
    /// outlives a deleted group, and a group created again under the name finds its dead letters
    /// there (and could redrive them).
    @Test("describe counts the dead letters the group's dead-letter partitions hold, also after a re-creation")
    func deadLetterCountIsTheGroupsOwn() async throws {
        try await withBroker { server, port in
            try await produceJobs(port: port, topic: "jobs", partitions: 1, count: 4, keys: 4)
            let member = try await RawMember(port: port)
            try await member.subscribe(group: "B", topics: ["jobs"], credits: 10)
            var push: [RawMember.Delivered] = []
            while push.count < 4 { push += try await member.nextPush() }
            for delivered in push.prefix(2) { _ = try await member.reject("jobs", delivered, reason: "no") }
            _ = try await member.ack("jobs", Array(push.suffix(2)))
            #expect(try await readTopic("dlq.B.jobs", port: port, server: server, atLeast: 2).count == 2)
            let admin = try await TestConnection(port: port)
            let before = try await admin.call(DescribeGroupRequest(group: "B"), as: DescribeGroupResponse.self)
            #expect(before.partitions.map(\.deadLettered) == [2])
            // Deleted (its dead-letter topic stays) and created again: a new group, nothing dead-lettered yet.
            _ = try await member.connection.call(
                LeaveRequest(subscriptionID: member.subscriptionID),
                as: LeaveResponse.self
            )
            _ = try await admin.call(DeleteGroupRequest(group: "B"), as: DeleteGroupResponse.self)
            #expect(server.topicRegistry?.topic(named: "dlq.B.jobs") != nil)
            let fresh = try await RawMember(port: port)
            #expect(try await fresh.subscribe(group: "B", topics: ["jobs"], startAt: .latest).created)
            let after = try await admin.call(DescribeGroupRequest(group: "B"), as: DescribeGroupResponse.self)
            #expect(after.partitions.map(\.deadLettered) == [2], "dlq.B.jobs still holds the two dead letters")
        }
    }

    @Test(
        "two groups whose dead-letter topic names coincide do not share dead letters"
    )
    func coincidingDeadLetterTopicNames() async throws {
        try await withBroker { server, port in
            try await produceJobs(port: port, topic: "z", partitions: 1, count: 1, keys: 1)
            try await produceJobs(port: port, topic: "y.z", partitions: 1, count: 1, keys: 1)
            let first = try await RawMember(port: port)
            try await first.subscribe(group: "x.y", topics: ["z"], credits: 10)
            let one = try await first.nextPush()
            let rejected = try await first.reject("z", one[0], reason: "from group x.y")
            #expect(rejected.entries.allSatisfy { $0.errorCode == .none }, "\(rejected)")
            #expect(try await readTopic("dlq.x.y.z", port: port, server: server, atLeast: 1).count == 1)
            // Group x on topic y.z: refused, or given dead letters of its own.
            let second = try await RawMember(port: port)
            let correlation: UInt32 = 4242
            try await second.connection.send(
                SubscribeRequest(
                    group: "x",
                    topics: ["y.z"],
                    startAt: .earliest,
                    settings: RequestedGroupSettings(),
                    initialCredits: 10
                ),
                correlationID: correlation
            )
            let answer = try await second.connection.response(correlation)
            if answer.errorCode == .invalidGroupName {
                #expect(answer.errorMessage?.contains("dlq.x.y.z") == true, "\(answer.errorMessage ?? "")")
                return
            }
            #expect(answer.errorCode == .none, "\(answer.errorMessage ?? "")")
            let admin = try await TestConnection(port: port)
            let described = try await admin.call(DescribeGroupRequest(group: "x"), as: DescribeGroupResponse.self)
            #expect(described.partitions.map(\.deadLettered) == [0], "group x has dead-lettered nothing")
        }
    }

    @Test(
        "a reject is answered once its dead letters are written and the messages finished"
    )
    func rejectIsAnsweredAfterTheDeadLetters() async throws {
        try await withBroker { server, port in
            try await produceJobs(port: port, topic: "jobs", partitions: 1, count: 50, keys: 50)
            let member = try await RawMember(port: port)
            try await member.subscribe(group: "billing", topics: ["jobs"], credits: 100)
            var push: [RawMember.Delivered] = []
            while push.count < 50 { push += try await member.nextPush() }
            let answer = try await member.connection.call(
                RejectRequest(
                    subscriptionID: member.subscriptionID,
                    entries: push.map { .init(topic: "jobs", partition: 0, offset: $0.offset, reason: "bad") }
                ),
                as: RejectResponse.self,
                correlationID: 9000
            )
            #expect(answer.entries.count == 50 && answer.entries.allSatisfy { $0.errorCode == .none })
            // At the answer: every dead letter is there and every message finished.
            #expect(server.topicRegistry?.topic(named: "dlq.billing.jobs") != nil, "no dead-letter topic yet")
            let admin = try await TestConnection(port: port)
            let described = try await admin.call(
                DescribeGroupRequest(group: "billing"),
                as: DescribeGroupResponse.self
            )
            #expect(described.partitions.map(\.deadLettered) == [50], "dead letters written at the answer")
            #expect(described.partitions.map(\.committedOffset) == [50], "messages finished at the answer")
        }
    }
}
