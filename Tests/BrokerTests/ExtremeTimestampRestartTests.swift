import Broker
import BrokerProtocol
import Foundation
import LogStore
import NIOCore
import RecordCodec
import Testing

/// Records stamped at the ends of `Int64` already on disk (written by an older version): the broker
/// restarts, rebuilds its state and takes produces on top of them.
@Suite("Broker restart with extreme timestamps on disk")
struct ExtremeTimestampRestartTests {
    @Test("a restart over records stamped Int64.min or Int64.max keeps serving", arguments: [Int64.min, .max, -1])
    func restartOverExtremeTimestamps(timestamp: Int64) async throws {
        let directory = NSTemporaryDirectory() + "sluice-extreme-timestamps-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configuration = BrokerConfiguration(dataDirectory: directory, port: 0)
        var server = BrokerServer(configuration: configuration)
        try await server.start()
        var connection = try await TestConnection(port: try #require(server.localPort))
        try await ProduceFetchTests.create(connection, "orders", partitions: 1)
        try await server.shutdown()

        // Written as an older version would have: the segment's first batch carries the extreme
        // timestamp (the roll-by-age clock of the segment after a restart), and so does a record
        // with a message id (which state recovery reads back).
        let now = currentTimeMilliseconds()
        let scheduler = FlushScheduler()
        defer { scheduler.shutdown() }
        let log = try PartitionLog.open(directory: directory + "/orders/0", scheduler: scheduler)
        try log.append(RecordBatch(records: [Record(value: ByteBuffer(string: "old"), timestamp: timestamp)]))
        let header = RecordHeader(key: ProduceRequest.messageIDHeader, value: ByteBuffer(string: "id-1"))
        try log.append(
            RecordBatch(records: [Record(value: ByteBuffer(string: "with-id"), headers: [header], timestamp: timestamp)]
            )
        )
        try log.append(RecordBatch(records: [Record(value: ByteBuffer(string: "recent"), timestamp: now)]))
        try log.close()

        server = BrokerServer(configuration: configuration)
        try await server.start()
        connection = try await TestConnection(port: try #require(server.localPort))
        let plain = try await ProduceFetchTests.produce(connection, "orders", partition: 0, batchBytes(["new"]))
        #expect(plain.errorCode == .none && plain.baseOffset == 3, "\(plain.errorMessage ?? "")")
        let withID = RecordBatch(records: [
            Record(value: ByteBuffer(string: "again"), headers: [header], timestamp: now)
        ]).buffer
        let repeated = try await ProduceFetchTests.produce(
            connection,
            "orders",
            partition: 0,
            withID,
            hasMessageIDs: true
        )
        #expect(repeated.errorCode == .none, "\(repeated.errorMessage ?? "")")
        let fetched = try await ProduceFetchTests.fetch(connection, "orders", partition: 0, offset: 0)
        #expect(try decodeRecords(fetched.records).first?.timestamp == timestamp)
        try await server.shutdown()
    }
}
