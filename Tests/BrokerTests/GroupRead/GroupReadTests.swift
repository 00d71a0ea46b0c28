import BrokerClient
import NIOCore
import Testing

@testable import Broker

/// What a group's dispatcher reads: whole stored batches, each record's offset and key hash.
@Suite struct GroupReadTests {
    @Test func readsOffsetsAndKeyHashesFromTheAskedOffset() async throws {
        try await withBroker { server, port in
            try await BrokerConnection.withConnection(to: BrokerAddress(host: "127.0.0.1", port: port)) { connection in
                try await Admin(transport: connection).createTopic("jobs", partitions: 1)
                try await Producer.withProducer(transport: connection) { producer in
                    for index in 0..<10 {
                        _ = try await producer.enqueue(
                            topic: "jobs",
                            key: index % 3 == 0 ? nil : "key-\(index % 2)",
                            value: "job \(index)",
                            partition: 0
                        )
                    }
                    try await producer.flush()
                }
            }
            let partition = try #require(server.topicRegistry?.topic(named: "jobs")?.partition(0))
            let read = try await partition.readForGroup(from: 4, maxBytes: 1 << 20).get()
            #expect(read.entries.map(\.offset) == Array(4..<10))
            #expect(read.nextOffset == 10 && read.logEndOffset == 10 && read.logStartOffset == 0)
            let hashes = Dictionary(uniqueKeysWithValues: read.entries.map { ($0.offset, $0.keyHash) })
            #expect(hashes[6] == .some(nil), "offset 6 has no key")
            #expect(hashes[4] == hashes[8] && hashes[5] == hashes[7], "the same key, the same hash")
            #expect(hashes[4] != hashes[5])
            #expect(hashes[4] == KeyHash.of(ByteBuffer(string: "key-0")))
            // The batches are the stored bytes and hold every offset read.
            #expect(read.batches.first.map { $0.baseOffset <= 4 } == true)
            #expect(read.batches.last?.lastOffset == 9)
            // At the end: nothing, and the next read starts there.
            let atEnd = try await partition.readForGroup(from: 10, maxBytes: 1 << 20).get()
            #expect(atEnd.entries.isEmpty && atEnd.batches.isEmpty && atEnd.nextOffset == 10)
        }
    }

    @Test func keyHashIsStableAndSpreads() {
        #expect(KeyHash.of(ByteBuffer(string: "")) == 0xcbf2_9ce4_8422_2325)
        #expect(KeyHash.of(ByteBuffer(string: "a")) == 0xaf63_dc4c_8601_ec8c, "FNV-1a 64 of \"a\"")
        let hashes = Set((0..<10_000).map { KeyHash.of(ByteBuffer(string: "order-\($0)")) })
        #expect(hashes.count == 10_000)
    }
}
