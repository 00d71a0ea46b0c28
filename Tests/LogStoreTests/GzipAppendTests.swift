import NIOCore
import RecordCodec
import Testing

@testable import LogStore

/// gzip batches in the storage engine: stored as given, read back, and refused past
/// `LogConfiguration.maxDecompressedBatchBytes`.
@Suite("gzip batches in the log")
struct GzipAppendTests {
    static let records = (0..<30).map {
        Record(value: ByteBuffer(string: "row \($0 % 3) of the same table"), timestamp: 5)
    }

    @Test("a gzip batch is stored byte for byte (but baseOffset) and its records read back")
    func storedAsGiven() throws {
        try withStorageFixture { fixture in
            let log = try fixture.open()
            defer { try? log.close() }
            try log.append(RecordBatch(records: [Record(value: ByteBuffer(string: "first"), timestamp: 5)]))
            let batch = try RecordBatch(records: Self.records, compression: .gzip)
            let result = try log.append(batch)
            #expect(result.firstOffset == 1 && result.lastOffset == 30)
            let read = try log.read(from: 1, maxBytes: 1 << 20)
            let stored = try #require(read.batches.last)
            #expect(stored.compression == .gzip)
            #expect(
                stored.buffer.readableBytesView.dropFirst(8).elementsEqual(batch.buffer.readableBytesView.dropFirst(8))
            )
            #expect(try stored.records().map(\.offset) == Array(1...30))
        }
    }

    @Test("maxDecompressedBatchBytes: the exact size appends, one byte less is decompressedTooLarge")
    func limitEdge() throws {
        let size = RecordBatch(records: Self.records).sizeInBytes - RecordBatch.headerSize
        let batch = try RecordBatch(records: Self.records, compression: .gzip)
        try withStorageFixture { fixture in
            var configuration = LogConfiguration()
            configuration.maxDecompressedBatchBytes = size - 1
            let log = try fixture.open(configuration)
            let error = #expect(throws: LogStoreError.self) { try log.append(batch) }
            #expect(error?.code == .decompressedTooLarge)
            #expect(error?.message.contains("more than \(size - 1) bytes") == true, "\(String(describing: error))")
            #expect(log.logEndOffset == 0)
            try log.close()
            configuration.maxDecompressedBatchBytes = size
            let reopened = try fixture.open(configuration)
            defer { try? reopened.close() }
            #expect(try reopened.append(batch).lastOffset == 29)
        }
    }

    @Test("a time lookup reads inside a gzip batch, with the log's decompressed limit")
    func timeLookup() throws {
        let records = (0..<20).map { Record(value: ByteBuffer(string: "at \($0)"), timestamp: 1_000 + Int64($0) * 10) }
        let batch = try RecordBatch(records: records, compression: .gzip)
        try withStorageFixture { fixture in
            var configuration = LogConfiguration()
            configuration.maxDecompressedBatchBytes = 1 << 10
            let log = try fixture.open(configuration)
            defer { try? log.close() }
            try log.append(batch)
            #expect(try log.offset(atOrAfterTimestamp: 1_095) == 10)
            #expect(try log.offset(atOrAfterTimestamp: 1_000) == 0)
            #expect(try log.offset(atOrAfterTimestamp: 1_191) == nil)
        }
    }

    @Test("a negative maxDecompressedBatchBytes is an invalid configuration")
    func negativeLimit() {
        var configuration = LogConfiguration()
        configuration.maxDecompressedBatchBytes = -1
        let error = #expect(throws: LogStoreError.self) { try configuration.validate() }
        #expect(error?.code == .invalidConfiguration)
    }
}
