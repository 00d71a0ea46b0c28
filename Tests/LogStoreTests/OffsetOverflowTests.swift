import Foundation
import NIOCore
import RecordCodec
import Testing

@testable import LogStore

/// Base offsets near `Int64.max` read from disk: a batch whose `baseOffset + lastOffsetDelta`
/// overflows is damage, never arithmetic that traps.
@Suite("Offsets at the end of Int64 on disk")
struct OffsetOverflowTests {
    /// A valid batch (right CRC) of `count` records with `baseOffset` written in.
    static func batchBytes(baseOffset: Int64, count: Int) -> ByteBuffer {
        let batch = RecordBatch(records: (0..<count).map { makeLogRecord(timestamp: Int64($0)) })
        var bytes = batch.buffer
        bytes.setInteger(baseOffset, at: bytes.readerIndex)
        return bytes
    }

    @Test("a segment named near Int64.max whose batch runs past it opens as damage", arguments: [true, false])
    func segmentNearInt64Max(cleanShutdown: Bool) throws {
        try withStorageFixture { fixture in
            try FileManager.default.createDirectory(atPath: fixture.directory, withIntermediateDirectories: true)
            let base = Int64.max - 10
            let bytes = Self.batchBytes(baseOffset: base, count: 100)
            let path = fixture.directory + "/" + Segment.fileName(baseOffset: base, suffix: ".log")
            try Data(bytes.readableBytesView).write(to: URL(fileURLWithPath: path))
            if cleanShutdown {
                FileManager.default.createFile(
                    atPath: fixture.directory + "/" + PartitionLog.cleanShutdownFileName,
                    contents: Data()
                )
            }
            let log = try fixture.open()
            #expect(log.logEndOffset == base, "the batch that cannot fit in Int64 is not part of the log")
            #expect(log.recoveryReport.damage != nil)
            try log.close()
        }
    }

    @Test("after damage, a valid batch claiming offsets far past what the damaged bytes could hold is not taken")
    func forgedBatchAfterDamage() throws {
        try withStorageFixture { fixture in
            try FileManager.default.createDirectory(atPath: fixture.directory, withIntermediateDirectories: true)
            var file = Self.batchBytes(baseOffset: 0, count: 10)
            // 200 damaged bytes, then a CRC-valid batch (as a producer could embed in a record value)
            // that claims offsets a million past the log end.
            file.writeBytes([UInt8](repeating: 0xEE, count: 200))
            var forged = Self.batchBytes(baseOffset: 1_000_010, count: 3)
            file.writeBuffer(&forged)
            let path = fixture.directory + "/" + Segment.fileName(baseOffset: 0, suffix: ".log")
            try Data(file.readableBytesView).write(to: URL(fileURLWithPath: path))
            let log = try fixture.open()
            #expect(log.logEndOffset == 10, "the forged batch's offsets are not in the log")
            #expect(try log.read(from: 0, maxBytes: 1 << 20).batches.count == 1)
            try log.close()
        }
    }
}
