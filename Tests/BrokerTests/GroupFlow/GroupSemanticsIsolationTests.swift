import BrokerClient
import BrokerProtocol
import Foundation
import NIOCore
import Testing

@testable import Broker

/// Two groups on one topic stay independent, and a group whose window is full holds no more than
/// its window in the broker, however much the topic holds (docs/GROUPS.md, "The window").
@Suite struct GroupSemanticsIsolationTests {
    private static func describe(_ group: String, _ admin: TestConnection) async throws -> DescribeGroupResponse {
        try await admin.call(DescribeGroupRequest(group: group), as: DescribeGroupResponse.self)
    }

    /// Describes `group` until `condition` holds (bounded: a reject is answered before its dead
    /// letter is written and marked, see `GroupDeadLetterIsolationTests`); the last description.
    private static func describe(
        _ group: String,
        _ admin: TestConnection,
        once condition: (DescribeGroupResponse) -> Bool
    ) async throws -> DescribeGroupResponse {
        var described = try await describe(group, admin)
        for _ in 0..<3000 where !condition(described) {
            try await Task.sleep(for: .milliseconds(20))
            described = try await describe(group, admin)
        }
        return described
    }

    /// Receives `count` deliveries; `handle` settles each.
    private static func take(
        _ count: Int,
        from member: RawMember,
        _ handle: (RawMember.Delivered) async throws -> Void
    ) async throws -> [RawMember.Delivered] {
        var delivered: [RawMember.Delivered] = []
        while delivered.count < count {
            let push = try await member.nextPush()
            for item in push { try await handle(item) }
            delivered += push
        }
        return delivered
    }

    @Test("two groups on one topic: own deliveries, dead letters, committed offsets; reset and delete of one")
    func twoGroupsAreIndependent() async throws {
        try await withBroker { server, port in
            try await produceJobs(port: port, topic: "jobs", partitions: 2, count: 40, keys: 40)
            let admin = try await TestConnection(port: port)
            // A acknowledges everything.
            let memberA = try await RawMember(port: port)
            try await memberA.subscribe(group: "A", topics: ["jobs"], credits: 1000)
            let seenA = try await Self.take(40, from: memberA) { item in
                let answer = try await memberA.ack("jobs", [item])
                #expect(answer.entries.allSatisfy { $0.errorCode == .none })
            }
            #expect(Set(seenA.compactMap(\.value)).count == 40 && seenA.allSatisfy { $0.deliveryCount == 1 })
            // B takes half, rejecting every fifth job, acknowledging the others.
            let memberB = try await RawMember(port: port)
            try await memberB.subscribe(group: "B", topics: ["jobs"], credits: 20)
            var rejected: Set<String> = []
            let settleB: (RawMember.Delivered) async throws -> Void = { item in
                let index = Int(item.value?.dropFirst("job ".count) ?? "") ?? -1
                if index % 5 == 0 {
                    let answer = try await memberB.reject("jobs", item, reason: "B refuses \(index)")
                    #expect(answer.entries.allSatisfy { $0.errorCode == .none })
                    rejected.insert(item.value ?? "")
                } else {
                    let answer = try await memberB.ack("jobs", [item])
                    #expect(answer.entries.allSatisfy { $0.errorCode == .none })
                }
            }
            var seenB = try await Self.take(20, from: memberB, settleB)
            let halfway = try await Self.describe("B", admin) {
                $0.partitions.reduce(0) { $0 + $1.deadLettered } == Int64(rejected.count)
            }
            let describedA = try await Self.describe("A", admin)
            #expect(describedA.partitions.map(\.committedOffset) == describedA.partitions.map(\.logEndOffset))
            #expect(describedA.partitions.allSatisfy { $0.deadLettered == 0 && $0.unfinished == 0 })
            #expect(halfway.partitions.reduce(0) { $0 + $1.committedOffset } <= 20, "\(halfway.partitions)")
            #expect(halfway.partitions.reduce(0) { $0 + $1.lag } >= 20)
            #expect(halfway.partitions.reduce(0) { $0 + $1.deadLettered } == Int64(rejected.count))
            // B finishes.
            try await memberB.credit(100)
            seenB += try await Self.take(20, from: memberB, settleB)
            #expect(Set(seenB.compactMap(\.value)).count == 40)
            #expect(rejected.count == 8)
            let letters = try await readTopic("dlq.B.jobs", port: port, server: server, atLeast: 8)
            #expect(Set(letters.compactMap(\.valueString)) == rejected)
            #expect(server.topicRegistry?.topic(named: "dlq.A.jobs") == nil, "A dead-lettered nothing")
            let doneB = try await Self.describe("B", admin) {
                $0.partitions.map(\.committedOffset) == $0.partitions.map(\.logEndOffset)
            }
            #expect(doneB.partitions.map(\.committedOffset) == doneB.partitions.map(\.logEndOffset))
            #expect(doneB.partitions.reduce(0) { $0 + $1.deadLettered } == 8)
            #expect(try await Self.describe("A", admin).partitions == describedA.partitions, "B moved nothing of A")

            // B leaves and is reset to the start: A keeps its offsets and gets nothing again.
            _ = try await memberB.connection.call(
                LeaveRequest(subscriptionID: memberB.subscriptionID),
                as: LeaveResponse.self
            )
            let reset = try await admin.call(
                ResetGroupRequest(group: "B", topic: "jobs", to: .earliest),
                as: ResetGroupResponse.self
            )
            #expect(reset.partitions.map(\.offset) == [0, 0])
            #expect(try await Self.describe("A", admin).partitions == describedA.partitions, "A's offsets unchanged")
            let againB = try await RawMember(port: port)
            try await againB.subscribe(group: "B", topics: ["jobs"], credits: 1000)
            let replayed = try await Self.take(40, from: againB) { item in
                _ = try await againB.ack("jobs", [item])
            }
            #expect(Set(replayed.compactMap(\.value)).count == 40 && replayed.allSatisfy { $0.deliveryCount == 1 })
            // A leaves and is deleted: B is untouched, and so are B's dead letters.
            _ = try await memberA.connection.call(
                LeaveRequest(subscriptionID: memberA.subscriptionID),
                as: LeaveResponse.self
            )
            #expect(!memberA.hasPendingPush, "A got nothing of B's reset")
            let beforeDelete = try await Self.describe("B", admin)
            _ = try await admin.call(DeleteGroupRequest(group: "A"), as: DeleteGroupResponse.self)
            let groups = try await admin.call(ListGroupsRequest(), as: ListGroupsResponse.self)
            #expect(groups.groups.map(\.group) == ["B"])
            #expect(try await Self.describe("B", admin) == beforeDelete)
            #expect(try await readTopic("dlq.B.jobs", port: port, server: server, atLeast: 8).count == 8)
        }
    }

    @Test("a full window: the broker holds, reads and delivers no more than the window per partition")
    func fullWindowStaysBounded() async throws {
        try await withBroker { server, port in
            let total = 50_000
            try await produceJobs(port: port, topic: "jobs", partitions: 2, count: total, keys: 1000)
            let member = try await RawMember(port: port)
            try await member.subscribe(
                group: "slow",
                topics: ["jobs"],
                settings: RequestedGroupSettings(ackTimeoutMilliseconds: 600_000, maxUnfinishedPerPartition: 10),
                credits: 100_000
            )
            // The member takes deliveries and acknowledges nothing: 10 per partition, then nothing.
            var delivered: [RawMember.Delivered] = []
            while delivered.count < 20 { delivered += try await member.nextPush() }
            #expect(delivered.count == 20)
            try await Task.sleep(for: .milliseconds(300))
            #expect(!member.hasPendingPush, "more than the window was delivered")
            let admin = try await TestConnection(port: port)
            let described = try await Self.describe("slow", admin)
            #expect(described.members.map(\.inFlight) == [20])
            #expect(described.partitions.reduce(0) { $0 + $1.logEndOffset } == Int64(total))
            for partition in described.partitions {
                #expect(partition.unfinished <= 10 && partition.inFlight <= 10, "\(partition)")
            }
            // Inside the broker: each dispatcher tracks the window's 10 messages, has read no further,
            // and the persisted state holds 10 deliveries.
            let runtime = try #require(server.groups?.runtime(named: "slow"))
            let store = try #require(server.groups?.store)
            func checkBounded(readUpTo expected: [Int32: Int64]) async throws {
                let slots = try await runtime.loop.submit {
                    runtime.slots.map { key, slot in
                        DispatchFigures(
                            partition: key.partition,
                            tracked: slot.dispatch.messages.count,
                            ordered: slot.dispatch.offsetOrder.count,
                            ready: slot.dispatch.readyQueue.count,
                            deadlines: slot.dispatch.ackDeadlines.count,
                            inFlight: slot.dispatch.inFlightCount,
                            nextReadOffset: slot.dispatch.nextReadOffset
                        )
                    }
                }.get()
                #expect(slots.count == 2)
                for figures in slots {
                    let partition = figures.partition
                    #expect(figures.tracked == 10, "p\(partition): \(figures)")
                    #expect(figures.ordered <= 10 && figures.ready == 0 && figures.inFlight == 10, "\(figures)")
                    #expect(figures.deadlines <= 2 * 10 + 1, "\(figures)")
                    #expect(figures.nextReadOffset == expected[partition], "p\(partition) read past the window")
                    let state = store.state(of: GroupPartitionID(group: "slow", topic: "jobs", partition: partition))
                    #expect(
                        state?.deliveries.count == 10,
                        "p\(partition): \(String(describing: state?.deliveries.count))"
                    )
                }
            }
            try await checkBounded(readUpTo: [0: 10, 1: 10])
            // Five acknowledged on partition 0: exactly five more come, from partition 0.
            let done = Array(delivered.filter { $0.partition == 0 }.sorted { $0.offset < $1.offset }.prefix(5))
            let answer = try await member.ack("jobs", done)
            #expect(answer.entries.allSatisfy { $0.errorCode == .none })
            var more: [RawMember.Delivered] = []
            while more.count < 5 { more += try await member.nextPush() }
            try await Task.sleep(for: .milliseconds(300))
            #expect(!member.hasPendingPush)
            #expect(more.count == 5 && more.allSatisfy { $0.partition == 0 && $0.offset >= 10 && $0.offset < 15 })
            try await checkBounded(readUpTo: [0: 15, 1: 10])
        }
    }

    @Test(
        "a member that never reads gets nothing more once its connection is unwritable; other members and groups flow"
    )
    func deafMemberStopsGettingDeliveries() async throws {
        try await withBroker { server, port in
            // 2,400 messages of 16 KiB over 3 partitions (38 MiB): more than the socket buffers and
            // the connection's write buffer hold, within the default window (1,000 per partition)
            // and the credits.
            try await BrokerConnection.withConnection(to: BrokerAddress(host: "127.0.0.1", port: port)) {
                connection in
                try await Admin(transport: connection).createTopic("jobs", partitions: 3)
                try await Producer.withProducer(transport: connection) { producer in
                    let value = [UInt8](repeating: 0x61, count: 16 << 10)
                    for index in 0..<2400 {
                        _ = try await producer.enqueue(topic: "jobs", key: "k\(index)", value: value)
                    }
                }
            }
            let deaf = try await RawMember(port: port)
            try await deaf.subscribe(group: "workers", topics: ["jobs"], credits: 0)
            try await deaf.connection.channel.setOption(.autoRead, value: false)
            try await deaf.connection.send(
                CreditRequest(subscriptionID: deaf.subscriptionID, credits: 100_000),
                correlationID: 77
            )
            let runtime = try #require(server.groups?.runtime(named: "workers"))
            @Sendable func inFlight() -> Int { runtime.slots.values.reduce(0) { $0 + $1.dispatch.inFlightCount } }
            var outlet: PushOutlet?
            for _ in 0..<1000 {
                outlet = try await runtime.loop.submit { runtime.members.values.first?.outlet }.get()
                if outlet?.isWritable == false { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(outlet?.isWritable == false, "the connection never filled up")
            let before = try await runtime.loop.submit { inFlight() }.get()
            #expect(before > 0 && before < 2400, "in flight when the connection filled up: \(before)")
            // Many dispatch rounds and some time: nothing more is handed to the member.
            for _ in 0..<200 { try await runtime.loop.submit { runtime.scheduleRound() }.get() }
            try await Task.sleep(for: .milliseconds(300))
            let after = try await runtime.loop.submit { inFlight() }.get()
            let stillUnwritable = try await runtime.loop.submit { outlet?.isWritable == false }.get()
            // The kernel may take a little more off the connection's buffer now and then (it
            // becomes writable for a moment); what must not happen is deliveries going on into a
            // full connection until the window or the topic runs out.
            #expect(after < 2400, "deliveries went on into a full connection: \(before) → \(after)")
            #expect(stillUnwritable, "the member's connection drained without reading")
            let callbacks = try await runtime.loop.submit { outlet?.writableCallbackCount ?? 0 }.get()
            #expect(callbacks <= 1, "one writable callback at a time, not one per round: \(callbacks)")

            // The deaf member holds back neither another member of its group (which gets every
            // message the deaf one does not hold) nor another group on the topic (which gets all).
            let other = try await RawMember(port: port)
            try await other.subscribe(group: "workers", topics: ["jobs"], credits: 100_000)
            let otherGroup = try await RawMember(port: port)
            try await otherGroup.subscribe(group: "auditors", topics: ["jobs"], credits: 100_000)
            var sameGroup: Set<String> = []
            var audited: Set<String> = []
            let deadline = Date().addingTimeInterval(60)
            while sameGroup.count < 2400 - after || audited.count < 2400 {
                guard Date() < deadline else {
                    throw TestFailure("\(sameGroup.count) of \(2400 - after) and \(audited.count) of 2400 within 60 s")
                }
                if other.hasPendingPush {
                    let push = try await other.nextPush()
                    sameGroup.formUnion(push.map { "\($0.partition)/\($0.offset)" })
                    _ = try await other.ack("jobs", push)
                } else if otherGroup.hasPendingPush {
                    let push = try await otherGroup.nextPush()
                    audited.formUnion(push.map { "\($0.partition)/\($0.offset)" })
                    _ = try await otherGroup.ack("jobs", push)
                } else {
                    try await Task.sleep(for: .milliseconds(5))
                }
            }
            #expect(sameGroup.count == 2400 - after && audited.count == 2400)
            #expect(try await runtime.loop.submit { inFlight() }.get() == after, "the deaf member still holds its own")
        }
    }
}

/// What a dispatcher holds, read on its loop.
private struct DispatchFigures: Sendable {
    var partition: Int32
    var tracked: Int
    var ordered: Int
    var ready: Int
    var deadlines: Int
    var inFlight: Int
    var nextReadOffset: Int64
}
