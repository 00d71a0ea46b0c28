import NIOCore
import RecordCodec
import Testing

@testable import LogStore

/// Retention: whole segments, oldest first, by age (the segment's largest timestamp) and by size,
/// never the active segment.
@Suite("Retention")
struct RetentionTests {
    static func configuration(milliseconds: Int64? = nil, bytes: Int64? = nil) -> LogConfiguration {
        var configuration = LogConfiguration()
        configuration.segmentMilliseconds = nil
        configuration.retentionMilliseconds = milliseconds
        configuration.retentionBytes = bytes
        configuration.indexIntervalBytes = 100
        configuration.flushPolicy = .os
        return configuration
    }

    /// The timestamps of the batches in each segment; the last segment is the active one.
    /// Largest timestamps: 5000 (not the last batch's), 6000, 9000, and 100 for the active one.
    static let segmentTimestamps: [[Int64]] = [[1_000, 5_000, 3_000], [6_000, 2_000], [9_000], [100]]

    /// Appends one batch of two records per timestamp, rolling between segments.
    static func fill(_ log: PartitionLog, _ segments: [[Int64]] = segmentTimestamps) throws -> LogModel {
        var model = LogModel()
        for (index, timestamps) in segments.enumerated() {
            if index > 0 { try log.roll() }
            for timestamp in timestamps {
                try model.append(
                    RecordBatch(records: [makeLogRecord(timestamp: timestamp - 7), makeLogRecord(timestamp: timestamp)]
                    ),
                    to: log
                )
            }
        }
        return model
    }

    static func segmentSizes(_ log: PartitionLog) -> [Int64] { log.segments.map(\.size) }

    @Test("by age: a segment goes once its largest timestamp is older than the limit")
    func byAge() throws {
        try withStorageFixture { fixture in
            let log = try fixture.open(Self.configuration(milliseconds: 1_000))
            let model = try Self.fill(log)
            let bases = log.segmentBaseOffsets
            let sizes = Self.segmentSizes(log)
            #expect(bases == [0, 6, 10, 12])

            // 4500 - 3000 (the last batch) would be past the limit; 4500 - 5000 (the largest) is not.
            #expect(try log.enforceRetention(now: 4_500) == RetentionResult(deletedSegments: [], deletedBytes: 0))
            #expect(try log.enforceRetention(now: 6_000) == RetentionResult(deletedSegments: [], deletedBytes: 0))
            #expect(
                try log.enforceRetention(now: 6_001) == RetentionResult(deletedSegments: [0], deletedBytes: sizes[0])
            )
            #expect(log.logStartOffset == 6)
            #expect(log.segmentBaseOffsets == [6, 10, 12])
            for suffix in [".log", ".index", ".timeindex"] {
                #expect(!fixture.fileExists(fixture.segmentPath(0, suffix)))
            }
            #expect(log.sizeInBytes == sizes[1...].reduce(0, +))

            // The active segment stays, however old.
            let result = try log.enforceRetention(now: 1_000_000)
            #expect(result == RetentionResult(deletedSegments: [6, 10], deletedBytes: sizes[1] + sizes[2]))
            #expect(log.segmentBaseOffsets == [12])
            #expect(log.logStartOffset == 12 && log.logEndOffset == 14)
            #expect(try log.enforceRetention(now: .max) == RetentionResult(deletedSegments: [], deletedBytes: 0))
            #expect(fixture.fileExists(fixture.segmentPath(12, ".log")))

            // Reads below the start fail; from the start they work.
            for offset: Int64 in [0, 5, 11] {
                let error = expectLogStoreError(.offsetOutOfRange) { _ = try log.read(from: offset, maxBytes: 1 << 20) }
                #expect(error?.validOffsets == 12..<14)
            }
            let read = try log.read(from: 12, maxBytes: 1 << 20)
            #expect(try read.batches.flatMap { try $0.records() } == Array(model.records[12...]))
            #expect(read.logStartOffset == 12)
            #expect(try log.offset(atOrAfterTimestamp: .min) == 12)
            #expect(try log.append(makeLogBatch()).firstOffset == 14)
            try log.close()

            // The start offset survives a restart.
            let reopened = try fixture.open(Self.configuration(milliseconds: 1_000))
            #expect(reopened.logStartOffset == 12 && reopened.logEndOffset == 15)
            expectLogStoreError(.offsetOutOfRange) { _ = try reopened.read(from: 11, maxBytes: 1 << 20) }
            try reopened.close()
        }
    }

    @Test("by age, oldest first: a younger segment keeps the expired ones after it")
    func byAgeOldestFirst() throws {
        try withStorageFixture { fixture in
            let log = try fixture.open(Self.configuration(milliseconds: 1_000))
            _ = try Self.fill(log, [[9_000], [1_000], [2_000]])
            #expect(try log.enforceRetention(now: 9_500).deletedSegments.isEmpty)
            #expect(try log.enforceRetention(now: 10_001).deletedSegments == [0, 2])
        }
    }

    @Test("without a time limit nothing expires", arguments: [nil, .max] as [Int64?])
    func noLimits(bytes: Int64?) throws {
        try withStorageFixture { fixture in
            let log = try fixture.open(Self.configuration(milliseconds: nil, bytes: bytes))
            _ = try Self.fill(log)
            #expect(try log.enforceRetention(now: .max).deletedSegments.isEmpty)
            #expect(log.segmentCount == 4)
        }
    }

    /// Retention by size with the limit set against the sizes of the newest segments.
    struct SizeCase: CustomTestStringConvertible, Sendable {
        /// The limit is the size of this many newest segments (the active one included) ...
        var newestSegments: Int
        /// ... plus this many bytes.
        var extraBytes: Int64
        /// How many of the oldest segments go.
        var deleted: Int
        var testDescription: String { "limit = newest \(newestSegments) segments + \(extraBytes) bytes" }
    }

    @Test(
        "by size: the oldest segments go while the rest still reach the limit",
        arguments: [
            SizeCase(newestSegments: 0, extraBytes: 0, deleted: 3),  // limit 0: all but the active one
            SizeCase(newestSegments: 1, extraBytes: 0, deleted: 3),
            SizeCase(newestSegments: 1, extraBytes: 1, deleted: 2),
            SizeCase(newestSegments: 2, extraBytes: 0, deleted: 2),
            SizeCase(newestSegments: 2, extraBytes: 1, deleted: 1),
            SizeCase(newestSegments: 3, extraBytes: -1, deleted: 1),
            SizeCase(newestSegments: 3, extraBytes: 0, deleted: 1),
            SizeCase(newestSegments: 3, extraBytes: 1, deleted: 0),
            SizeCase(newestSegments: 4, extraBytes: 0, deleted: 0),
            SizeCase(newestSegments: 4, extraBytes: 1_000_000, deleted: 0),
        ]
    )
    func bySize(_ sizeCase: SizeCase) throws {
        // The sizes do not depend on the limit: measure them on a log without one.
        let sizes = try withStorageFixture { fixture in
            let log = try fixture.open(Self.configuration())
            _ = try Self.fill(log)
            return Self.segmentSizes(log)
        }
        let limit = sizes.suffix(sizeCase.newestSegments).reduce(0, +) + sizeCase.extraBytes
        try withStorageFixture { fixture in
            let log = try fixture.open(Self.configuration(bytes: limit))
            let model = try Self.fill(log)
            #expect(Self.segmentSizes(log) == sizes)
            let bases = log.segmentBaseOffsets
            let result = try log.enforceRetention(now: 0)
            #expect(result.deletedSegments == Array(bases.prefix(sizeCase.deleted)), "limit \(limit), sizes \(sizes)")
            #expect(result.deletedBytes == sizes.prefix(sizeCase.deleted).reduce(0, +))
            #expect(log.segmentBaseOffsets == Array(bases.dropFirst(sizeCase.deleted)))
            #expect(log.sizeInBytes == sizes.dropFirst(sizeCase.deleted).reduce(0, +))
            #expect(log.sizeInBytes >= limit || sizeCase.deleted == 0 || log.segmentCount == 1)
            #expect(log.logStartOffset == bases[sizeCase.deleted])
            let read = try log.read(from: log.logStartOffset, maxBytes: 1 << 20)
            #expect(try read.batches.first?.records().first == model.records[Int(log.logStartOffset)])
            // A second pass finds nothing more to do.
            #expect(try log.enforceRetention(now: 0).deletedSegments.isEmpty)
        }
    }

    @Test("the active segment is never deleted, even when it alone is over the limits")
    func neverTheActiveSegment() throws {
        try withStorageFixture { fixture in
            let log = try fixture.open(Self.configuration(milliseconds: 1, bytes: 0))
            for _ in 0..<10 { try log.append(makeLogBatch(count: 5, valueSize: 500, timestamp: 0)) }
            #expect(try log.enforceRetention(now: .max) == RetentionResult(deletedSegments: [], deletedBytes: 0))
            #expect(log.segmentCount == 1 && log.logEndOffset == 50)
            #expect(try log.read(from: 0, maxBytes: 1).batches.count == 1)
        }
    }

    @Test("a segment's largest timestamp survives a restart in its sealed time index", arguments: [true, false])
    func survivesRestart(cleanShutdown: Bool) throws {
        try withStorageFixture { fixture in
            let configuration = Self.configuration(milliseconds: 1_000)
            let model = try fixture.runThenCrash(configuration) { log in
                let model = try Self.fill(log)
                if cleanShutdown { try log.close() }
                return model
            }
            let log = try fixture.open(configuration)
            #expect(log.recoveryReport.wasCleanShutdown == cleanShutdown)
            #expect(log.segments.map(\.maxTimestamp) == [5_000, 6_000, 9_000, 100])
            // The sealed segments were not read again: their time index's last entry says it.
            #expect(log.segments.dropLast().map { $0.timeIndex.lastTimestamp } == [5_000, 6_000, 9_000])
            #expect(try log.enforceRetention(now: 6_000).deletedSegments.isEmpty)
            #expect(try log.enforceRetention(now: 6_001).deletedSegments == [0])
            #expect(try log.enforceRetention(now: 7_001).deletedSegments == [6])
            #expect(log.logStartOffset == 10)
            try log.close()

            // And the shortened log keeps its start across a crash as well.
            let records = try fixture.runThenCrash(configuration) { log in
                #expect(log.logStartOffset == 10)
                return try log.read(from: 10, maxBytes: 1 << 20).batches.flatMap { try $0.records() }
            }
            #expect(records == Array(model.records[10..<12]))
            let recovered = try fixture.open(configuration)
            #expect(recovered.logStartOffset == 10 && recovered.logEndOffset == 14)
            #expect(try recovered.enforceRetention(now: 10_001).deletedSegments == [10])
        }
    }
}
