import BrokerClient
import BrokerProtocol
import Foundation
import NIOCore
import RecordCodec
import Testing

@testable import Broker

/// Group semantics over the wire (docs/GROUPS.md): a poison message reaches the dead-letter topic
/// after exactly `maxDeliveries` deliveries with every header while other keys keep flowing, and
/// `partition` ordering holds back only the failing message's partition.
@Suite struct GroupSemanticsTests {
    @Test("a message nacked maxDeliveries times is dead-lettered with every header; other keys flow meanwhile")
    func poisonMessage() async throws {
        try await withBroker { server, port in
            let started = Int64(Date().timeIntervalSince1970 * 1000)
            let originalHeaders = [
                RecordHeader(key: "trace-id", value: ByteBuffer(string: "t-42")),
                RecordHeader(key: "tag", value: ByteBuffer(string: "a")),
                RecordHeader(key: "tag", value: nil),
                RecordHeader(key: "tag", value: ByteBuffer(string: "b")),
            ]
            try await BrokerConnection.withConnection(to: BrokerAddress(host: "127.0.0.1", port: port)) {
                connection in
                try await Admin(transport: connection).createTopic("jobs", partitions: 2)
                try await Producer.withProducer(transport: connection) { producer in
                    // Partition 1: the poison message first, 30 of other keys, a later message
                    // with the poison's key, 10 more; partition 0: 20 of other keys.
                    _ = try await producer.enqueue(
                        topic: "jobs",
                        key: "poison",
                        value: "poison 0",
                        headers: originalHeaders,
                        partition: 1,
                        messageID: "order-77"
                    )
                    try await Self.enqueue(0..<30, key: "k", value: "v", partition: 1, with: producer)
                    _ = try await producer.enqueue(topic: "jobs", key: "poison", value: "poison later", partition: 1)
                    try await Self.enqueue(30..<40, key: "k", value: "v", partition: 1, with: producer)
                    try await Self.enqueue(100..<120, key: "k", value: "v", partition: 0, with: producer)
                    try await producer.flush()
                }
            }
            let member = try await RawMember(port: port)
            try await member.subscribe(
                group: "workers",
                topics: ["jobs"],
                settings: RequestedGroupSettings(
                    maxDeliveries: 3,
                    backoffInitialMilliseconds: 10,
                    backoffMaxMilliseconds: 20
                ),
                credits: 1000
            )
            var others: [String: Int32] = [:]  // value → delivery count, acked
            var poisonCounts: [Int32] = []
            var lastReason = ""
            var heldPoison: RawMember.Delivered?
            var laterSeen = false
            let deadline = Date().addingTimeInterval(60)
            while !laterSeen || others.count < 60 {
                guard Date() < deadline else { throw TestFailure("not done within 60 s: \(others.count) others") }
                for delivered in try await member.nextPush() {
                    switch delivered.value {
                    case "poison 0":
                        poisonCounts.append(delivered.deliveryCount)
                        heldPoison = delivered
                    case "poison later":
                        // Its key waits for the poison message to be finished (dead-lettered).
                        #expect(poisonCounts == [1, 2, 3], "delivered while the poison message was unfinished")
                        #expect(
                            server.topicRegistry?.topic(named: "dlq.workers.jobs") != nil,
                            "the dead letter is written before the key goes on"
                        )
                        laterSeen = true
                        _ = try await member.ack("jobs", [delivered])
                    default:
                        #expect(others[delivered.value ?? ""] == nil, "\(delivered) twice")
                        others[delivered.value ?? ""] = delivered.deliveryCount
                        let answer = try await member.ack("jobs", [delivered])
                        #expect(answer.entries.allSatisfy { $0.errorCode == .none }, "\(answer)")
                    }
                }
                // The poison message is held (in flight) until every other key's messages, also
                // the ones after it on its partition, are acknowledged; then it fails each time.
                if let poison = heldPoison, others.count == 60 {
                    heldPoison = nil
                    lastReason = "cannot parse (delivery \(poison.deliveryCount))"
                    let answer = try await member.nack("jobs", poison, reason: lastReason)
                    #expect(answer.entries.allSatisfy { $0.errorCode == .none }, "\(answer)")
                }
            }
            #expect(poisonCounts == [1, 2, 3])
            #expect(others.count == 60 && others.values.allSatisfy { $0 == 1 })
            let finished = Int64(Date().timeIntervalSince1970 * 1000)

            let letters = try await readTopic("dlq.workers.jobs", port: port, server: server, atLeast: 1)
            try #require(letters.count == 1, "\(letters)")
            let letter = letters[0]
            let original = try #require(
                try await readTopic("jobs", port: port, server: server, atLeast: 62)
                    .first { $0.partition == 1 && $0.offset == 0 }
            )
            #expect(letter.partition == 1, "same partition number as the source")
            #expect(letter.keyString == "poison" && letter.valueString == "poison 0")
            // The original's headers unchanged and first (its own message id among them), then the
            // dead-letter headers, then the dead letter's message id.
            #expect(original.headers.count == originalHeaders.count + 1)
            #expect(Array(letter.headers.prefix(original.headers.count)) == original.headers)
            let added = letter.headers.dropFirst(original.headers.count).map(\.key)
            #expect(
                added == [
                    "sluice.dlq.topic", "sluice.dlq.partition", "sluice.dlq.offset", "sluice.dlq.timestamp",
                    "sluice.dlq.delivery-count", "sluice.dlq.reason", "sluice.dlq.first-delivery",
                    "sluice.dlq.last-delivery", "sluice.msg-id",
                ]
            )
            #expect(letter.headerString("sluice.dlq.topic") == "jobs")
            #expect(letter.headerString("sluice.dlq.partition") == "1")
            #expect(letter.headerString("sluice.dlq.offset") == "0")
            #expect(letter.headerString("sluice.dlq.timestamp") == "\(original.timestamp)")
            #expect(letter.headerString("sluice.dlq.delivery-count") == "3")
            #expect(letter.headerString("sluice.dlq.reason") == lastReason)
            #expect(lastReason == "cannot parse (delivery 3)")
            #expect(letter.messageIDString == "workers/jobs/1/0")
            let first = try #require(letter.headerString("sluice.dlq.first-delivery").flatMap { Int64($0) })
            let last = try #require(letter.headerString("sluice.dlq.last-delivery").flatMap { Int64($0) })
            // Wall-clock epoch milliseconds within the test's run (1 s of slack for clock steps).
            #expect(started - 1000 <= first && first <= last && last <= finished + 1000, "\(first) \(last)")
            #expect(letter.timestamp >= last - 1000, "the dead letter's timestamp is when it was written")
            let admin = try await TestConnection(port: port)
            let described = try await admin.call(DescribeGroupRequest(group: "workers"), as: DescribeGroupResponse.self)
            #expect(described.partitions.map(\.deadLettered) == [0, 1])
            #expect(described.partitions.allSatisfy { $0.lag == 0 }, "\(described.partitions)")
        }
    }

    @Test("ordering partition: a failing message holds back later messages of its partition only")
    func partitionModeBlocksOnlyItsPartition() async throws {
        try await withBroker { _, port in
            try await Self.produceOnTwoPartitions(port: port)
            let member = try await RawMember(port: port)
            let subscribed = try await member.subscribe(
                group: "strict",
                topics: ["jobs"],
                settings: RequestedGroupSettings(ordering: .partition, maxDeliveries: 1000),
                credits: 1000
            )
            #expect(subscribed.settings.ordering == .partition)
            var acked: [Int32: [Int64]] = [0: [], 1: []]
            var failures = 0
            let deadline = Date().addingTimeInterval(60)
            while acked[0]!.count < 10 || acked[1]!.count < 20 {
                guard Date() < deadline else { throw TestFailure("not done within 60 s: \(acked)") }
                let push = try await member.nextPush()
                #expect(push.count == 1, "one message in flight per partition: \(push)")
                for delivered in push {
                    let partition = delivered.partition
                    if partition == 0 && delivered.offset == 0 && (acked[1]!.count < 20 || failures < 3) {
                        // Keeps failing until partition 1 is done (and at least three times).
                        failures += 1
                        #expect(delivered.deliveryCount == Int32(failures))
                        let answer = try await member.nack("jobs", delivered, delay: 20, reason: "still failing")
                        #expect(answer.entries.allSatisfy { $0.errorCode == .none }, "\(answer)")
                        continue
                    }
                    if partition == 0 {
                        #expect(
                            delivered.offset == 0 || acked[0]!.first == 0,
                            "p0/\(delivered.offset) delivered while p0/0 was unfinished"
                        )
                    }
                    #expect(delivered.offset == Int64(acked[partition]!.count), "in offset order: \(delivered)")
                    let answer = try await member.ack("jobs", [delivered])
                    #expect(answer.entries.allSatisfy { $0.errorCode == .none }, "\(answer)")
                    acked[partition]!.append(delivered.offset)
                }
            }
            #expect(acked[0] == Array(0..<10) && acked[1] == Array(0..<20))
            #expect(failures >= 3)
        }
    }

    /// Ten messages on partition 0 (`p0 0` …) and twenty on partition 1, each with its own key.
    private static func produceOnTwoPartitions(port: Int) async throws {
        try await BrokerConnection.withConnection(to: BrokerAddress(host: "127.0.0.1", port: port)) {
            connection in
            try await Admin(transport: connection).createTopic("jobs", partitions: 2)
            try await Producer.withProducer(transport: connection) { producer in
                try await Self.enqueue(0..<10, key: "a", value: "p0", partition: 0, with: producer)
                try await Self.enqueue(0..<20, key: "b", value: "p1", partition: 1, with: producer)
                try await producer.flush()
            }
        }
    }

    @Test("ordering partition: a message dead-lettered after maxDeliveries releases its partition, in order")
    func partitionModeDeadLetterReleasesThePartition() async throws {
        try await withBroker { server, port in
            try await Self.produceOnTwoPartitions(port: port)
            let member = try await RawMember(port: port)
            try await member.subscribe(
                group: "strict",
                topics: ["jobs"],
                settings: RequestedGroupSettings(
                    ordering: .partition,
                    maxDeliveries: 3,
                    backoffInitialMilliseconds: 5,
                    backoffMaxMilliseconds: 5
                ),
                credits: 1000
            )
            var acked: [Int32: [Int64]] = [0: [], 1: []]
            var failures: [Int32] = []
            let deadline = Date().addingTimeInterval(60)
            while acked[0]!.count < 9 || acked[1]!.count < 20 {
                guard Date() < deadline else { throw TestFailure("not done within 60 s: \(acked)") }
                for delivered in try await member.nextPush() {
                    if delivered.partition == 0 && delivered.offset == 0 {
                        failures.append(delivered.deliveryCount)
                        _ = try await member.nack("jobs", delivered, reason: "always fails")
                        continue
                    }
                    if delivered.partition == 0 {
                        // The partition goes on only once its first message is a dead letter.
                        #expect(failures == [1, 2, 3], "p0/\(delivered.offset) while p0/0 was unfinished")
                        #expect(server.topicRegistry?.topic(named: "dlq.strict.jobs") != nil)
                        #expect(delivered.offset == Int64(acked[0]!.count) + 1, "in offset order: \(delivered)")
                    } else {
                        #expect(delivered.offset == Int64(acked[1]!.count), "in offset order: \(delivered)")
                    }
                    _ = try await member.ack("jobs", [delivered])
                    acked[delivered.partition]!.append(delivered.offset)
                }
            }
            #expect(failures == [1, 2, 3])
            #expect(acked[0] == Array(1..<10) && acked[1] == Array(0..<20))
            let letters = try await readTopic("dlq.strict.jobs", port: port, server: server, atLeast: 1)
            #expect(letters.map(\.valueString) == ["p0 0"] && letters.first?.partition == 0)
        }
    }

    /// Enqueues `key-N` → `value N` for each N of `range` on `partition` of `jobs`.
    private static func enqueue(
        _ range: Range<Int>,
        key: String,
        value: String,
        partition: Int32,
        with producer: Producer
    ) async throws {
        for index in range {
            _ = try await producer.enqueue(
                topic: "jobs",
                key: "\(key)-\(index)",
                value: "\(value) \(index)",
                partition: partition
            )
        }
    }
}
