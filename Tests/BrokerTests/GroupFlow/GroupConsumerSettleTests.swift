import BrokerClient
import BrokerProtocol
import Foundation
import Testing

/// How `GroupConsumer` settles messages: credits granted back also when an ack is refused, and
/// each coalesced ack answered with its own outcome.
@Suite struct GroupConsumerSettleTests {
    /// A member of `group` on `jobs`, which the group reads from the start, with a window as large
    /// as its prefetch.
    private static func member(
        _ connection: BrokerConnection,
        _ group: String,
        prefetch: Int,
        ackTimeout: Duration = .seconds(600)
    ) -> GroupConsumer {
        var configuration = GroupConsumerConfiguration()
        configuration.startAtEarliest = true
        configuration.prefetch = prefetch
        configuration.ackTimeout = ackTimeout
        configuration.maxUnfinishedPerPartition = max(prefetch, 1000)
        return GroupConsumer(connection: connection, group: group, topics: ["jobs"], configuration: configuration)
    }

    /// Receives `count` messages (bounded: 60 s).
    private static func receive(_ count: Int, from consumer: GroupConsumer) async throws -> [GroupMessage] {
        let receiving = Task { () async throws -> [GroupMessage] in
            var messages: [GroupMessage] = []
            for try await message in consumer.messages() {
                messages.append(message)
                if messages.count == count { break }
            }
            return messages
        }
        let watchdog = Task {
            try await Task.sleep(for: .seconds(60))
            receiving.cancel()
        }
        defer { watchdog.cancel() }
        let messages = try await receiving.value
        try #require(messages.count == count, "received \(messages.count) of \(count) within 60 s")
        return messages
    }

    @Test("acks refused after the ack timeout do not use up the member's credits")
    func failedAcksGiveCreditsBack() async throws {
        try await withBroker { _, port in
            try await produceJobs(port: port, topic: "jobs", partitions: 1, count: 20, keys: 20)
            try await BrokerConnection.withConnection(to: BrokerAddress(host: "127.0.0.1", port: port)) { connection in
                var configuration = GroupConsumerConfiguration()
                configuration.startAtEarliest = true
                configuration.prefetch = 4
                // Far from the fast path's ack time even on a loaded machine; the slow deliveries
                // below take more than twice as long.
                configuration.ackTimeout = .seconds(1)
                let consumer = GroupConsumer(
                    connection: connection,
                    group: "slow",
                    topics: ["jobs"],
                    configuration: configuration
                )
                let handled = Task { () async throws -> (acked: Set<String>, refused: Int) in
                    var acked: Set<String> = []
                    var refused = 0
                    for try await message in consumer.messages() {
                        let value = message.record.valueString ?? ""
                        // The first four deliveries take longer than the ack timeout.
                        if refused + acked.count < 4 { try await Task.sleep(for: .milliseconds(2_500)) }
                        do {
                            try await message.ack()
                            acked.insert(value)
                        } catch let error as ClientError where error.code == .broker(.notDelivered) {
                            refused += 1
                        }
                        if acked.count == 20 { break }
                    }
                    return (acked, refused)
                }
                // Refused messages come back, so the loop ends once all 20 are acknowledged;
                // the bound only keeps a broken broker from hanging the test.
                let watchdog = Task {
                    try await Task.sleep(for: .seconds(120))
                    handled.cancel()
                }
                let result = try? await handled.value
                watchdog.cancel()
                #expect(result?.refused ?? 0 >= 1, "an ack came after the ack timeout")
                #expect(result?.acked.count == 20, "the member stopped receiving after its acks were refused")
                try await consumer.leave()
            }
        }
    }

    @Test("coalesced acks: each is answered with its own outcome, not the first refused one's")
    func coalescedAcksAnswerEachOffset() async throws {
        try await withBroker { _, port in
            try await produceJobs(port: port, topic: "jobs", partitions: 1, count: 60, keys: 60)
            try await BrokerConnection.withConnection(to: BrokerAddress(host: "127.0.0.1", port: port)) { connection in
                let consumer = Self.member(connection, "coalesced", prefetch: 100)
                let messages = try await Self.receive(60, from: consumer)
                // One message is no longer held (nacked for ten minutes): its ack is refused.
                let refused = messages[30]
                try await refused.nack(delay: .seconds(600), reason: "later")
                // Sixty acks at once: they go out coalesced into a few requests, as ranges.
                let outcomes = await withTaskGroup(of: (Int64, Bool).self, returning: [Int64: Bool].self) { group in
                    for message in messages {
                        group.addTask {
                            do {
                                try await message.ack()
                                return (message.record.offset, true)
                            } catch {
                                return (message.record.offset, false)
                            }
                        }
                    }
                    var outcomes: [Int64: Bool] = [:]
                    for await (offset, acked) in group { outcomes[offset] = acked }
                    return outcomes
                }
                #expect(outcomes[refused.record.offset] == false, "the nacked message's ack is refused")
                let wronglyRefused = outcomes.filter { $0.key != refused.record.offset && !$0.value }.keys.sorted()
                #expect(wronglyRefused.isEmpty, "acknowledged, yet answered as refused: \(wronglyRefused)")
                let group = try await Admin(transport: connection).describeGroup("coalesced")
                #expect(group.partitions.map(\.committedOffset) == [30], "all but offset 30 acknowledged")
                try await consumer.leave()
            }
        }
    }
}
