import Broker
import BrokerClient
import Foundation
import Testing

/// Redrive (`redriveDeadLetters`, docs/GROUPS.md "Redrive"): a group's dead letters are delivered
/// again to that group only, from where its last redrive ended, at most `limit`; a redriven message
/// that fails again becomes a dead letter again, for the next redrive; a redrive made with no
/// member connected, or before a restart, is kept.
@Suite(.timeLimit(.minutes(5))) struct RedriveTests {
    private static func address(_ port: Int) -> BrokerAddress { BrokerAddress(host: "127.0.0.1", port: port) }

    /// `count` messages `event N` on `orders` (3 partitions), each with its own key.
    private static func produce(_ port: Int, values: [String], key: String? = nil) async throws {
        try await BrokerConnection.withConnection(to: address(port)) { connection in
            try await Admin(transport: connection).createTopicIfMissing("orders", partitions: 3)
            try await Producer.withProducer(transport: connection) { producer in
                for value in values {
                    _ = try await producer.send(topic: "orders", key: key ?? "key of \(value)", value: value)
                }
            }
        }
    }

    private static func member(_ connection: BrokerConnection, group: String) -> GroupConsumer {
        var configuration = GroupConsumerConfiguration()
        configuration.startAtEarliest = true
        return GroupConsumer(connection: connection, group: group, topics: ["orders"], configuration: configuration)
    }

    /// What a handler does with a message.
    private enum Outcome { case ack, reject }

    /// Runs a member of `group` that handles messages with `decide` until `count` are finished (or
    /// a minute has passed), and returns them as `topic value` strings in the order received.
    private static func handle(
        _ port: Int,
        group: String,
        count: Int,
        _ decide: @escaping @Sendable (GroupMessage) -> Outcome = { _ in .ack }
    ) async throws -> [String] {
        try await BrokerConnection.withConnection(to: address(port)) { connection in
            let consumer = member(connection, group: group)
            let handled = try await withThrowingTaskGroup(of: [String]?.self) { tasks in
                tasks.addTask { try await Self.run(consumer, count: count, decide) }
                tasks.addTask {
                    try await Task.sleep(for: .seconds(60))
                    return nil
                }
                let first = try await tasks.next()!
                tasks.cancelAll()
                return first ?? []
            }
            try await consumer.leave()
            return handled
        }
    }

    private static func run(
        _ consumer: GroupConsumer,
        count: Int,
        _ decide: @Sendable (GroupMessage) -> Outcome
    ) async throws -> [String] {
        var handled: [String] = []
        guard count > 0 else { return handled }
        for try await message in consumer.messages() {
            handled.append("\(message.record.topic) \(message.record.valueString ?? "")")
            switch decide(message) {
            case .ack: try await message.ack()
            case .reject:
                let redriven = message.record.topic.hasPrefix("dlq.")
                try await message.reject(reason: redriven ? "still bad" : "bad")
            }
            if handled.count == count { break }
        }
        return handled
    }

    private static func redrive(_ port: Int, group: String, limit: Int64? = nil) async throws -> Int64 {
        try await BrokerConnection.withConnection(to: address(port)) { connection in
            try await Admin(transport: connection).redriveDeadLetters(group, topic: "orders", limit: limit)
        }
    }

    @Test func deadLettersGoBackToTheirGroupOnly() async throws {
        try await withBroker { server, port in
            try await Self.produce(port, values: (0..<6).map { "event \($0)" })
            let billing = try await Self.handle(port, group: "billing", count: 6) {
                ["event 1", "event 4"].contains($0.record.valueString) ? .reject : .ack
            }
            #expect(billing.count == 6)
            #expect(try await Self.handle(port, group: "audit", count: 6).count == 6)
            let letters = try await readTopic("dlq.billing.orders", port: port, server: server, atLeast: 2)
            #expect(Set(letters.map(\.valueString)) == ["event 1", "event 4"])

            #expect(try await Self.redrive(port, group: "billing") == 2)
            // Nothing new to redrive until something fails again.
            #expect(try await Self.redrive(port, group: "billing") == 0)
            let redriven = try await Self.handle(port, group: "billing", count: 2)
            #expect(Set(redriven) == ["dlq.billing.orders event 1", "dlq.billing.orders event 4"])

            // The other group never sees them: its next message is the next one produced.
            try await Self.produce(port, values: ["marker"])
            #expect(try await Self.handle(port, group: "audit", count: 1) == ["orders marker"])
            #expect(try await Self.handle(port, group: "billing", count: 1) == ["orders marker"])
        }
    }

    @Test func aLimitRedrivesThatManyAndAFailingRedriveWaitsForTheNextOne() async throws {
        try await withBroker { server, port in
            try await Self.produce(port, values: ["bad 0", "bad 1", "bad 2"])
            _ = try await Self.handle(port, group: "billing", count: 3) { _ in .reject }
            _ = try await readTopic("dlq.billing.orders", port: port, server: server, atLeast: 3)

            // The edge of the limit: 0 redrives nothing and moves nothing.
            #expect(try await Self.redrive(port, group: "billing", limit: 0) == 0)
            #expect(try await Self.redrive(port, group: "billing", limit: 2) == 2)
            let first = try await Self.handle(port, group: "billing", count: 2) { message in
                message.record.valueString == "bad 0" || message.record.valueString == "bad 1" ? .reject : .ack
            }
            #expect(first.count == 2)
            // Both failed again: they are dead letters again, after the redrive's limit.
            let letters = try await readTopic("dlq.billing.orders", port: port, server: server, atLeast: 5)
            #expect(letters.count == 5)
            let again = letters.filter { $0.headerString("sluice.dlq.reason") == "still bad" }
            #expect(again.count == 2)
            for letter in again {
                // Its headers still name the original message; its delivery headers are new, once.
                #expect(letter.headerString("sluice.dlq.topic") == "orders")
                #expect(letter.headers.filter { $0.key == "sluice.dlq.delivery-count" }.count == 1)
                #expect(letter.headers.filter { $0.key == "sluice.dlq.reason" }.count == 1)
                #expect(letter.headerString("sluice.dlq.delivery-count") == "1")
            }

            // The next redrive takes the one left over and the two that failed again.
            #expect(try await Self.redrive(port, group: "billing") == 3)
            let second = try await Self.handle(port, group: "billing", count: 3)
            #expect(
                second.map { $0.replacingOccurrences(of: "dlq.billing.orders ", with: "") }.sorted() == [
                    "bad 0", "bad 1", "bad 2",
                ]
            )
            #expect(try await Self.redrive(port, group: "billing") == 0)
        }
    }

    @Test func aRedriveWithNoMemberIsKeptAcrossARestart() async throws {
        let directory = NSTemporaryDirectory() + "sluice-redrive-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configuration = BrokerConfiguration(dataDirectory: directory, port: 0)
        try await BrokerServer.withServer(configuration: configuration) { server in
            let port = try #require(server.localPort)
            try await Self.produce(port, values: ["bad", "good"])
            _ = try await Self.handle(port, group: "billing", count: 2) {
                $0.record.valueString == "bad" ? .reject : .ack
            }
            _ = try await readTopic("dlq.billing.orders", port: port, server: server, atLeast: 1)
            #expect(try await Self.redrive(port, group: "billing") == 1)
        }
        try await BrokerServer.withServer(configuration: configuration) { server in
            let port = try #require(server.localPort)
            #expect(try await Self.handle(port, group: "billing", count: 1) == ["dlq.billing.orders bad"])
            let group = try await BrokerConnection.withConnection(to: Self.address(port)) { connection in
                try await Admin(transport: connection).describeGroup("billing")
            }
            let row = try #require(group.partitions.first { $0.topic == "dlq.billing.orders" && $0.logEndOffset > 0 })
            #expect(row.lag == 0, "\(group.partitions)")
        }
        try await BrokerServer.withServer(configuration: configuration) { server in
            // Once handled, it is not delivered again after a restart.
            let port = try #require(server.localPort)
            #expect(try await Self.redrive(port, group: "billing") == 0)
            try await Self.produce(port, values: ["marker"])
            #expect(try await Self.handle(port, group: "billing", count: 1) == ["orders marker"])
        }
    }

    @Test func badRequestsAreRefusedClearly() async throws {
        try await withBroker { _, port in
            try await Self.produce(port, values: ["event"])
            _ = try await Self.handle(port, group: "billing", count: 1)
            // No dead-letter topic yet: nothing to redrive.
            #expect(try await Self.redrive(port, group: "billing") == 0)
            try await BrokerConnection.withConnection(to: Self.address(port)) { connection in
                let admin = Admin(transport: connection)
                let cases: [(String, String, Int64?, ErrorCode, String)] = [
                    ("nobody", "orders", nil, .unknownGroup, "no group 'nobody'"),
                    ("billing", "refunds", nil, .invalidRequest, "does not consume topic 'refunds'"),
                    ("billing", "orders", -2, .invalidRequest, "limit -2 is negative"),
                ]
                for (group, topic, limit, code, message) in cases {
                    do {
                        _ = try await admin.redriveDeadLetters(group, topic: topic, limit: limit)
                        Issue.record("redrive of \(group)/\(topic) was accepted")
                    } catch let error as ClientError {
                        #expect(error.code == .broker(code), "\(error)")
                        #expect(error.message.contains(message), "\(error)")
                    }
                }
            }
        }
    }

    /// An operator deleting a dead-letter topic (to clear handled dead letters) must not make the
    /// group skip the dead letters of the topic created again: positions on a deleted topic are
    /// forgotten.
    @Test func aDeadLetterTopicDeletedAndCreatedAgainIsRedrivenFromItsStart() async throws {
        try await withBroker { server, port in
            // One key: every dead letter is in the same dead-letter partition.
            try await Self.produce(port, values: ["bad 0"], key: "k")
            _ = try await Self.handle(port, group: "billing", count: 1) { _ in .reject }
            _ = try await readTopic("dlq.billing.orders", port: port, server: server, atLeast: 1)
            #expect(try await Self.redrive(port, group: "billing") == 1)
            #expect(try await Self.handle(port, group: "billing", count: 1) == ["dlq.billing.orders bad 0"])

            try await BrokerConnection.withConnection(to: Self.address(port)) { connection in
                try await Admin(transport: connection).deleteTopic("dlq.billing.orders")
            }
            try await Self.produce(port, values: ["bad 1", "bad 2"], key: "k")
            _ = try await Self.handle(port, group: "billing", count: 2) { _ in .reject }
            _ = try await readTopic("dlq.billing.orders", port: port, server: server, atLeast: 2)
            #expect(try await Self.redrive(port, group: "billing") == 2)
            let again = try await Self.handle(port, group: "billing", count: 2)
            #expect(again.sorted() == ["dlq.billing.orders bad 1", "dlq.billing.orders bad 2"])
        }
    }

    /// The same for a group's own topic: created again, it is read from its start.
    @Test func aTopicDeletedAndCreatedAgainIsReadFromItsStart() async throws {
        try await withBroker { _, port in
            try await Self.produce(port, values: ["old 0", "old 1", "old 2"], key: "k")
            #expect(try await Self.handle(port, group: "billing", count: 3).count == 3)
            try await BrokerConnection.withConnection(to: Self.address(port)) { connection in
                try await Admin(transport: connection).deleteTopic("orders")
            }
            try await Self.produce(port, values: ["new 0"], key: "k")
            #expect(try await Self.handle(port, group: "billing", count: 1) == ["orders new 0"])
        }
    }
}
