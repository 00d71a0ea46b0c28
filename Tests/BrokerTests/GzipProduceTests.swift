import Broker
import BrokerClient
import BrokerProtocol
import Foundation
import LogStore
import NIOCore
import RecordCodec
import Testing

/// gzip batches through the native protocol: stored as sent, read back by the client consumer and
/// by a consumer group (delivery, ack, dead letter); refused with a clear error when Sluice could
/// not read them back.
@Suite("gzip batches through the broker")
struct GzipProduceTests {
    typealias P = ProduceFetchTests

    static func records(_ values: [String], key: String? = nil) -> [Record] {
        values.enumerated().map { index, value in
            Record(
                key: key.map { ByteBuffer(string: $0) },
                value: ByteBuffer(string: value),
                headers: [RecordHeader(key: "n", value: ByteBuffer(string: "\(index)"))],
                timestamp: currentTimeMilliseconds() - Int64(values.count - index)
            )
        }
    }

    static func gzipBatch(_ values: [String], key: String? = nil) throws -> ByteBuffer {
        try RecordBatch(records: records(values, key: key), compression: .gzip).buffer
    }

    @Test("a gzip batch is stored as sent and the client consumer reads its records at baseOffset + delta")
    func storedAsSentAndConsumed() async throws {
        try await withBroker { _, port in
            let connection = try await TestConnection(port: port)
            try await P.create(connection, "zipped", partitions: 1)
            let plain = RecordBatch(records: Self.records(["p0"])).buffer
            let first = try await P.produce(connection, "zipped", partition: 0, plain)
            #expect(first.errorCode == .none, "\(first.errorMessage ?? "")")
            let sent = try Self.gzipBatch((0..<50).map { "compressed value \($0 % 5)" })
            let result = try await P.produce(connection, "zipped", partition: 0, sent)
            #expect(result.errorCode == .none, "\(result.errorMessage ?? "")")
            #expect(result.baseOffset == 1 && result.lastOffset == 50)

            // The stored batch is the sent bytes but for baseOffset (outside the CRC).
            let batches = try await ProduceSupport.fetchBatches(connection, "zipped")
            try #require(batches.count == 2)
            #expect(batches[1].compression == .gzip)
            #expect(batches[1].buffer.readableBytesView.dropFirst(8).elementsEqual(sent.readableBytesView.dropFirst(8)))
            #expect(batches[1].baseOffset == 1)

            let client = BrokerConnection(address: BrokerAddress(host: "127.0.0.1", port: port))
            var configuration = ConsumerConfiguration()
            configuration.stopsAtEnd = true
            let consumer = Consumer(transport: client, topic: "zipped", configuration: configuration)
            var received: [ConsumerRecord] = []
            for try await record in consumer.records() { received.append(record) }
            #expect(received.map(\.offset) == Array(0...50))
            #expect(received.first.map { String(buffer: $0.value!) } == "p0")
            for record in received.dropFirst() {
                let index = Int(record.offset - 1)
                #expect(String(buffer: record.value!) == "compressed value \(index % 5)")
                #expect(record.headers.first.map { String(buffer: $0.value!) } == "\(index)")
            }
            await client.close()
        }
    }

    @Test("gzip batches Sluice could not read back are refused, and nothing is appended")
    func hostileBatchesRefused() async throws {
        try await withBroker({ $0.limits.maxDecompressedBatchBytes = 64 << 10 }) { _, port in
            let connection = try await TestConnection(port: port)
            try await P.create(connection, "hostile", partitions: 1)
            let good = try RecordBatch(records: Self.records(["a", "b", "c"]), compression: .gzip)
            var goodBytes = Array(good.buffer.readableBytesView)
            func sealed(_ bytes: [UInt8]) -> ByteBuffer {
                var copy = bytes
                let length = Int32(copy.count - RecordBatch.logOverhead)
                withUnsafeBytes(of: length.bigEndian) { copy.replaceSubrange(8..<12, with: $0) }
                let crc = copy[21...].withUnsafeBytes { CRC32C.checksum($0) }
                withUnsafeBytes(of: crc.bigEndian) { copy.replaceSubrange(17..<21, with: $0) }
                return ByteBuffer(bytes: copy)
            }
            let trailing = sealed(goodBytes + [0, 0, 0])
            let truncated = sealed(Array(goodBytes.dropLast(4)))
            goodBytes[22] = (goodBytes[22] & 0xF8) | 3
            let lz4 = sealed(goodBytes)
            // 1 MiB of one repeated record inflates past the 64 KiB limit configured above.
            let bomb = try RecordBatch(
                records: (0..<1_000).map { _ in
                    Record(value: ByteBuffer(repeating: 7, count: 1_000), timestamp: currentTimeMilliseconds())
                },
                compression: .gzip
            ).buffer
            #expect(bomb.readableBytes < 64 << 10)
            let cases: [(String, ByteBuffer, ErrorCode, String)] = [
                ("bytes after the gzip stream", trailing, .corruptRecordBatch, "follow the end of the gzip stream"),
                ("a cut-short gzip stream", truncated, .corruptRecordBatch, "gzip"),
                ("lz4", lz4, .corruptRecordBatch, "lz4 compression (codec 3)"),
                ("a zip bomb", bomb, .recordBatchTooLarge, "more than 65536 bytes (maxDecompressedBatchBytes)"),
            ]
            for (name, bytes, code, text) in cases {
                let result = try await P.produce(connection, "hostile", partition: 0, bytes)
                #expect(result.errorCode == code, "\(name): \(result.errorCode) \(result.errorMessage ?? "")")
                #expect(result.errorMessage?.contains(text) == true, "\(name): \(result.errorMessage ?? "")")
            }
            let end = try await P.fetch(connection, "hostile", partition: 0, offset: 0).logEndOffset
            #expect(end == 0, "nothing of the refused batches is in the log")
        }
    }

    @Test("a consumer group delivers the records of a gzip batch, takes acks, and dead-letters a rejected one")
    func groupDeliveryAndDeadLetter() async throws {
        try await withBroker { server, port in
            let connection = try await TestConnection(port: port)
            try await P.create(connection, "orders", partitions: 1)
            let values = (0..<20).map { "order \($0)" }
            let result = try await P.produce(connection, "orders", partition: 0, try Self.gzipBatch(values))
            #expect(result.errorCode == .none, "\(result.errorMessage ?? "")")
            try await BrokerConnection.withConnection(to: BrokerAddress(host: "127.0.0.1", port: port)) { client in
                var configuration = GroupConsumerConfiguration()
                configuration.startAtEarliest = true
                let consumer = GroupConsumer(
                    connection: client,
                    group: "billing",
                    topics: ["orders"],
                    configuration: configuration
                )
                var seen: [Int64: String] = [:]
                for try await message in consumer.messages() {
                    let value = message.record.valueString ?? ""
                    seen[message.record.offset] = value
                    if value == "order 7" {
                        try await message.reject(reason: "poison")
                    } else {
                        try await message.ack()
                    }
                    if seen.count == values.count { break }
                }
                #expect(seen == Dictionary(uniqueKeysWithValues: values.enumerated().map { (Int64($0), $1) }))
                let letters = try await readTopic("dlq.billing.orders", port: port, server: server, atLeast: 1)
                #expect(letters.map(\.valueString) == ["order 7"])
                let group = try await Admin(transport: client).describeGroup("billing")
                #expect(group.partitions.reduce(0) { $0 + $1.lag } == 0, "all settled: \(group.partitions)")
                try await consumer.leave()
            }
        }
    }
}
