import BrokerProtocol
import Foundation
import LogStore
import NIOCore
import RecordCodec
import Testing

/// Helpers for the produce tests: records with message ids, multi-batch entries, hand-made
/// batches.
enum ProduceSupport {
    /// A record whose message id is `id`'s bytes.
    static func record(id: [UInt8]?, _ value: String, timestamp: Int64 = currentTimeMilliseconds()) -> Record {
        Record(
            value: ByteBuffer(string: value),
            headers: id.map { [RecordHeader(key: ProduceRequest.messageIDHeader, value: ByteBuffer(bytes: $0))] } ?? [],
            timestamp: timestamp
        )
    }

    /// A record whose message id is `id`'s UTF-8.
    static func record(_ id: String?, _ value: String, timestamp: Int64 = currentTimeMilliseconds()) -> Record {
        record(id: id.map { Array($0.utf8) }, value, timestamp: timestamp)
    }

    /// The identity of a producer the broker issued.
    static func initProducer(_ connection: TestConnection) async throws -> InitProducerResponse {
        try await connection.call(InitProducerRequest(), as: InitProducerResponse.self)
    }

    static func identity(_ id: InitProducerResponse, _ sequence: Int32) -> ProducerIdentity {
        ProducerIdentity(producerId: id.producerID, producerEpoch: id.producerEpoch, baseSequence: sequence)
    }

    /// Several batches back to back, as one produce entry's `records`.
    static func entry(_ batches: [ByteBuffer]) -> ByteBuffer {
        var bytes = ByteBuffer()
        for var batch in batches { bytes.writeBuffer(&batch) }
        return bytes
    }

    /// A well-formed batch header with no records (recordCount 0), CRC correct.
    static func emptyBatch() -> ByteBuffer {
        let full = RecordBatch(records: [record(nil, "x")]).buffer
        var bytes = Array(full.readableBytesView.prefix(RecordBatch.headerSize))
        func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
            let range = offset..<offset + MemoryLayout<T>.size
            withUnsafeBytes(of: value.bigEndian) { bytes.replaceSubrange(range, with: $0) }
        }
        put(Int32(RecordBatch.headerSize - RecordBatch.logOverhead), at: 8)
        put(Int32(-1), at: 23)  // lastOffsetDelta
        put(Int32(0), at: 57)  // recordCount
        let crc = bytes[21...].withUnsafeBytes { CRC32C.checksum($0) }
        put(crc, at: 17)
        return ByteBuffer(bytes: bytes)
    }

    /// A batch laid out as Kafka's Java client writes it: `baseTimestamp` is the first record's
    /// timestamp, later records carry (possibly negative) deltas, `maxTimestamp` the largest.
    static func javaClientBatch(timestamps: [Int64]) -> ByteBuffer {
        RecordBatch(records: timestamps.enumerated().map { record(nil, "r\($0.offset)", timestamp: $0.element) }).buffer
    }

    /// Every record of a partition, from offset 0.
    static func fetchAll(_ connection: TestConnection, _ topic: String, partition: Int32 = 0) async throws -> [Record] {
        let fetched = try await ProduceFetchTests.fetch(connection, topic, partition: partition, offset: 0)
        return try decodeRecords(fetched.records)
    }

    /// Every batch of a partition, from offset 0.
    static func fetchBatches(_ connection: TestConnection, _ topic: String) async throws -> [RecordBatch] {
        var bytes = try await ProduceFetchTests.fetch(connection, topic, partition: 0, offset: 0).records
        var batches: [RecordBatch] = []
        while let batch = try RecordBatch.next(from: &bytes) { batches.append(batch) }
        return batches
    }

    /// Checks that every offset answered for an entry exists and holds the record sent.
    static func expectOffsetsHold(
        _ result: ProduceResponse.PartitionResult,
        values: [String],
        in records: [Record],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(result.errorCode == .none, "\(result.errorMessage ?? "")", sourceLocation: sourceLocation)
        let byOffset = Dictionary(
            records.map { ($0.offset, String(buffer: $0.value!)) },
            uniquingKeysWith: { first, _ in first }
        )
        for (index, value) in values.enumerated() {
            let offset = result.offset(ofRecordAt: index)
            #expect(
                byOffset[offset] == value,
                "record \(index) answered with offset \(offset)",
                sourceLocation: sourceLocation
            )
        }
    }
}
