import Broker
import BrokerClient
import Foundation
import Logging
import ServiceLifecycle
import Testing

/// The client's group member against an embedded broker: every message once, acks coalesced,
/// nack and redelivery, reject to the dead-letter topic, and the end of the iteration when the
/// connection closes.
@Suite struct GroupConsumerTests {
    private static func produce(_ port: Int, count: Int, keys: Int = 10) async throws {
        try await BrokerConnection.withConnection(to: BrokerAddress(host: "127.0.0.1", port: port)) { connection in
            try await Admin(transport: connection).createTopicIfMissing("orders", partitions: 3)
            try await Producer.withProducer(transport: connection) { producer in
                for index in 0..<count {
                    _ = try await producer.enqueue(
                        topic: "orders",
                        key: "order-\(index % keys)",
                        value: "event \(index)"
                    )
                }
            }
        }
    }

    /// A member of group `billing` on `orders`, which the group reads from the start.
    private static func member(_ connection: BrokerConnection, prefetch: Int = 100) -> GroupConsumer {
        var configuration = GroupConsumerConfiguration()
        configuration.startAtEarliest = true
        configuration.prefetch = prefetch
        return GroupConsumer(connection: connection, group: "billing", topics: ["orders"], configuration: configuration)
    }

    @Test func everyMessageIsHandledOnceAndAcknowledged() async throws {
        try await withBroker { _, port in
            try await Self.produce(port, count: 500)
            try await BrokerConnection.withConnection(to: BrokerAddress(host: "127.0.0.1", port: port)) { connection in
                let consumer = Self.member(connection, prefetch: 50)
                var values: [String] = []
                for try await message in consumer.messages() {
                    values.append(message.record.valueString ?? "")
                    #expect(message.deliveryCount == 1)
                    try await message.ack()
                    if values.count == 500 { break }
                }
                #expect(Set(values).count == 500)
                let group = try await Admin(transport: connection).describeGroup("billing")
                #expect(group.partitions.reduce(0) { $0 + $1.lag } == 0, "all committed: \(group.partitions)")
                try await consumer.leave()
            }
        }
    }

    @Test func aNackedMessageComesBackAndARejectedOneIsDeadLettered() async throws {
        try await withBroker { server, port in
            try await Self.produce(port, count: 2, keys: 2)
            try await BrokerConnection.withConnection(to: BrokerAddress(host: "127.0.0.1", port: port)) { connection in
                let consumer = Self.member(connection)
                var seen: [String: [Int]] = [:]
                for try await message in consumer.messages() {
                    let value = message.record.valueString ?? ""
                    seen[value, default: []].append(message.deliveryCount)
                    switch (value, message.deliveryCount) {
                    case ("event 0", 1): try await message.nack(delay: .zero, reason: "try again")
                    case ("event 1", _): try await message.reject(reason: "poison")
                    default: try await message.ack()
                    }
                    if seen["event 0"]?.count == 2 && seen["event 1"] != nil { break }
                }
                #expect(seen["event 0"] == [1, 2])
                #expect(seen["event 1"] == [1])
                let letters = try await readTopic("dlq.billing.orders", port: port, server: server, atLeast: 1)
                #expect(letters.map(\.valueString) == ["event 1"])
                #expect(letters.first?.headerString("sluice.dlq.reason") == "poison")
                try await consumer.leave()
            }
        }
    }

    /// A message whose ack timeout passed before its ack is taken back by the broker, which does
    /// not give the credit back by itself: the member must, or after `prefetch` such timeouts it
    /// would receive nothing more. With prefetch 1, one late ack is enough to show it.
    @Test func aLateAckGivesItsCreditBack() async throws {
        try await withBroker { _, port in
            try await Self.produce(port, count: 1)
            try await BrokerConnection.withConnection(to: BrokerAddress(host: "127.0.0.1", port: port)) { connection in
                var configuration = GroupConsumerConfiguration()
                configuration.startAtEarliest = true
                configuration.prefetch = 1
                // Far above an ack's time even on a loaded machine; the late ack below waits 2.5 s.
                configuration.ackTimeout = .seconds(1)
                let consumer = GroupConsumer(
                    connection: connection,
                    group: "billing",
                    topics: ["orders"],
                    configuration: configuration
                )
                let counts = try await Self.lateFirstAck(consumer)
                #expect(counts.first == 1 && (counts.last ?? 0) >= 2, "delivery counts \(counts)")
                try await consumer.leave()
            }
        }
    }

    /// Acks the first delivery after its ack timeout (refused: `notDelivered`), then waits (at most
    /// two minutes: the bound only keeps a broken broker from hanging the test) for the message to
    /// come again; returns the delivery counts seen.
    private static func lateFirstAck(_ consumer: GroupConsumer) async throws -> [Int] {
        try await withThrowingTaskGroup(of: [Int].self) { tasks in
            tasks.addTask {
                var counts: [Int] = []
                for try await message in consumer.messages() {
                    counts.append(message.deliveryCount)
                    guard counts.count == 1 else {
                        // On a very loaded machine this ack may be late too: then it comes again.
                        do {
                            try await message.ack()
                            break
                        } catch let error as ClientError where error.code == .broker(.notDelivered) {
                            continue
                        }
                    }
                    try await Task.sleep(for: .milliseconds(2_500))
                    do {
                        try await message.ack()
                        Issue.record("a late ack was accepted")
                    } catch let error as ClientError {
                        #expect(error.code == .broker(.notDelivered), "\(error)")
                    }
                }
                return counts
            }
            tasks.addTask {
                try await Task.sleep(for: .seconds(120))
                return []
            }
            let counts = try await tasks.next()!
            tasks.cancelAll()
            return counts
        }
    }

    @Test func theIterationEndsWithAnErrorWhenTheConnectionCloses() async throws {
        try await withBroker { _, port in
            try await Self.produce(port, count: 5)
            let connection = BrokerConnection(address: BrokerAddress(host: "127.0.0.1", port: port))
            let consumer = Self.member(connection)
            var received = 0
            do {
                for try await _ in consumer.messages() {
                    received += 1
                    if received == 1 { await connection.close() }
                }
                Issue.record("the iteration ended without an error")
            } catch let error as ClientError {
                #expect(error.code == .connectionClosed, "\(error)")
            }
            #expect(received >= 1)
        }
    }

    /// Handles a group member's messages until its iteration ends.
    private struct Handler: Service {
        let consumer: GroupConsumer
        let handled: AsyncStream<Int>.Continuation

        func run() async throws {
            for try await message in consumer.messages() {
                try await message.ack()
                handled.yield(1)
            }
            handled.finish()
        }
    }

    @Test func aGracefulShutdownMakesTheMemberLeaveAndEndsItsIteration() async throws {
        try await withBroker { _, port in
            try await Self.produce(port, count: 20)
            let connection = BrokerConnection(address: BrokerAddress(host: "127.0.0.1", port: port))
            let consumer = Self.member(connection)
            let (handled, sink) = AsyncStream.makeStream(of: Int.self)
            // Shut down in reverse order: the member leaves first, the handler's iteration ends,
            // then the connection closes.
            let group = ServiceGroup(
                services: [connection, Handler(consumer: consumer, handled: sink), consumer],
                logger: Logger(label: "test")
            )
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                var count = 0
                for await _ in handled {
                    count += 1
                    if count == 20 { break }
                }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            try await BrokerConnection.withConnection(to: BrokerAddress(host: "127.0.0.1", port: port)) {
                let description = try await Admin(transport: $0).describeGroup("billing")
                #expect(description.members.isEmpty, "the member left")
                #expect(description.partitions.reduce(0) { $0 + $1.lag } == 0)
            }
        }
    }
}
