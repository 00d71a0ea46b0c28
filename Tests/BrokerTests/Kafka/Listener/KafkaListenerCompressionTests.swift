import Broker
import KafkaProtocol
import NIOCore
import RecordCodec
import Testing

/// Compressed batches through the Kafka listener: gzip is stored as sent and fetched byte for
/// byte; a codec Sluice does not read is UNSUPPORTED_COMPRESSION_TYPE and nothing is appended.
@Suite struct KafkaListenerCompressionTests {
    static func records(_ values: [String]) -> [Record] {
        values.map { Record(key: ByteBuffer(string: "k"), value: ByteBuffer(string: $0), timestamp: 1_000) }
    }

    @Test func gzipBatchesAreStoredAsSentAndFetchedByteForByte() async throws {
        try await withKafkaBroker { _, nativePort, kafkaPort in
            try await createTopic("zipped", partitions: 1, nativePort: nativePort)
            let connection = try await KafkaTestConnection(port: kafkaPort)
            let gzip = try RecordBatch(records: Self.records(["a", "b", "c"]), compression: .gzip).buffer
            let produced = try await connection.call(
                KafkaListenerProduceFetchTests.produceRequest(topic: "zipped", records: gzip),
                version: 8,
                as: KafkaProduceResponse.self
            )
            #expect(produced.topics.first?.partitions.first?.errorCode == KafkaErrorCode.none)
            let fetched = try await connection.call(
                KafkaListenerProduceFetchTests.fetchRequest(topic: "zipped", offset: 0),
                version: 11,
                as: KafkaFetchResponse.self
            )
            let partition = try #require(fetched.topics.first?.partitions.first)
            #expect(partition.highWatermark == 3)
            #expect(partition.records == gzip, "the gzip batch is served as it was sent")
            #expect(
                try decodeRecords(try #require(partition.records)).map { String(buffer: $0.value!) } == ["a", "b", "c"]
            )
        }
    }

    @Test(arguments: [Int16(2), 3, 4, 7])
    func otherCodecsAreUnsupportedCompressionTypeAndNothingIsStored(codec: Int16) async throws {
        try await withKafkaBroker { _, nativePort, kafkaPort in
            try await createTopic("zipped", partitions: 1, nativePort: nativePort)
            let connection = try await KafkaTestConnection(port: kafkaPort)
            // A valid batch after one that claims the codec: the whole entry is refused.
            var claimed = batchBytes(["x"])
            let attributes = claimed.getInteger(at: claimed.readerIndex + 21, as: Int16.self)!
            claimed.setInteger((attributes & ~0x7) | codec, at: claimed.readerIndex + 21)
            var records = batchBytes(["plain"])
            records.writeImmutableBuffer(claimed)
            let produced = try await connection.call(
                KafkaListenerProduceFetchTests.produceRequest(topic: "zipped", records: records),
                version: 8,
                as: KafkaProduceResponse.self
            )
            let partition = try #require(produced.topics.first?.partitions.first)
            #expect(partition.errorCode == .unsupportedCompressionType)
            #expect(partition.errorMessage?.contains("codec \(codec)") == true)
            let fetched = try await connection.call(
                KafkaListenerProduceFetchTests.fetchRequest(topic: "zipped", offset: 0),
                version: 11,
                as: KafkaFetchResponse.self
            )
            #expect(fetched.topics.first?.partitions.first?.highWatermark == 0, "nothing of the entry was appended")
        }
    }
}
