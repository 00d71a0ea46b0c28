import KafkaProtocol
import NIOCore
import Testing

@testable import Broker

/// The Kafka listener's connection bounds: in-flight bytes, idle timeout, graceful shutdown.
@Suite struct KafkaListenerLimitsTests {
    @Test func anIdleConnectionIsClosed() async throws {
        try await withKafkaBroker({ $0.idleTimeoutMilliseconds = 200 }) { _, _, kafkaPort in
            // Nothing sent: the connection is idle from the start (a request could race the short
            // timeout on a loaded machine).
            let connection = try await KafkaTestConnection(port: kafkaPort)
            try await connection.waitUntilClosed()
        }
    }

    @Test func pipelinedFetchesStayWithinTheInFlightBytesLimit() async throws {
        let limit = 64 << 10
        try await withKafkaBroker({ $0.limits.maxInFlightBytesPerConnection = limit }) {
            server,
            nativePort,
            kafkaPort in
            try await createTopic("wide", partitions: 1, nativePort: nativePort)
            let consumer = try await KafkaTestConnection(port: kafkaPort)
            var fetch = KafkaListenerProduceFetchTests.fetchRequest(
                topic: "wide",
                offset: 0,
                maxWaitMs: 60_000,
                minBytes: 1
            )
            fetch.maxBytes = 32 << 10  // each reserves over half the limit: one at a time
            var ids: [Int32] = []
            for _ in 0..<6 { ids.append(try await consumer.send(fetch, version: 11)) }
            let producer = try await KafkaTestConnection(port: kafkaPort)
            _ = try await producer.call(
                KafkaListenerProduceFetchTests.produceRequest(topic: "wide", records: batchBytes(["x"])),
                version: 8,
                as: KafkaProduceResponse.self
            )
            for id in ids {
                let response = try await consumer.response(KafkaFetchResponse.self, version: 11, correlationID: id)
                let records = try #require(response.topics.first?.partitions.first?.records)
                #expect(try decodeRecords(records).count == 1)
            }
            let port = try #require(consumer.channel.localAddress?.port)
            let load = try #require(server.connectionLoad(peerPort: port)?.snapshot)
            #expect(load.peakInFlightBytes > 32 << 10)
            #expect(load.peakInFlightBytes <= limit)
        }
    }

    @Test func aGracefulShutdownAnswersTheRequestsInFlight() async throws {
        try await withKafkaBroker { server, nativePort, kafkaPort in
            try await createTopic("quiet", partitions: 1, nativePort: nativePort)
            let consumer = try await KafkaTestConnection(port: kafkaPort)
            let id = try await consumer.send(
                KafkaListenerProduceFetchTests.fetchRequest(topic: "quiet", offset: 0, maxWaitMs: 60_000, minBytes: 1),
                version: 11
            )
            // Once the fetch is long-polling (its bytes reserved), the shutdown ends the poll and
            // the answer goes out before the connection closes.
            let port = try #require(consumer.channel.localAddress?.port)
            for _ in 0..<2_000 where (server.connectionLoad(peerPort: port)?.snapshot.inFlightBytes ?? 0) == 0 {
                try await Task.sleep(for: .milliseconds(5))
            }
            #expect((server.connectionLoad(peerPort: port)?.snapshot.inFlightBytes ?? 0) > 0)
            try await server.shutdown()
            let response = try await consumer.response(KafkaFetchResponse.self, version: 11, correlationID: id)
            #expect(response.topics.first?.partitions.first?.errorCode == KafkaErrorCode.none)
            try await consumer.waitUntilClosed()
        }
    }
}
