import Broker
import BrokerClient
import BrokerProtocol
import Foundation
import LogStore
import NIOCore
import Testing

/// A batch damaged on disk, fetched through the real protocol from an embedded broker: the fetch
/// answers `offsetsLost` with the lost range, the records around it are served, and the client's
/// `Consumer` steps past the range and says so.
@Suite("Fetching across offsets lost to damage on disk")
struct LostOffsetsFetchTests {
    /// How the damage is found: by a read (a clean restart does not validate old batches), or by
    /// recovery (an unclean stop without a checkpoint validates every segment).
    enum Discovery: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case byRead, byRecovery
        var testDescription: String { rawValue }
    }

    static let batchCount = 40
    static let recordsPerBatch = 5

    /// Fills `orders/0` with 40 batches of 5 records, stops the broker cleanly, and damages batch
    /// 6 of the first segment (a byte its CRC covers).
    /// - Returns: the data directory and the damaged batch's offsets.
    static func prepare(_ discovery: Discovery) async throws -> (directory: String, lost: ClosedRange<Int64>) {
        let directory = NSTemporaryDirectory() + "sluice-lost-offsets-" + UUID().uuidString
        let server = BrokerServer(configuration: configuration(directory))
        try await server.start()
        let connection = try await TestConnection(port: try #require(server.localPort))
        try await ProduceFetchTests.create(connection, "orders", partitions: 1)
        for batch in 0..<batchCount {
            let values = (0..<recordsPerBatch).map {
                "order-\(batch * recordsPerBatch + $0)-" + String(repeating: "x", count: 200)
            }
            let result = try await ProduceFetchTests.produce(connection, "orders", partition: 0, batchBytes(values))
            #expect(result.errorCode == .none)
        }
        try await server.shutdown()

        let partition = directory + "/orders/0"
        let logPath = partition + "/00000000000000000000.log"
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: logPath)))
        // Walk the batches to the damaged one: every batch is 12 bytes plus its length field.
        var position = 0
        for _ in 0..<6 {
            let length = bytes[(position + 8)..<(position + 12)].reduce(0) { $0 << 8 | Int($1) }
            position += length + 12
        }
        let length = bytes[(position + 8)..<(position + 12)].reduce(0) { $0 << 8 | Int($1) }
        #expect(position + length + 12 < bytes.count, "the damaged batch is not the segment's last")
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: logPath))
        try handle.seek(toOffset: UInt64(position + 40))
        try handle.write(contentsOf: [bytes[position + 40] ^ 0xFF])
        try handle.close()
        if discovery == .byRecovery {
            try FileManager.default.removeItem(atPath: partition + "/" + PartitionLog.cleanShutdownFileName)
            try FileManager.default.removeItem(atPath: partition + "/recovery-point")
        }
        let first = Int64(6 * recordsPerBatch)
        return (directory, first...(first + Int64(recordsPerBatch) - 1))
    }

    /// Small segments, so that the log has several.
    static func configuration(_ directory: String) -> BrokerConfiguration {
        var configuration = BrokerConfiguration(dataDirectory: directory, port: 0)
        configuration.topicDefaults.segmentBytes = 16 << 10
        return configuration
    }

    static func value(_ offset: Int64) -> String { "order-\(offset)-" + String(repeating: "x", count: 200) }

    @Test(
        "a fetch at lost offsets answers offsetsLost with the range; the records around it are served",
        arguments: Discovery.allCases
    )
    func fetchAcrossLostOffsets(_ discovery: Discovery) async throws {
        let (directory, lost) = try await Self.prepare(discovery)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = BrokerServer(configuration: Self.configuration(directory))
        try await server.start()
        let connection = try await TestConnection(port: try #require(server.localPort))
        var offset: Int64 = 0
        var received: [Int64: String] = [:]
        var reported: [Range<Int64>] = []
        let end = Int64(Self.batchCount * Self.recordsPerBatch)
        while offset < end {
            let data = try await ProduceFetchTests.fetch(connection, "orders", partition: 0, offset: offset)
            if data.errorCode == .offsetsLost {
                let range = try #require(data.lostOffsets, "\(discovery)")
                #expect(data.records.readableBytes == 0)
                #expect(data.errorMessage?.contains("\(range.lowerBound)..\(range.upperBound - 1)") == true)
                #expect(data.logEndOffset == end)
                reported.append(range)
                offset = range.upperBound
                continue
            }
            #expect(data.errorCode == .none, "\(discovery): \(data.errorMessage ?? "")")
            let records = try decodeRecords(data.records)
            let last = try #require(records.last, "\(discovery): no records at \(offset)")
            for record in records where record.offset >= offset {
                received[record.offset] = String(buffer: record.value!)
            }
            offset = last.offset + 1
        }
        #expect(reported == [lost.lowerBound..<(lost.upperBound + 1)], "\(discovery)")
        let expected = (0..<end).filter { !lost.contains($0) }
        #expect(received.keys.sorted() == expected, "\(discovery)")
        #expect(expected.allSatisfy { received[$0] == Self.value($0) }, "\(discovery)")
        // New records get new offsets, never the lost ones.
        let appended = try await ProduceFetchTests.produce(connection, "orders", partition: 0, batchBytes(["new"]))
        #expect(appended.baseOffset == end, "\(discovery)")
        try await server.shutdown()
    }

    @Test("the Consumer steps past lost offsets, naming them, and goes on", arguments: Discovery.allCases)
    func consumerStepsPastLostOffsets(_ discovery: Discovery) async throws {
        let (directory, lost) = try await Self.prepare(discovery)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = BrokerServer(configuration: Self.configuration(directory))
        try await server.start()
        let connection = BrokerConnection(
            address: BrokerAddress(host: "127.0.0.1", port: try #require(server.localPort))
        )
        try await connection.connect()
        var configuration = ConsumerConfiguration()
        configuration.stopsAtEnd = true
        configuration.partitionMaxBytes = 2048
        let consumer = Consumer(transport: connection, topic: "orders", configuration: configuration)
        var received: [ConsumerRecord] = []
        var gaps: [LostOffsets] = []
        var polls = 0
        while await !consumer.isAtEnd, polls < 1_000 {
            polls += 1
            do {
                received += try await consumer.poll()
            } catch let gap as LostOffsets {
                gaps.append(gap)
            }
        }
        #expect(gaps == [LostOffsets(topic: "orders", partition: 0, offsets: lost)], "\(discovery)")
        #expect(
            gaps.first?.description
                == "lost offsets \(lost.lowerBound)..\(lost.upperBound) of orders/0 (damaged on disk); continuing at \(lost.upperBound + 1)"
        )
        let end = Int64(Self.batchCount * Self.recordsPerBatch)
        #expect(received.map(\.offset) == (0..<end).filter { !lost.contains($0) }, "\(discovery)")
        #expect(received.allSatisfy { String(buffer: $0.value!) == Self.value($0.offset) }, "\(discovery)")
        await connection.close()
        try await server.shutdown()
    }
}
