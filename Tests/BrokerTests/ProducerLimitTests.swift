import BrokerProtocol
import RecordCodec
import Testing

@testable import Broker

/// `BrokerLimits.maxProducersPerPartition` (`brokerd --max-producers-per-partition`) at its edge,
/// through the protocol: a partition remembers that many idempotent producers; one more makes it
/// forget the least recently used, whose retry is then stored again (documented in PROTOCOL.md:
/// idempotence holds for the producers a partition remembers).
@Suite("the producers remembered per partition")
struct ProducerLimitTests {
    private typealias S = ProduceSupport

    @Test(
        "three producers: at a limit of 3 the first one's retry is deduplicated, at 2 it is stored again",
        arguments: [3, 2]
    )
    func leastRecentlyUsedProducerIsForgotten(limit: Int) async throws {
        try await withBroker({ $0.limits.maxProducersPerPartition = limit }) { _, port in
            let connection = try await TestConnection(port: port)
            try await ProduceFetchTests.create(connection, "p", partitions: 1)
            var producers: [InitProducerResponse] = []
            for _ in 0..<3 { producers.append(try await S.initProducer(connection)) }
            func send(_ producer: Int, _ value: String) async throws -> ProduceResponse.PartitionResult {
                try await ProduceFetchTests.produce(
                    connection,
                    "p",
                    partition: 0,
                    RecordBatch(records: [S.record(nil, value)], producer: S.identity(producers[producer], 0)).buffer
                )
            }
            for (producer, value) in ["a", "b", "c"].enumerated() {
                let result = try await send(producer, value)
                #expect(result.errorCode == .none && result.baseOffset == Int64(producer))
            }
            // The first producer's batch again (a retry after a lost answer).
            let retry = try await send(0, "a")
            #expect(retry.errorCode == .none)
            let values = try await S.fetchAll(connection, "p").map { String(buffer: $0.value!) }
            if limit >= 3 {
                #expect(retry.baseOffset == 0, "answered with the offset it has")
                #expect(values == ["a", "b", "c"])
            } else {
                #expect(retry.baseOffset == 3, "forgotten, so stored as new")
                #expect(values == ["a", "b", "c", "a"])
            }
        }
    }
}
