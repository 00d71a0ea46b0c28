import Broker
import BrokerProtocol
import NIOCore
import Testing

/// The native sibling of a finding of the outside Kafka client (docs/FUZZING.md): a partition that
/// gets no records because earlier partitions used up the fetch's `maxBytes` still reports its
/// `logStartOffset` and `logEndOffset` ("the offset the next record will get", PROTOCOL.md) and
/// `offsetOutOfRange` for an offset outside the log; it answered -1, -1 and no error.
@Suite struct FetchBudgetOffsetsTests {
    @Test func partitionsPastTheBudgetReportTheirOffsetsAndRange() async throws {
        try await withBroker { _, port in
            let connection = try await TestConnection(port: port)
            try await ProduceFetchTests.create(connection, "budget", partitions: 3)
            for partition: Int32 in 0..<3 {
                let result = try await ProduceFetchTests.produce(
                    connection,
                    "budget",
                    partition: partition,
                    batchBytes(["a", "b", "c", "d"])
                )
                #expect(result.errorCode == .none)
            }
            let response = try await connection.call(
                FetchRequest(
                    maxWaitMilliseconds: 0,
                    minBytes: 0,
                    maxBytes: 1,
                    topics: [
                        .init(
                            topic: "budget",
                            partitions: [
                                .init(partition: 0, offset: 0, maxBytes: 1 << 20),
                                .init(partition: 1, offset: 2, maxBytes: 1 << 20),
                                .init(partition: 2, offset: 5, maxBytes: 1 << 20),
                            ]
                        )
                    ]
                ),
                as: FetchResponse.self
            )
            let partitions = try #require(response.topics.first?.partitions)
            try #require(partitions.count == 3)
            #expect(partitions[0].records.readableBytes > 0)
            #expect(partitions[1].errorCode == .none)
            #expect(partitions[1].records.readableBytes == 0)
            #expect(partitions[1].logStartOffset == 0)
            #expect(partitions[1].logEndOffset == 4)
            #expect(partitions[2].errorCode == .offsetOutOfRange)
            #expect(partitions[2].logEndOffset == 4)
        }
    }
}
