import Broker
import Foundation
import KafkaProtocol
import NIOCore
import Testing

/// A Kafka fetch at offsets lost to damage on disk: Kafka has no "offsets lost" answer, so the
/// listener serves the records after the lost range (as Kafka serves the batches after a gap in a
/// compacted log), and the client steps over the gap.
@Suite struct KafkaListenerLostOffsetsTests {
    @Test func aFetchAtLostOffsetsServesTheRecordsAfterThem() async throws {
        let (directory, lost) = try await LostOffsetsFetchTests.prepare(.byRead)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = LostOffsetsFetchTests.configuration(directory)
        configuration.kafkaListener = KafkaListenerConfiguration(host: "127.0.0.1", port: 0)
        try await BrokerServer.withServer(configuration: configuration) { server in
            let connection = try await KafkaTestConnection(port: try #require(server.kafkaLocalPort))
            let response = try await connection.call(
                KafkaListenerProduceFetchTests.fetchRequest(topic: "orders", offset: lost.lowerBound),
                version: 11,
                as: KafkaFetchResponse.self
            )
            let partition = try #require(response.topics.first?.partitions.first)
            #expect(partition.errorCode == .none)
            let records = try #require(partition.records)
            // The first batch's base offset: the first offset after the lost range.
            #expect(records.getInteger(at: records.readerIndex, as: Int64.self) == lost.upperBound + 1)
            let values = try decodeRecords(records).map { String(buffer: $0.value!) }
            #expect(values.first == LostOffsetsFetchTests.value(lost.upperBound + 1))
        }
    }
}
