import BrokerClient
import NIOCore
import RecordCodec
import Testing

@testable import Broker

/// Dead letters: the original's key, value and headers plus the `sluice.dlq.*` headers, in the
/// source's partition of `dlq.<group>.<topic>`, once even when written twice.
@Suite struct DeadLetterWriterTests {
    private static func deadLetter(offset: Int64, partition: Int32 = 2, reason: String? = "poison") -> DeadLetter {
        DeadLetter(
            source: GroupPartitionID(group: "billing", topic: "orders", partition: partition),
            offset: offset,
            record: Record(
                key: ByteBuffer(string: "order-7"),
                value: ByteBuffer(string: "{}"),
                headers: [RecordHeader(key: "type", value: ByteBuffer(string: "OrderCreated"))],
                timestamp: 1_700_000_000_000
            ),
            deliveries: DeliveryRecord(
                deliveryCount: 5,
                failureCount: 5,
                firstDeliveredAt: 1_700_000_001_000,
                lastDeliveredAt: 1_700_000_009_000,
                lastFailureReason: "ack timeout"
            ),
            reason: reason
        )
    }

    @Test func aDeadLetterCarriesTheMessageAndItsHistoryAndIsWrittenOnce() async throws {
        try await withBroker { server, port in
            let address = BrokerAddress(host: "127.0.0.1", port: port)
            try await BrokerConnection.withConnection(to: address) { connection in
                try await Admin(transport: connection).createTopic("orders", partitions: 3)
            }
            let registry = try #require(server.topicRegistry)
            let writer = DeadLetterWriter(registry: registry, issued: { IssuedProducers(idBound: 0, epoch: 0) })
            let first = try await writer.write(Self.deadLetter(offset: 41))
            // Written again (after a crash, say): the same dead letter, the same offset.
            #expect(try await writer.write(Self.deadLetter(offset: 41)) == first)
            let other = try await writer.write(Self.deadLetter(offset: 42, reason: nil))
            #expect(other == first + 1)

            let dlq = try #require(registry.topic(named: "dlq.billing.orders"))
            #expect(dlq.partitionCount == 3, "created with the source topic's partition count")
            let records = try await BrokerConnection.withConnection(to: address) { connection in
                var configuration = ConsumerConfiguration()
                configuration.stopsAtEnd = true
                var records: [ConsumerRecord] = []
                let consumer = Consumer(
                    transport: connection,
                    topic: "dlq.billing.orders",
                    partitions: [2],
                    configuration: configuration
                )
                for try await record in consumer.records() { records.append(record) }
                return records
            }
            try #require(records.count == 2)
            let letter = records[0]
            #expect(letter.keyString == "order-7" && letter.valueString == "{}")
            #expect(letter.headerString("type") == "OrderCreated")
            #expect(letter.headerString("sluice.dlq.topic") == "orders")
            #expect(letter.headerString("sluice.dlq.partition") == "2")
            #expect(letter.headerString("sluice.dlq.offset") == "41")
            #expect(letter.headerString("sluice.dlq.timestamp") == "1700000000000")
            #expect(letter.headerString("sluice.dlq.delivery-count") == "5")
            #expect(letter.headerString("sluice.dlq.reason") == "poison")
            #expect(letter.headerString("sluice.dlq.first-delivery") == "1700000001000")
            #expect(letter.headerString("sluice.dlq.last-delivery") == "1700000009000")
            #expect(letter.messageIDString == "billing/orders/2/41")
            #expect(letter.timestamp > 1_700_000_009_000, "stamped when written, so retention counts from then")
            // Without a reject reason, the last failure's reason.
            #expect(records[1].headerString("sluice.dlq.reason") == "ack timeout")
        }
    }

    @Test func theDeadLetterTopicGrowsWithItsSource() async throws {
        try await withBroker { server, port in
            let address = BrokerAddress(host: "127.0.0.1", port: port)
            try await BrokerConnection.withConnection(to: address) { connection in
                try await Admin(transport: connection).createTopic("orders", partitions: 1)
            }
            let registry = try #require(server.topicRegistry)
            let writer = DeadLetterWriter(registry: registry, issued: { IssuedProducers(idBound: 0, epoch: 0) })
            _ = try await writer.write(Self.deadLetter(offset: 1, partition: 0))
            #expect(registry.topic(named: "dlq.billing.orders")?.partitionCount == 1)
            try await registry.addPartitions("orders", to: 4)
            _ = try await writer.write(Self.deadLetter(offset: 1, partition: 3))
            #expect(registry.topic(named: "dlq.billing.orders")?.partitionCount == 4)
        }
    }
}
