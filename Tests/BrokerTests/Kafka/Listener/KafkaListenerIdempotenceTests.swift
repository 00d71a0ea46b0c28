import Broker
import KafkaProtocol
import NIOCore
import RecordCodec
import Testing

/// InitProducerId and idempotent produce through the Kafka listener: Sluice's own producer ids,
/// epochs and sequence checks, answered with Kafka's codes.
@Suite struct KafkaListenerIdempotenceTests {
    static func produce(
        _ connection: KafkaTestConnection,
        _ records: ByteBuffer
    ) async throws -> KafkaProduceResponse.Partition {
        let response = try await connection.call(
            KafkaListenerProduceFetchTests.produceRequest(topic: "idem", acks: -1, records: records),
            version: 8,
            as: KafkaProduceResponse.self
        )
        return try #require(response.topics.first?.partitions.first)
    }

    @Test(arguments: [Int16(0), 1])
    func idempotentProducerRetriesAreDeduplicatedAndGapsRefused(version: Int16) async throws {
        try await withKafkaBroker { _, nativePort, kafkaPort in
            try await createTopic("idem", partitions: 1, nativePort: nativePort)
            let connection = try await KafkaTestConnection(port: kafkaPort)
            let initialized = try await connection.call(
                KafkaInitProducerIDRequest(transactionTimeoutMs: 60_000),
                version: version,
                as: KafkaInitProducerIDResponse.self
            )
            #expect(initialized.errorCode == .none)
            #expect(initialized.producerID >= 0)
            let id = initialized.producerID
            let epoch = initialized.producerEpoch
            func batch(_ values: [String], sequence: Int32, producerID: Int64 = id) -> ByteBuffer {
                batchBytes(
                    values,
                    producer: ProducerIdentity(producerId: producerID, producerEpoch: epoch, baseSequence: sequence)
                )
            }
            let first = try await Self.produce(connection, batch(["a", "b"], sequence: 0))
            #expect(first.errorCode == .none)
            #expect(first.baseOffset == 0)
            // A retry of the same batch (lost answer) gets the first answer, nothing appended twice.
            let retry = try await Self.produce(connection, batch(["a", "b"], sequence: 0))
            #expect(retry.errorCode == .none)
            #expect(retry.baseOffset == 0)
            let next = try await Self.produce(connection, batch(["c"], sequence: 2))
            #expect(next.baseOffset == 2)
            let gap = try await Self.produce(connection, batch(["e"], sequence: 9))
            #expect(gap.errorCode == .outOfOrderSequenceNumber)
            let stranger = try await Self.produce(connection, batch(["f"], sequence: 0, producerID: id + 1_000_000))
            #expect(stranger.errorCode == .unknownProducerID)
        }
    }

    @Test func transactionalProducersAreRefused() async throws {
        try await withKafkaBroker { _, _, kafkaPort in
            let connection = try await KafkaTestConnection(port: kafkaPort)
            let response = try await connection.call(
                KafkaInitProducerIDRequest(transactionalID: "tx", transactionTimeoutMs: 60_000),
                version: 1,
                as: KafkaInitProducerIDResponse.self
            )
            #expect(response.errorCode == .transactionalIDAuthorizationFailed)
        }
    }
}
