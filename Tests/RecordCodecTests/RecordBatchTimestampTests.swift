import NIOCore
import Testing

@testable import RecordCodec

/// Timestamps a producer's batch may carry: -1 (none) or milliseconds since the epoch up to a bound,
/// reached from the base without overflow; deltas may be negative. The codec alone accepts any.
@Suite("Record batch timestamp validation")
struct RecordBatchTimestampTests {
    /// What the broker accepts with a clock at `now` and one hour ahead allowed.
    static let now: Int64 = 1_764_000_000_000
    static let accepted = RecordBatch.noTimestamp...(now + 3_600_000)

    static func isInvalidTimestamp(_ error: any Error) -> Bool {
        (error as? RecordBatchError)?.code == .invalidTimestamp
    }
    static func batch(_ timestamps: [Int64]) -> RecordBatch {
        RecordBatch(records: timestamps.map { Record(value: ByteBuffer(string: "v"), timestamp: $0) })
    }

    /// A one-record batch whose base timestamp and record delta are set by hand (CRC fixed).
    static func batch(baseTimestamp: Int64, delta: Int64) -> RecordBatch {
        var bytes = RecordBatchTests.bytes(of: batch([0]))
        RecordBatchTests.put(baseTimestamp, at: 27, in: &bytes)
        RecordBatchTests.put(baseTimestamp &+ delta, at: 35, in: &bytes)
        // Record: length, attributes, timestampDelta (varlong), ...; rewrite it with the new delta.
        var record = ByteBuffer()
        var delta = UInt64(bitPattern: (delta << 1) ^ (delta >> 63))
        var body: [UInt8] = [0]  // attributes
        repeat {
            body.append(UInt8(delta & 0x7F) | (delta >= 0x80 ? 0x80 : 0))
            delta >>= 7
        } while delta != 0
        body += [0, 1, 2, 0x76, 0]  // offsetDelta 0, null key, value "v", no headers
        record.writeInteger(UInt8(body.count * 2))  // zig-zag length (< 64 bytes)
        record.writeBytes(body)
        bytes = Array(bytes[0..<RecordBatch.headerSize]) + Array(record.readableBytesView)
        RecordBatchTests.put(Int32(bytes.count - 12), at: 8, in: &bytes)
        let crc = bytes[21...].withUnsafeBytes { CRC32C.checksum($0) }
        RecordBatchTests.put(crc, at: 17, in: &bytes)
        return RecordBatch(unchecked: ByteBuffer(bytes: bytes))
    }

    @Test(
        "valid: -1, 0, now, and Kafka's Java client layout (first record's timestamp as base, negative deltas)",
        arguments: [[-1], [0], [1_764_000_000_000], [1_764_000_000_000, 0, 5, 1_764_000_000_000 - 1]] as [[Int64]]
    )
    func accepted(timestamps: [Int64]) throws {
        let batch = try Self.batch(timestamps).validatingRecords(timestampsWithin: Self.accepted)
        #expect(batch.areRecordsValidated)
        #expect(try batch.records().map(\.timestamp) == timestamps)
    }

    @Test(
        "refused: a timestamp below -1 or past the bound, in any record",
        arguments: [-2, -1_000, Int64.min, now + 3_600_001, Int64.max] as [Int64]
    )
    func outOfRange(timestamp: Int64) throws {
        #expect(throws: Never.self) { try Self.batch([timestamp]).validateRecords() }
        for timestamps in [[timestamp], [Self.now, timestamp, Self.now], [0, timestamp]] {
            #expect(
                performing: {
                    _ = try Self.batch(timestamps).validatingRecords(timestampsWithin: Self.accepted)
                },
                throws: Self.isInvalidTimestamp
            )
        }
    }

    @Test("refused: base + delta overflowing Int64, either way")
    func overflow() throws {
        _ = try Self.batch(baseTimestamp: 5, delta: 7).validatingRecords(timestampsWithin: Self.accepted)
        // A Java-client layout: base = now, a record far in the past (negative delta).
        _ = try Self.batch(baseTimestamp: Self.now, delta: -Self.now).validatingRecords(timestampsWithin: Self.accepted)
        // The header is in range (it is set to base &+ delta below only when that is in range):
        // the wrapped record timestamp must still be caught.
        for (base, delta) in [(Int64.max, Int64(2)), (Int64.max - 3, 10), (Int64.min, -1), (Int64.min + 5, -10)] {
            #expect(
                performing: {
                    _ = try Self.batch(baseTimestamp: base, delta: delta).validatingRecords(
                        timestampsWithin: Int64.min...Int64.max
                    )
                },
                throws: Self.isInvalidTimestamp
            )
        }
    }
}
