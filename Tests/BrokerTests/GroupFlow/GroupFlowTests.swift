import BrokerClient
import BrokerProtocol
import Foundation
import Testing

@testable import Broker

/// Consumer groups end to end over the wire: subscribe, deliveries pushed under credits, acks,
/// key ordering, redelivery after a nack or a dropped connection, dead letters on reject, and
/// the committed state across a restart.
@Suite struct GroupFlowTests {
    @Test func everyMessageIsDeliveredOnceInKeyOrderAndAcknowledged() async throws {
        try await withBroker { _, port in
            try await produceJobs(port: port, topic: "jobs", partitions: 2, count: 40, keys: 5)
            let member = try await RawMember(port: port)
            let subscribed = try await member.subscribe(group: "workers", topics: ["jobs"], credits: 1000)
            #expect(subscribed.created && subscribed.settings.ordering == .key)
            var delivered: [RawMember.Delivered] = []
            while delivered.count < 40 {
                let push = try await member.nextPush()
                // Key ordering: nothing in this push shares a key (each was acked before the next
                // of its key could go out), and each key's offsets rise.
                #expect(Set(push.compactMap(\.key)).count == push.count, "two in flight with one key: \(push)")
                delivered += push
                let acked = try await member.ack("jobs", push)
                #expect(acked.entries.allSatisfy { $0.errorCode == .none }, "\(acked)")
            }
            #expect(delivered.count == 40)
            #expect(Set(delivered.map(\.value)).count == 40, "each message once")
            #expect(delivered.allSatisfy { $0.deliveryCount == 1 })
            for key in Set(delivered.compactMap(\.key)) {
                let offsets = delivered.filter { $0.key == key }.map { "\($0.partition)/\($0.offset)" }
                let byPartition = Dictionary(grouping: delivered.filter { $0.key == key }, by: \.partition)
                for (_, items) in byPartition {
                    #expect(items.map(\.offset) == items.map(\.offset).sorted(), "key \(key): \(offsets)")
                }
            }
            // Nothing more comes.
            try await Task.sleep(for: .milliseconds(200))
            #expect(!member.hasPendingPush)
        }
    }

    @Test func aNackedMessageComesBackWithItsDeliveryCountAndADroppedMemberSMessagesGoToAnother() async throws {
        try await withBroker { _, port in
            try await produceJobs(port: port, topic: "jobs", partitions: 1, count: 3, keys: 3)
            let first = try await RawMember(port: port)
            try await first.subscribe(
                group: "workers",
                topics: ["jobs"],
                settings: RequestedGroupSettings(backoffInitialMilliseconds: 0, backoffMaxMilliseconds: 0),
                credits: 10
            )
            var push = try await first.nextPush()
            while push.count < 3 { push += try await first.nextPush() }
            let nacked = try #require(push.first)
            let nackAnswer = try await first.nack("jobs", nacked, reason: "try later")
            #expect(nackAnswer.entries.first?.errorCode == ErrorCode.none)
            let again = try await first.nextPush()
            #expect(again.map(\.offset) == [nacked.offset] && again.first?.deliveryCount == 2)
            // A second member joins; the first one's connection drops with three in flight.
            let second = try await RawMember(port: port)
            try await second.subscribe(group: "workers", topics: ["jobs"], credits: 10)
            first.connection.channel.close(promise: nil)
            var moved: [RawMember.Delivered] = []
            while moved.count < 3 { moved += try await second.nextPush() }
            #expect(Set(moved.map(\.offset)) == Set(push.map(\.offset)))
            #expect(moved.first { $0.offset == nacked.offset }?.deliveryCount == 3)
            #expect(moved.filter { $0.offset != nacked.offset }.allSatisfy { $0.deliveryCount == 2 })
            // An ack from the member that no longer holds the message is refused; its own is accepted.
            let acked = try await second.ack("jobs", moved)
            #expect(acked.entries.allSatisfy { $0.errorCode == .none })
        }
    }

    @Test func aRejectedMessageIsDeadLetteredWithItsHistory() async throws {
        try await withBroker { server, port in try await Self.rejectFlow(server: server, port: port) }
    }

    private static func rejectFlow(server: BrokerServer, port: Int) async throws {
        try await produceJobs(port: port, topic: "jobs", partitions: 1, count: 2, keys: 2)
        let member = try await RawMember(port: port)
        try await member.subscribe(group: "billing", topics: ["jobs"], credits: 10)
        var push = try await member.nextPush()
        while push.count < 2 { push += try await member.nextPush() }
        guard let poison = push.first(where: { $0.value == "job 0" }) else {
            Issue.record("job 0 was not delivered: \(push)")
            return
        }
        let rejectAnswer = try await member.reject("jobs", poison, reason: "cannot parse")
        #expect(rejectAnswer.entries.first?.errorCode == ErrorCode.none)
        let others = push.filter { $0.offset != poison.offset }
        _ = try await member.ack("jobs", others)
        let letters = try await readTopic("dlq.billing.jobs", port: port, server: server, atLeast: 1)
        try #require(letters.count == 1)
        #expect(letters[0].valueString == "job 0")
        #expect(letters[0].headerString("sluice.dlq.reason") == "cannot parse")
        #expect(letters[0].headerString("sluice.dlq.offset") == "\(poison.offset)")
        #expect(letters[0].headerString("sluice.dlq.delivery-count") == "1")
        // It is finished: not delivered again.
        try await Task.sleep(for: .milliseconds(200))
        #expect(!member.hasPendingPush)
    }

    @Test func acknowledgedMessagesAreNotDeliveredAgainAfterARestart() async throws {
        let directory = NSTemporaryDirectory() + "sluice-group-restart-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configuration = BrokerConfiguration(dataDirectory: directory, port: 0)
        var acknowledged: Set<Int64> = []
        try await BrokerServer.withServer(configuration: configuration) { server in
            let port = try #require(server.localPort)
            try await produceJobs(port: port, topic: "jobs", partitions: 1, count: 10, keys: 10)
            let member = try await RawMember(port: port)
            try await member.subscribe(group: "workers", topics: ["jobs"], credits: 6)
            var push: [RawMember.Delivered] = []
            while push.count < 6 { push += try await member.nextPush() }
            let done = push.filter { $0.offset % 2 == 0 }
            _ = try await member.ack("jobs", done)
            acknowledged = Set(done.map(\.offset))
            member.connection.channel.close(promise: nil)
        }
        try await BrokerServer.withServer(configuration: configuration) { server in
            let member = try await RawMember(port: try #require(server.localPort))
            let again = try await member.subscribe(group: "workers", topics: ["jobs"], credits: 100)
            #expect(!again.created)
            var delivered: [RawMember.Delivered] = []
            while delivered.count < 10 - acknowledged.count { delivered += try await member.nextPush() }
            #expect(Set(delivered.map(\.offset)).isDisjoint(with: acknowledged), "acknowledged before the restart")
            #expect(Set(delivered.map(\.offset)).union(acknowledged) == Set(0..<10))
            // The three in flight when the connection dropped were failed deliveries: counts kept.
            #expect(delivered.filter { $0.offset < 6 }.allSatisfy { $0.deliveryCount == 2 })
            #expect(delivered.filter { $0.offset >= 6 }.allSatisfy { $0.deliveryCount == 1 })
        }
    }

    @Test func aCleanBrokerShutdownIsNotAMemberFailure() async throws {
        let directory = NSTemporaryDirectory() + "sluice-group-shutdown-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configuration = BrokerConfiguration(dataDirectory: directory, port: 0)
        // With maxDeliveries 1, one failure dead-letters: a shutdown counted as a failure would
        // dead-letter the message in flight instead of delivering it again.
        let settings = RequestedGroupSettings(maxDeliveries: 1)
        // Held past the first broker's shutdown: the member does not disconnect, the broker does.
        var connected: RawMember?
        try await BrokerServer.withServer(configuration: configuration) { server in
            let port = try #require(server.localPort)
            try await produceJobs(port: port, topic: "jobs", partitions: 1, count: 1, keys: 1)
            let member = try await RawMember(port: port)
            try await member.subscribe(group: "workers", topics: ["jobs"], settings: settings, credits: 1)
            _ = try await member.nextPush()
            connected = member
            // The broker shuts down with the message in flight and the member connected.
        }
        // The broker closed the member's connection (the client sees the close on its own loop).
        try await connected?.connection.waitUntilClosed(timeoutSeconds: 60)
        connected = nil
        try await BrokerServer.withServer(configuration: configuration) { server in
            let member = try await RawMember(port: try #require(server.localPort))
            try await member.subscribe(group: "workers", topics: ["jobs"], settings: settings, credits: 1)
            let again = try await member.nextPush()
            #expect(again.map(\.offset) == [0] && again.first?.deliveryCount == 2)
            #expect(server.topicRegistry?.topic(named: "dlq.workers.jobs") == nil)
        }
    }

    @Test func aGroupIsListedAndDescribedWithItsMembersAndLag() async throws {
        try await withBroker { _, port in
            try await produceJobs(port: port, topic: "jobs", partitions: 2, count: 10, keys: 10)
            let member = try await RawMember(port: port)
            try await member.subscribe(group: "workers", topics: ["jobs"], credits: 3)
            var push: [RawMember.Delivered] = []
            while push.count < 3 { push += try await member.nextPush() }
            _ = try await member.ack("jobs", [push[0]])
            let admin = try await TestConnection(port: port)
            let list = try await admin.call(ListGroupsRequest(), as: ListGroupsResponse.self)
            #expect(list.groups.map(\.group) == ["workers"])
            #expect(list.groups.first?.topics == ["jobs"] && list.groups.first?.members == 1)
            let description = try await admin.call(
                DescribeGroupRequest(group: "workers"),
                as: DescribeGroupResponse.self
            )
            #expect(description.kind == .sluice && description.settings.ordering == .key)
            #expect(description.members.count == 1)
            #expect(description.members.first?.inFlight == 2 && description.members.first?.credits == 0)
            #expect(description.partitions.map(\.partition) == [0, 1])
            #expect(description.partitions.reduce(0) { $0 + $1.logEndOffset } == 10)
            #expect(description.partitions.reduce(0) { $0 + Int($1.inFlight) } == 2)
            for partition in description.partitions {
                #expect(partition.lag == partition.logEndOffset - partition.committedOffset)
                #expect(partition.deadLettered == 0)
            }
            #expect(description.partitions.reduce(0) { $0 + $1.committedOffset } <= 1, "one acknowledged")
            try await admin.send(DescribeGroupRequest(group: "nobody"), correlationID: 7)
            let unknown = try await admin.response(7)
            #expect(unknown.errorCode == .unknownGroup, "\(unknown.errorMessage ?? "")")
        }
    }

    @Test func adminListsAndDescribesGroups() async throws {
        try await withBroker { _, port in
            try await produceJobs(port: port, topic: "jobs", partitions: 1, count: 4, keys: 4)
            let member = try await RawMember(port: port)
            try await member.subscribe(group: "workers", topics: ["jobs"], credits: 2)
            var push: [RawMember.Delivered] = []
            while push.count < 2 { push += try await member.nextPush() }
            let address = BrokerAddress(host: "127.0.0.1", port: port)
            try await BrokerConnection.withConnection(to: address) { connection in
                let admin = Admin(transport: connection)
                let groups = try await admin.listGroups()
                #expect(groups == [GroupSummary(name: "workers", topics: ["jobs"], members: 1)])
                let group = try await admin.describeGroup("workers")
                #expect(group.ordering == "key" && group.maxDeliveries == 5 && group.ackTimeout == .seconds(30))
                #expect(group.members.count == 1 && group.members.first?.inFlight == 2)
                #expect(group.members.first?.id.hasSuffix("#\(member.subscriptionID)") == true)
                #expect(group.partitions.count == 1)
                #expect(group.partitions.first?.logEndOffset == 4 && group.partitions.first?.lag == 4)
                #expect(group.partitions.first?.inFlight == 2)
                await #expect {
                    _ = try await admin.describeGroup("nobody")
                } throws: { ($0 as? ClientError)?.code == .broker(.unknownGroup) }
            }
        }
    }

    @Test func resetAndDeleteAreRefusedWhileMembersAreConnectedAndWorkAfterwards() async throws {
        try await withBroker { _, port in
            try await produceJobs(port: port, topic: "jobs", partitions: 1, count: 5, keys: 5)
            let member = try await RawMember(port: port)
            try await member.subscribe(group: "workers", topics: ["jobs"], credits: 10)
            var push: [RawMember.Delivered] = []
            while push.count < 5 { push += try await member.nextPush() }
            _ = try await member.ack("jobs", push)
            let admin = try await TestConnection(port: port)
            try await admin.send(ResetGroupRequest(group: "workers", topic: "jobs", to: .earliest), correlationID: 1)
            #expect(try await admin.response(1).errorCode == .groupHasMembers)
            try await admin.send(DeleteGroupRequest(group: "workers"), correlationID: 2)
            #expect(try await admin.response(2).errorCode == .groupHasMembers)
            _ = try await member.connection.call(
                LeaveRequest(subscriptionID: member.subscriptionID),
                as: LeaveResponse.self,
                correlationID: 99
            )
            // Back to the start: everything is delivered again to the next member.
            let reset = try await admin.call(
                ResetGroupRequest(group: "workers", topic: "jobs", to: .earliest),
                as: ResetGroupResponse.self
            )
            #expect(reset.partitions.map(\.offset) == [0])
            let again = try await RawMember(port: port)
            let subscribed = try await again.subscribe(group: "workers", topics: ["jobs"], credits: 10)
            #expect(!subscribed.created)
            var redelivered: [RawMember.Delivered] = []
            while redelivered.count < 5 { redelivered += try await again.nextPush() }
            #expect(Set(redelivered.map(\.offset)) == Set(0..<5))
            again.connection.channel.close(promise: nil)
            // Deleted once nobody is connected (bounded wait for the drop to be seen).
            var deleted = false
            for correlation in UInt32(10)..<UInt32(1000) where !deleted {
                try await admin.send(DeleteGroupRequest(group: "workers"), correlationID: correlation)
                let answer = try await admin.response(correlation)
                deleted = answer.errorCode == .none
                if !deleted {
                    #expect(answer.errorCode == .groupHasMembers)
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
            #expect(deleted)
            #expect(try await admin.call(ListGroupsRequest(), as: ListGroupsResponse.self).groups.isEmpty)
            try await admin.send(DescribeGroupRequest(group: "workers"), correlationID: 2000)
            #expect(try await admin.response(2000).errorCode == .unknownGroup)
            // The name can be used again: a new group.
            let fresh = try await RawMember(port: port)
            #expect(try await fresh.subscribe(group: "workers", topics: ["jobs"], startAt: .latest).created)
        }
    }

    @Test func adminResetsAndDeletesAGroup() async throws {
        try await withBroker { _, port in
            try await produceJobs(port: port, topic: "jobs", partitions: 2, count: 6, keys: 6)
            let member = try await RawMember(port: port)
            try await member.subscribe(group: "workers", topics: ["jobs"], startAt: .latest)
            member.connection.channel.close(promise: nil)
            let address = BrokerAddress(host: "127.0.0.1", port: port)
            try await BrokerConnection.withConnection(to: address) { connection in
                let admin = Admin(transport: connection)
                // Wait (bounded) for the dropped member to be gone, then reset and delete.
                var offsets: [Int32: Int64] = [:]
                for _ in 0..<500 where offsets.isEmpty {
                    do {
                        offsets = try await admin.resetGroup("workers", topic: "jobs", to: .offset(1))
                    } catch let error as ClientError where error.code == .broker(.groupHasMembers) {
                        try await Task.sleep(for: .milliseconds(20))
                    }
                }
                #expect(offsets == [0: 1, 1: 1])
                let described = try await admin.describeGroup("workers")
                #expect(described.partitions.map(\.committedOffset) == [1, 1])
                try await admin.deleteGroup("workers")
                #expect(try await admin.listGroups().isEmpty)
            }
        }
    }

    @Test func partitionsAddedToATopicJoinTheGroupAtTheNextSubscribe() async throws {
        try await withBroker { server, port in
            try await produceJobs(port: port, topic: "jobs", partitions: 1, count: 1, keys: 1)
            let first = try await RawMember(port: port)
            try await first.subscribe(group: "workers", topics: ["jobs"], credits: 100)
            _ = try await first.nextPush()
            try await server.topicRegistry!.addPartitions("jobs", to: 3)
            // Records on the new partitions, then a second member joins.
            try await produceJobs(port: port, topic: "jobs", partitions: 3, count: 30, keys: 30)
            let second = try await RawMember(port: port)
            try await second.subscribe(group: "workers", topics: ["jobs"], credits: 100)
            // Deliveries go to either member: read whichever has one (bounded).
            var partitions: Set<Int32> = []
            for _ in 0..<3000 where partitions.count < 3 {
                if first.hasPendingPush {
                    partitions.formUnion(try await first.nextPush().map(\.partition))
                } else if second.hasPendingPush {
                    partitions.formUnion(try await second.nextPush().map(\.partition))
                } else {
                    try await Task.sleep(for: .milliseconds(10))
                }
            }
            #expect(partitions == [0, 1, 2])
        }
    }

    @Test func namedLimitsCreditsAndAckRanges() async throws {
        try await withBroker { _, port in
            try await produceJobs(port: port, topic: "jobs", partitions: 1, count: 1, keys: 1)
            let member = try await RawMember(port: port)
            try await member.subscribe(group: "workers", topics: ["jobs"], credits: 0)
            // Over maxCredits (1,000,000 per member).
            try await member.connection.send(
                CreditRequest(subscriptionID: member.subscriptionID, credits: 2_000_000),
                correlationID: 500
            )
            let credit = try await member.connection.response(500)
            #expect(credit.errorCode == .limitExceeded && credit.errorMessage?.contains("maxCredits") == true)
            // Over maxEntriesPerRequest (4,096) ranges in one ack.
            let ranges = (0..<5000).map { Int64($0 * 2)...Int64($0 * 2) }
            try await member.connection.send(
                AckRequest(
                    subscriptionID: member.subscriptionID,
                    entries: [.init(topic: "jobs", partition: 0, ranges: ranges)]
                ),
                correlationID: 501
            )
            let ack = try await member.connection.response(501)
            #expect(ack.errorCode == .limitExceeded && ack.errorMessage?.contains("maxEntriesPerRequest") == true)
            // An unknown subscription.
            try await member.connection.send(CreditRequest(subscriptionID: 424_242, credits: 1), correlationID: 502)
            #expect(try await member.connection.response(502).errorCode == .unknownSubscription)
        }
    }
}
