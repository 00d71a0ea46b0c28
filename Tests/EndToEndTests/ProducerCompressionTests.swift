import Foundation
import NIOCore
import RecordCodec
import Testing

/// `producer --compression gzip` against brokerd: the stored batches are gzip, and `consumer` prints
/// every message back.
@Suite("producer --compression gzip end to end")
struct ProducerCompressionTests {
    @Test("messages sent gzip-compressed are stored as gzip batches and come back through consumer")
    func gzipRoundTrip() async throws {
        let directory = try TemporaryDirectory()
        let broker = try await BrokerdProcess(dataDirectory: directory.path + "/data")
        let created = try await runTool(
            "brokerctl",
            ["--broker", broker.address, "topics", "create", "zipped", "--partitions", "3"]
        )
        #expect(created.status == 0, "\(created.standardError)")
        let lines = (0..<300).map { "order-\($0 % 7):an order line that repeats \($0 % 3)" }
        let produced = try await runTool(
            "producer",
            ["--broker", broker.address, "--topic", "zipped", "--compression", "gzip", "--key-separator", ":"],
            input: lines.joined(separator: "\n") + "\n"
        )
        #expect(produced.status == 0, "\(produced.standardError)")
        #expect(produced.lines.count == lines.count)

        let records = try await BrokerdTests.consumeAll(broker.address, topic: "zipped")
        let pairs = records.compactMap { record -> String? in
            guard let key = record["key"] as? String, let value = record["value"] as? String else { return nil }
            return "\(key):\(value)"
        }
        #expect(pairs.sorted() == lines.sorted())
        await #expect(try broker.stop(signal: SIGTERM) == 0)

        // Every stored batch is gzip and holds the records it announces.
        let topic = directory.path + "/data/zipped"
        var batches: [RecordBatch] = []
        for partition in try FileManager.default.contentsOfDirectory(atPath: topic) where Int(partition) != nil {
            let path = "\(topic)/\(partition)"
            for name in try FileManager.default.contentsOfDirectory(atPath: path) where name.hasSuffix(".log") {
                var bytes = ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: "\(path)/\(name)")))
                while let batch = try RecordBatch.next(from: &bytes) { batches.append(batch) }
            }
        }
        #expect(!batches.isEmpty)
        #expect(batches.allSatisfy { $0.compression == .gzip }, "\(batches.map(\.compressionCodec))")
        #expect(try batches.reduce(0) { $0 + (try $1.records().count) } == lines.count)
    }
}
