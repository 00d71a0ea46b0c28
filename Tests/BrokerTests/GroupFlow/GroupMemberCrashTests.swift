import BrokerClient
import BrokerProtocol
import Foundation
import Testing

@testable import Broker

/// A `consumer --group` process killed with `kill -9` in the middle of its work: the messages it
/// held go to the other member at once, with delivery count 2. The group's ack timeout is ten
/// minutes, so only the dropped connection can explain a redelivery within the test's bounds.
@Suite struct GroupMemberCrashTests {
    static let total = 2_000

    @Test(
        "kill -9 of a consumer --group process: its in-flight messages go to another member at once, count 2",
        .enabled(if: ToolChildProcess.canSeeSyscalls, "/proc/PID/task/*/syscall cannot be read here")
    )
    func killedConsumerProcess() async throws {
        try await withBroker { _, port in
            // 1 KiB values: the consumer's JSON lines fill the 64 KiB pipe nobody reads after a
            // few dozen messages, and it stops there, holding its deliveries.
            let padding = String(repeating: "x", count: 1024)
            try await BrokerConnection.withConnection(to: BrokerAddress(host: "127.0.0.1", port: port)) {
                connection in
                try await Admin(transport: connection).createTopic("jobs", partitions: 3)
                try await Producer.withProducer(transport: connection) { producer in
                    for index in 0..<Self.total {
                        _ = try await producer.enqueue(topic: "jobs", key: "key-\(index)", value: "\(index) \(padding)")
                    }
                }
            }
            // The survivor creates the group (ack timeout 10 min) and takes nothing yet.
            let survivor = try await RawMember(port: port)
            try await survivor.subscribe(
                group: "workers",
                topics: ["jobs"],
                settings: RequestedGroupSettings(ackTimeoutMilliseconds: 600_000),
                credits: 0
            )
            let survivorPort = try #require(survivor.connection.channel.localAddress?.port)
            let consumer = try await ToolChildProcess(
                "consumer",
                ["--broker", "127.0.0.1:\(port)", "--topic", "jobs", "--group", "workers", "--format", "json"]
            )
            let admin = try await TestConnection(port: port)
            // Wait (bounded) until the consumer holds deliveries, is blocked on its output and the
            // group has stopped moving.
            var held: Int32 = 0
            var previous: DescribeGroupResponse?
            var stableRounds = 0
            let deadline = Date().addingTimeInterval(60)
            while stableRounds < 3 {
                guard Date() < deadline else {
                    throw TestFailure("the consumer never settled: \(String(describing: previous))")
                }
                guard consumer.process.isRunning else {
                    throw TestFailure("consumer exited: \(consumer.standardError)")
                }
                try await Task.sleep(for: .milliseconds(150))
                let described = try await admin.call(
                    DescribeGroupRequest(group: "workers"),
                    as: DescribeGroupResponse.self
                )
                let other = described.members.first { !$0.clientAddress.hasSuffix(":\(survivorPort)") }
                held = other?.inFlight ?? 0
                // Blocked writing to a full pipe, it sends nothing: every ack it sent was answered.
                let isBlocked = consumer.isBlockedWritingOutput()
                stableRounds = held > 0 && isBlocked && described == previous ? stableRounds + 1 : 0
                previous = described
            }
            #expect(held > 0)
            #expect(try await consumer.stop(signal: SIGKILL) == SIGKILL)
            // What the consumer printed completely: each one acknowledged (the ack answered) before
            // it wrote the next line, the one it was blocked on.
            var printed: [String] = []
            for line in await consumer.remainingOutput().split(separator: "\n") {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    let partition = object["partition"] as? Int, let offset = object["offset"] as? Int
                else { continue }
                printed.append("\(partition)/\(offset)")
            }
            #expect(!printed.isEmpty)

            // The survivor takes everything that is left.
            try await survivor.credit(100_000)
            var delivered: [String: Int32] = [:]
            var finished = false
            let end = Date().addingTimeInterval(60)
            while !finished {
                guard Date() < end else {
                    Issue.record("the group did not finish within 60 s")
                    break
                }
                if survivor.hasPendingPush {
                    let push = try await survivor.nextPush()
                    for item in push {
                        let id = "\(item.partition)/\(item.offset)"
                        #expect(delivered[id] == nil, "\(id) delivered twice to the survivor")
                        delivered[id] = item.deliveryCount
                    }
                    let answer = try await survivor.ack("jobs", push)
                    #expect(answer.entries.allSatisfy { $0.errorCode == .none }, "\(answer)")
                } else {
                    let described = try await admin.call(
                        DescribeGroupRequest(group: "workers"),
                        as: DescribeGroupResponse.self
                    )
                    finished = described.partitions.allSatisfy { $0.lag == 0 }
                    if !finished { try await Task.sleep(for: .milliseconds(20)) }
                }
            }
            // The consumer's in-flight messages, and only they, came with delivery count 2.
            let moved = delivered.filter { $0.value == 2 }
            #expect(moved.count == Int(held), "\(held) held by the killed consumer, \(moved.count) moved")
            #expect(delivered.values.allSatisfy { $0 == 1 || $0 == 2 })
            // Every message was acknowledged once by one of them.
            let printedSet = Set(printed)
            #expect(Set(delivered.keys).union(printedSet).count == Self.total)
            let both = Set(delivered.keys).intersection(printedSet)
            #expect(both.isEmpty, "acknowledged by the consumer, delivered again: \(both)")
        }
    }
}
