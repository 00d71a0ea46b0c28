import Broker
import BrokerClient
import BrokerProtocol
import Foundation
import LogStore
import NIOCore
import Testing

@Suite("The client's message ids against an embedded broker")
struct ClientMessageIDTests {
    static func id(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }

    @Test("ids are bytes: binary ids that are not UTF-8 stay distinct; a text id is its UTF-8 bytes")
    func binaryAndTextIDs() async throws {
        try await withBroker { _, port in
            let connection = BrokerConnection(address: BrokerAddress(host: "127.0.0.1", port: port))
            let admin = Admin(transport: connection)
            try await admin.createTopic("ids", partitions: 4)
            let sent = try await Producer.withProducer(transport: connection) { producer in
                [
                    try await producer.send(
                        topic: "ids",
                        value: ByteBuffer(string: "a"),
                        messageID: Self.id([0x80, 0x01])
                    ),
                    try await producer.send(
                        topic: "ids",
                        value: ByteBuffer(string: "b"),
                        messageID: Self.id([0xFE, 0x01])
                    ),
                    try await producer.send(topic: "ids", value: ByteBuffer(string: "c"), messageID: "text-id"),
                    try await producer.send(
                        topic: "ids",
                        value: ByteBuffer(string: "c again"),
                        messageID: ByteBuffer(string: "text-id")
                    ),
                ]
            }
            // A record with an id and no key goes to the murmur2 partition of the id's bytes.
            #expect(sent[0].partition == Partitioner.partition(forKey: [0x80, 0x01], partitionCount: 4))
            #expect(sent[1].partition == Partitioner.partition(forKey: [0xFE, 0x01], partitionCount: 4))
            #expect(sent[2].partition == sent[3].partition && sent[2].offset == sent[3].offset)
            let test = try await TestConnection(port: port)
            var values: [String] = []
            for partition in Int32(0)..<4 {
                values += try await ProduceSupport.fetchAll(test, "ids", partition: partition).map {
                    String(buffer: $0.value!)
                }
            }
            #expect(values.sorted() == ["a", "b", "c"])
            await connection.close()
        }
    }
}
