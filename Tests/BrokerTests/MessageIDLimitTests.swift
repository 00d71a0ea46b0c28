import Broker
import BrokerProtocol
import Foundation
import LogStore
import NIOCore
import RecordCodec
import Testing

@Suite("Message-id limits through the protocol")
struct MessageIDLimitTests {
    typealias S = ProduceSupport

    @Test("an id longer than maxMessageIDBytes fails its entry with invalidRequest naming the limit")
    func idTooLong() async throws {
        try await withBroker({ $0.limits.maxMessageIDBytes = 16 }) { _, port in
            let connection = try await TestConnection(port: port)
            try await ProduceFetchTests.create(connection, "long", partitions: 1)
            let fits = try await ProduceFetchTests.produce(
                connection,
                "long",
                partition: 0,
                RecordBatch(records: [S.record(id: Array(repeating: 7, count: 16), "ok")]).buffer,
                hasMessageIDs: true
            )
            #expect(fits.errorCode == .none)
            let refused = try await ProduceFetchTests.produce(
                connection,
                "long",
                partition: 0,
                S.entry([
                    RecordBatch(records: [S.record("short", "fine")]).buffer,
                    RecordBatch(records: [S.record(id: Array(repeating: 7, count: 17), "too long")]).buffer,
                ]),
                hasMessageIDs: true
            )
            #expect(refused.errorCode == .invalidRequest)
            #expect(refused.errorMessage?.contains("maxMessageIDBytes") == true, "\(refused.errorMessage ?? "")")
            #expect(try await S.fetchAll(connection, "long").count == 1, "nothing of the refused entry was appended")
        }
    }

    @Test("when maxMessageIDBytesPerPartition is reached the oldest ids are forgotten, the newest still deduplicate")
    func memoryBoundedByBytes() async throws {
        // Room for three 8-byte ids.
        try await withBroker({ $0.limits.maxMessageIDBytesPerPartition = 3 * (8 + 96) }) { _, port in
            let connection = try await TestConnection(port: port)
            try await ProduceFetchTests.create(connection, "bounded", partitions: 1)
            let ids = (0..<4).map { "id-\($0)----".prefix(8) }.map(String.init)
            for id in ids {
                _ = try await ProduceFetchTests.produce(
                    connection,
                    "bounded",
                    partition: 0,
                    RecordBatch(records: [S.record(id, id)]).buffer,
                    hasMessageIDs: true
                )
            }
            let newest = try await ProduceFetchTests.produce(
                connection,
                "bounded",
                partition: 0,
                RecordBatch(records: [S.record(ids[3], "again")]).buffer,
                hasMessageIDs: true
            )
            #expect(newest.offset(ofRecordAt: 0) == 3, "the newest id is still remembered")
            let oldest = try await ProduceFetchTests.produce(
                connection,
                "bounded",
                partition: 0,
                RecordBatch(records: [S.record(ids[0], "again")]).buffer,
                hasMessageIDs: true
            )
            #expect(oldest.offset(ofRecordAt: 0) == 4, "the oldest id was forgotten to stay under the limit")
        }
    }
}
