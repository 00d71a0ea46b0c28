import Broker
import BrokerProtocol
import Foundation
import LogStore
import NIOCore
import RecordCodec
import Testing

@Suite("Producer state and message ids across a broker restart")
struct StateRecoveryTests {
    @Test("a retried idempotent batch and a repeated message id are recognised after a restart")
    func retriesAcrossRestart() async throws {
        let directory = NSTemporaryDirectory() + "sluice-state-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // The first id a fresh broker issues (the broker refuses ids it did not issue).
        let identity = ProducerIdentity(producerId: 0, producerEpoch: 0, baseSequence: 0)
        let idempotent = batchBytes(["a", "b"], producer: identity)
        let withID = RecordBatch(records: [
            Record(
                value: ByteBuffer(string: "outbox"),
                headers: [RecordHeader(key: ProduceRequest.messageIDHeader, value: ByteBuffer(string: "m-9"))],
                timestamp: currentTimeMilliseconds()
            )
        ]).buffer
        var first: (ProduceResponse.PartitionResult, ProduceResponse.PartitionResult)?
        for round in 0..<2 {
            let server = BrokerServer(configuration: BrokerConfiguration(dataDirectory: directory, port: 0))
            try await server.start()
            let connection = try await TestConnection(port: try #require(server.localPort))
            if round == 0 {
                try await ProduceFetchTests.create(connection, "retry", partitions: 1)
                let issued = try await connection.call(InitProducerRequest(), as: InitProducerResponse.self)
                #expect(issued.producerID == identity.producerId && issued.producerEpoch == identity.producerEpoch)
            }
            let a = try await ProduceFetchTests.produce(connection, "retry", partition: 0, idempotent)
            let b = try await ProduceFetchTests.produce(connection, "retry", partition: 0, withID, hasMessageIDs: true)
            if let (firstA, firstB) = first {
                #expect(
                    a.baseOffset == firstA.baseOffset && a.lastOffset == firstA.lastOffset,
                    "the retry is not appended"
                )
                #expect(b.offset(ofRecordAt: 0) == firstB.baseOffset, "the message id is remembered")
                let fetched = try await ProduceFetchTests.fetch(connection, "retry", partition: 0, offset: 0)
                #expect(try decodeRecords(fetched.records).count == 3)
            } else {
                first = (a, b)
            }
            try await server.shutdown()
        }
    }
}
