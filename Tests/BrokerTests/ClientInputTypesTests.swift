import Broker
import BrokerClient
import Foundation
import Testing

// No NIOCore and no RecordCodec import: what a service author needs comes with BrokerClient.

/// Keys, values, header values and message ids given as `String`, `[UInt8]`, `Data` or
/// `ByteBuffer`, read back the same ways.
@Suite("client input and output types")
struct ClientInputTypesTests {
    @Test("String, [UInt8], Data and ByteBuffer go in; the same bytes come out")
    func roundTrip() async throws {
        try await withBroker { _, port in
            let connection = BrokerConnection(address: BrokerAddress(host: "127.0.0.1", port: port))
            try await Admin(transport: connection).createTopic("types", partitions: 1)
            let binary: [UInt8] = [0x80, 0x01, 0xFE]
            try await Producer.withProducer(transport: connection) { producer in
                _ = try await producer.send(
                    topic: "types",
                    key: "order-1",
                    value: #"{"status":"created"}"#,
                    headers: [RecordHeader(key: "type", value: "OrderCreated")],
                    messageID: "outbox-1"
                )
                _ = try await producer.send(
                    topic: "types",
                    key: binary,
                    value: Data([1, 2, 3]),
                    headers: [RecordHeader(key: "raw", value: binary)],
                    messageID: Data(binary)
                )
                _ = try await producer.send(topic: "types", key: ByteBuffer(string: "b"), value: nil)
            }
            var configuration = ConsumerConfiguration()
            configuration.stopsAtEnd = true
            var records: [ConsumerRecord] = []
            for try await record in Consumer(transport: connection, topic: "types", configuration: configuration)
                .records()
            {
                records.append(record)
            }
            await connection.close()
            // A broker error is matched without importing BrokerProtocol: ErrorCode comes with BrokerClient.
            let code: ErrorCode = .topicAlreadyExists
            let address = BrokerAddress(host: "127.0.0.1", port: port)
            await #expect {
                try await BrokerConnection.withConnection(to: address) {
                    try await Admin(transport: $0).createTopic("types", partitions: 1)
                }
            } throws: { ($0 as? ClientError)?.code == .broker(code) }
            try #require(records.count == 3)
            #expect(records[0].keyString == "order-1")
            #expect(records[0].valueString == #"{"status":"created"}"#)
            #expect(records[0].headers.first { $0.key == "type" }?.valueString == "OrderCreated")
            #expect(records[0].headerString("type") == "OrderCreated")
            #expect(records[0].header("missing") == nil)
            #expect(records[1].header("raw") == ByteBuffer(bytes: binary))
            #expect(records[1].headerString("raw") == nil, "not valid UTF-8")
            #expect(records[1].headers.first?.valueBytes == binary)
            #expect(records[0].messageIDString == "outbox-1")
            #expect(records[1].keyBytes == binary)
            #expect(records[1].keyString == nil, "not valid UTF-8")
            #expect(records[1].valueData == Data([1, 2, 3]))
            #expect(records[1].messageID == ByteBuffer(bytes: binary))
            #expect(records[2].keyString == "b")
            #expect(records[2].value == nil && records[2].valueString == nil)
        }
    }
}
