import Broker
import BrokerProtocol
import Foundation
import LogStore
import NIOCore
import RecordCodec
import Testing

@Suite("Partition -1 with message ids")
struct MessageIDRoutingTests {
    typealias S = ProduceSupport

    @Test("a partition -1 entry whose ids belong to different partitions is refused, so no retry can miss")
    func idsOfDifferentPartitions() async throws {
        try await withBroker { _, port in
            let connection = try await TestConnection(port: port)
            try await ProduceFetchTests.create(connection, "routed", partitions: 4)
            let ids = (0..<64).map { "order-\($0)" }
            let home = { (id: String) in Partitioner.partition(forKey: Array(id.utf8), partitionCount: 4) }
            let first = try #require(ids.first)
            let other = try #require(ids.first { home($0) != home(first) })
            let sameHome = try #require(ids.dropFirst().first { home($0) == home(first) })
            let both = try await ProduceFetchTests.produce(
                connection,
                "routed",
                partition: -1,
                RecordBatch(records: [S.record(first, "1"), S.record(other, "2")]).buffer,
                hasMessageIDs: true
            )
            if both.errorCode == .none {
                // Had it been accepted, a retry of the second message alone must still be recognised.
                let retry = try await ProduceFetchTests.produce(
                    connection,
                    "routed",
                    partition: -1,
                    RecordBatch(records: [S.record(other, "2 again")]).buffer,
                    hasMessageIDs: true
                )
                #expect(retry.partition == both.partition && retry.offset(ofRecordAt: 0) == both.offset(ofRecordAt: 1))
            } else {
                #expect(both.errorCode == .invalidRequest)
            }
            // Ids of one partition may share an entry, and each is recognised alone afterwards.
            let together = try await ProduceFetchTests.produce(
                connection,
                "routed",
                partition: -1,
                RecordBatch(records: [S.record(first, "1"), S.record(sameHome, "3")]).buffer,
                hasMessageIDs: true
            )
            #expect(together.errorCode == .none && together.partition == home(first))
            let alone = try await ProduceFetchTests.produce(
                connection,
                "routed",
                partition: -1,
                RecordBatch(records: [S.record(sameHome, "3 again")]).buffer,
                hasMessageIDs: true
            )
            #expect(
                alone.partition == together.partition && alone.offset(ofRecordAt: 0) == together.offset(ofRecordAt: 1)
            )
        }
    }
}
