import Broker
import BrokerClient
import BrokerProtocol
import NIOCore
import RecordCodec
import Testing

@Suite("A consumed record's message id")
struct ConsumerMessageIDTests {
    @Test("the message id a producer set is read back as bytes and as text; a record without one has none")
    func roundTrip() async throws {
        try await withBroker { _, port in
            let connection = BrokerConnection(address: BrokerAddress(host: "127.0.0.1", port: port))
            try await Admin(transport: connection).createTopic("ids", partitions: 1)
            try await Producer.withProducer(transport: connection) { producer in
                _ = try await producer.send(
                    topic: "ids",
                    value: ByteBuffer(string: "binary"),
                    partition: 0,
                    messageID: ByteBuffer(bytes: [0x80, 0x01])
                )
                _ = try await producer.send(
                    topic: "ids",
                    value: ByteBuffer(string: "text"),
                    partition: 0,
                    messageID: ByteBuffer(string: "order-42")
                )
                _ = try await producer.send(topic: "ids", value: ByteBuffer(string: "none"), partition: 0)
            }
            var configuration = ConsumerConfiguration()
            configuration.stopsAtEnd = true
            let consumer = Consumer(transport: connection, topic: "ids", configuration: configuration)
            var records: [ConsumerRecord] = []
            for try await record in consumer.records() { records.append(record) }
            try #require(records.count == 3)
            #expect(records[0].messageID == ByteBuffer(bytes: [0x80, 0x01]))
            #expect(records[0].messageIDString == nil, "bytes that are not UTF-8 have no text form")
            #expect(records[1].messageID == ByteBuffer(string: "order-42"))
            #expect(records[1].messageIDString == "order-42")
            #expect(records[2].messageID == nil)
            #expect(records[2].messageIDString == nil)
            await connection.close()
        }
    }

    @Test("the last message-id header wins, as on the broker; other headers do not count")
    func lastHeaderWins() {
        let record = ConsumerRecord(
            topic: "t",
            partition: 0,
            offset: 0,
            timestamp: 0,
            key: nil,
            value: nil,
            headers: [
                RecordHeader(key: ProduceRequest.messageIDHeader, value: ByteBuffer(string: "first")),
                RecordHeader(key: ProduceRequest.messageIDHeader, value: ByteBuffer(string: "second")),
                RecordHeader(key: "other", value: ByteBuffer(string: "third")),
            ]
        )
        #expect(record.messageIDString == "second")
        let empty = ConsumerRecord(
            topic: "t",
            partition: 0,
            offset: 0,
            timestamp: 0,
            key: nil,
            value: nil,
            headers: [RecordHeader(key: ProduceRequest.messageIDHeader, value: ByteBuffer())]
        )
        #expect(empty.messageID == ByteBuffer(), "an empty value is an id too")
        #expect(empty.messageIDString == "")
    }
}
