import BrokerProtocol
import Foundation
import Testing

@testable import Broker
@testable import BrokerClient

/// A `GroupConsumer` handler that always fails one key, in a group it creates with a short
/// backoff and `maxDeliveries` 3: the poison message is dead-lettered after exactly three
/// deliveries, with the handler's reason, and every other message is handled once.
@Suite struct GroupConsumerPoisonTests {
    @Test("a handler that always nacks one key: dead-lettered after maxDeliveries, with the group's short backoff")
    func handlerThatAlwaysNacksOneKey() async throws {
        try await withBroker { server, port in
            try await BrokerConnection.withConnection(to: BrokerAddress(host: "127.0.0.1", port: port)) {
                connection in
                try await Admin(transport: connection).createTopic("orders", partitions: 2)
                try await Producer.withProducer(transport: connection) { producer in
                    for index in 0..<100 {
                        let key = index == 10 ? "poison" : "order-\(index)"
                        _ = try await producer.enqueue(topic: "orders", key: key, value: "event \(index)")
                    }
                }
                var configuration = GroupConsumerConfiguration()
                configuration.startAtEarliest = true
                configuration.maxDeliveries = 3
                configuration.backoffInitial = .milliseconds(10)
                configuration.backoffMultiplier = 1.5
                configuration.backoffMax = .milliseconds(20)
                let consumer = GroupConsumer(
                    connection: connection,
                    group: "billing",
                    topics: ["orders"],
                    configuration: configuration
                )
                var handled: Set<String> = []
                var poisonDeliveries: [Int] = []
                for try await message in consumer.messages() {
                    if message.record.keyString == "poison" {
                        poisonDeliveries.append(message.deliveryCount)
                        try await message.nack(reason: "cannot bill (attempt \(message.deliveryCount))")
                    } else {
                        #expect(handled.insert(message.record.valueString ?? "").inserted, "handled twice")
                        try await message.ack()
                    }
                    if handled.count == 99 && poisonDeliveries.count == 3 { break }
                }
                #expect(poisonDeliveries == [1, 2, 3])
                let letters = try await readTopic("dlq.billing.orders", port: port, server: server, atLeast: 1)
                #expect(letters.map(\.valueString) == ["event 10"])
                #expect(letters.first?.headerString("sluice.dlq.delivery-count") == "3")
                #expect(letters.first?.headerString("sluice.dlq.reason") == "cannot bill (attempt 3)")
                let group = try await Admin(transport: connection).describeGroup("billing")
                #expect(group.partitions.reduce(0) { $0 + $1.lag } == 0, "\(group.partitions)")
                try await consumer.leave()
            }
            // The group was created with the backoff asked for.
            let admin = try await TestConnection(port: port)
            let described = try await admin.call(
                DescribeGroupRequest(group: "billing"),
                as: DescribeGroupResponse.self
            )
            #expect(described.settings.backoffInitialMilliseconds == 10)
            #expect(described.settings.backoffMultiplierPercent == 150)
            #expect(described.settings.backoffMaxMilliseconds == 20)
        }
    }

    @Test("a backoff multiplier out of range is refused by the broker, naming the setting; never a trap")
    func backoffOutOfRange() async throws {
        #expect(GroupConsumer.percent(2) == 200 && GroupConsumer.percent(1.256) == 126)
        for bad in [Double.nan, .infinity, -1, 1e300] { #expect(GroupConsumer.percent(bad) == Int32.max) }
        try await withBroker { _, port in
            try await BrokerConnection.withConnection(to: BrokerAddress(host: "127.0.0.1", port: port)) {
                connection in
                try await Admin(transport: connection).createTopic("orders", partitions: 1)
                for multiplier in [0.5, 11, .nan] {
                    var configuration = GroupConsumerConfiguration()
                    configuration.backoffMultiplier = multiplier
                    let consumer = GroupConsumer(
                        connection: connection,
                        group: "billing",
                        topics: ["orders"],
                        configuration: configuration
                    )
                    await #expect {
                        for try await _ in consumer.messages() {}
                    } throws: { error in
                        let error = error as? ClientError
                        return error?.code == .broker(.invalidRequest)
                            && error?.description.contains("backoffMultiplierPercent") == true
                    }
                }
            }
        }
    }
}
