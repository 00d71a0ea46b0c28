import BrokerClient
import BrokerProtocol
import Foundation
import Testing

/// `GroupConsumer.messages()` iterated again on the same connection after an iteration that ended
/// early (a `break`): the member goes on with one subscription, and the messages the first
/// iteration held come again at once, not after the group's ack timeout.
@Suite struct GroupConsumerRejoinTests {
    @Test("iterating again after a break: no subscription is left behind swallowing messages")
    func iteratingAgainAfterABreak() async throws {
        try await withBroker { _, port in
            try await produceJobs(port: port, topic: "jobs", partitions: 1, count: 40, keys: 40)
            try await BrokerConnection.withConnection(to: BrokerAddress(host: "127.0.0.1", port: port)) { connection in
                var configuration = GroupConsumerConfiguration()
                configuration.startAtEarliest = true
                configuration.prefetch = 10
                configuration.ackTimeout = .seconds(600)  // only a leave or a drop redelivers at once
                let consumer = GroupConsumer(
                    connection: connection,
                    group: "workers",
                    topics: ["jobs"],
                    configuration: configuration
                )
                var acked: Set<String> = []
                for try await message in consumer.messages() {
                    try await message.ack()
                    acked.insert(message.record.valueString ?? "")
                    if acked.count == 5 { break }
                }
                // Again: everything not acknowledged arrives, within a bound far below the ack timeout.
                let before = acked
                let again = Task { () async throws -> Set<String> in
                    var acked = before
                    for try await message in consumer.messages() {
                        let value = message.record.valueString ?? ""
                        #expect(!before.contains(value), "\(value) was acknowledged")
                        try await message.ack()
                        acked.insert(value)
                        if acked.count == 40 { break }
                    }
                    return acked
                }
                let watchdog = Task {
                    try await Task.sleep(for: .seconds(30))
                    again.cancel()
                }
                acked = (try? await again.value) ?? acked
                watchdog.cancel()
                #expect(acked.count == 40, "messages held by the first iteration's subscription did not come again")
                let group = try await Admin(transport: connection).describeGroup("workers")
                #expect(group.members.count == 1, "one subscription: \(group.members)")
                try await consumer.leave()
            }
        }
    }
}
