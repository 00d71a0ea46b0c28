import Broker
import BrokerProtocol
import Foundation
import LogStore
import NIOCore
import RecordCodec
import Testing

@Suite("A partly deduplicated batch retried across a restart")
struct PartlyStoredRetryTests {
    typealias S = ProduceSupport

    @Test("the retry is answered from the log and the message ids: every offset holds its record, nothing is appended")
    func retryAfterRestart() async throws {
        let directory = NSTemporaryDirectory() + "sluice-partly-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var id: InitProducerResponse?
        var firstAnswer: ProduceResponse.PartitionResult?
        let values = ["x again", "y", "no id", "z"]
        func mixed(_ issued: InitProducerResponse) -> ByteBuffer {
            RecordBatch(
                records: [
                    S.record("x", values[0]), S.record("y", values[1]), S.record(nil, values[2]),
                    S.record("z", values[3]),
                ],
                producer: S.identity(issued, 1)
            ).buffer
        }
        for round in 0..<2 {
            let server = BrokerServer(configuration: BrokerConfiguration(dataDirectory: directory, port: 0))
            try await server.start()
            do {
                let connection = try await TestConnection(port: try #require(server.localPort))
                if round == 0 {
                    try await ProduceFetchTests.create(connection, "partly", partitions: 1)
                    let issued = try await S.initProducer(connection)
                    id = issued
                    _ = try await ProduceFetchTests.produce(
                        connection,
                        "partly",
                        partition: 0,
                        RecordBatch(records: [S.record("x", "x")], producer: S.identity(issued, 0)).buffer,
                        hasMessageIDs: true
                    )
                    firstAnswer = try await ProduceFetchTests.produce(
                        connection,
                        "partly",
                        partition: 0,
                        mixed(issued),
                        hasMessageIDs: true
                    )
                } else {
                    let retry = try await ProduceFetchTests.produce(
                        connection,
                        "partly",
                        partition: 0,
                        mixed(try #require(id)),
                        hasMessageIDs: true
                    )
                    let records = try await S.fetchAll(connection, "partly")
                    #expect(records.map { String(buffer: $0.value!) } == ["x", "y", "no id", "z"])
                    S.expectOffsetsHold(retry, values: ["x", "y", "no id", "z"], in: records)
                    #expect(retry.recordOffsets == firstAnswer?.recordOffsets)
                }
                try await server.shutdown()
            } catch {
                try? await server.shutdown()
                throw error
            }
        }
    }
}
