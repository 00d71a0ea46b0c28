import NIOCore
import RecordCodec
import Testing

@testable import LogStore

/// `startNewSegment()` and `deleteSegments(before:)`: what an internal log with snapshots uses to
/// drop everything before its last snapshot.
@Suite("Deleting segments before an offset")
struct PartitionLogTruncateTests {
    static func configuration() -> LogConfiguration {
        var configuration = LogConfiguration()
        configuration.segmentMilliseconds = nil
        configuration.flushPolicy = .os
        return configuration
    }

    @Test("startNewSegment seals a non-empty active segment and does nothing on an empty one")
    func startNewSegment() throws {
        try withStorageFixture { fixture in
            let log = try fixture.open(Self.configuration())
            #expect(try log.startNewSegment() == false)
            #expect(log.segmentBaseOffsets == [0])
            try log.append(RecordBatch(records: [makeLogRecord(timestamp: 1), makeLogRecord(timestamp: 2)]))
            #expect(try log.startNewSegment() == true)
            #expect(log.segmentBaseOffsets == [0, 2])
            #expect(try log.startNewSegment() == false)
            try log.append(RecordBatch(records: [makeLogRecord(timestamp: 3)]))
            #expect(log.segmentBaseOffsets == [0, 2])
            #expect(log.logEndOffset == 3)
            try log.close()
        }
    }

    @Test("deleteSegments removes whole segments below the offset, never the one holding it nor the active one")
    func deleteBefore() throws {
        try withStorageFixture { fixture in
            var log = try fixture.open(Self.configuration())
            // Segments [0, 3), [3, 5), [5, 6), and the active one from 6.
            for sizes in [3, 2, 1, 2] {
                if log.logEndOffset > 0 { try log.startNewSegment() }
                try log.append(RecordBatch(records: (0..<sizes).map { makeLogRecord(timestamp: Int64($0)) }))
            }
            #expect(log.segmentBaseOffsets == [0, 3, 5, 6])
            // 4 is inside the second segment: only the first goes.
            let first = try log.deleteSegments(before: 4)
            #expect(first.deletedSegments == [0])
            #expect(log.logStartOffset == 3)
            #expect(throws: LogStoreError.self) { try log.read(from: 2, maxBytes: 100) }
            #expect(try log.read(from: 3, maxBytes: 100).batches.first?.baseOffset == 3)
            #expect(try log.deleteSegments(before: 3).deletedSegments.isEmpty)
            // Past the log end: every sealed segment goes, the active one stays.
            #expect(try log.deleteSegments(before: 100).deletedSegments == [3, 5])
            #expect(log.segmentBaseOffsets == [6])
            #expect(try fixture.fileNames().filter { $0.hasSuffix(".log") } == ["00000000000000000006.log"])
            try log.close()
            // The start offset stays after a reopen.
            log = try fixture.open(Self.configuration())
            #expect(log.logStartOffset == 6)
            #expect(log.logEndOffset == 8)
            try log.close()
        }
    }
}
