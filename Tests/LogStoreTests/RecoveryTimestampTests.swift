import Foundation
import NIOCore
import RecordCodec
import Testing

@testable import LogStore

/// Timestamps at the ends of `Int64` stored on disk (written by an older version, or damaged but
/// with a valid CRC): opening, rolling by age, retention and time lookups never overflow.
@Suite("Recovery with extreme timestamps on disk")
struct RecoveryTimestampTests {
    static let now: Int64 = 1_700_000_000_000
    static let day: Int64 = 86_400_000

    static func configuration() -> LogConfiguration {
        var configuration = LogConfiguration()
        configuration.segmentMilliseconds = day
        configuration.retentionMilliseconds = 7 * day
        configuration.flushPolicy = .os
        return configuration
    }

    static func batch(_ timestamps: [Int64]) -> RecordBatch {
        RecordBatch(records: timestamps.map { makeLogRecord(timestamp: $0) })
    }

    static let extremes: [Int64] = [.min, .min + 1, -1, .max, .max - 1]

    @Test(
        "a segment whose first batch carries an extreme timestamp survives a restart and an append",
        arguments: extremes,
        [true, false]
    )
    func rollAfterRestart(timestamp: Int64, cleanShutdown: Bool) throws {
        try withStorageFixture { fixture in
            let clock = ManualClock(Self.now)
            var model = LogModel()
            try fixture.runThenCrash(Self.configuration(), clock: clock.function) { log in
                try model.append(Self.batch([timestamp, timestamp]), to: log)
                try model.append(Self.batch([Self.now]), to: log)
                if cleanShutdown { try log.close() }
            }
            // The restart reads the first batch's timestamp back as the segment's roll time.
            let log = try fixture.open(Self.configuration(), clock: clock.function)
            try expectLog(log, matches: model)
            try model.append(Self.batch([Self.now]), to: log)
            // Far in the past: the segment is old and rolls; in the future: it is not old yet.
            let rolled = timestamp < Self.now - Self.day
            #expect(log.segmentCount == (rolled ? 2 : 1), "timestamp \(timestamp)")
            clock.now = Self.now + 2 * Self.day
            try model.append(Self.batch([Self.now]), to: log)
            try expectLog(log, matches: model)
            for probe in [Int64.min, -1, 0, Self.now, .max] {
                #expect(
                    try log.offset(atOrAfterTimestamp: probe) == model.offset(atOrAfterTimestamp: probe),
                    "timestamp \(timestamp), probe \(probe)"
                )
            }
            try log.close()
        }
    }

    @Test("retention compares extreme segment timestamps without overflow", arguments: extremes)
    func retention(timestamp: Int64) throws {
        try withStorageFixture { fixture in
            var configuration = Self.configuration()
            configuration.segmentMilliseconds = nil
            try fixture.runThenClose(configuration) { log in
                try log.append(Self.batch([timestamp]))
                try log.roll()
                try log.append(Self.batch([Self.now]))
            }
            let log = try fixture.open(configuration)
            // Records without a timestamp (negative) are dated by the file's modification time.
            let dated = timestamp >= 0 ? timestamp : Int64(Date().timeIntervalSince1970 * 1000)
            for now in [Int64.min, -1, 0, Self.now, .max] {
                let expired =
                    now.subtractingReportingOverflow(dated).overflow
                    ? dated < 0 : now - dated > 7 * Self.day
                let result = try log.enforceRetention(now: now)
                if expired {
                    #expect(result.deletedSegments == [0], "timestamp \(timestamp), now \(now)")
                    return
                }
                #expect(result.deletedSegments.isEmpty, "timestamp \(timestamp), now \(now)")
            }
            #expect(timestamp > 0, "a segment stamped \(timestamp) never expired")
        }
    }

    @Test("a segment whose records carry no timestamp (-1) is aged by its file's modification time")
    func noTimestampRetention() throws {
        try withStorageFixture { fixture in
            var configuration = Self.configuration()
            configuration.segmentMilliseconds = nil
            let wallClock = Int64(Date().timeIntervalSince1970 * 1000)
            try fixture.runThenClose(configuration) { log in
                try log.append(Self.batch([-1, -1]))
                try log.roll()
                try log.append(Self.batch([wallClock]))
            }
            let log = try fixture.open(configuration)
            #expect(try log.enforceRetention(now: wallClock).deletedSegments.isEmpty, "just written: kept")
            let path = fixture.directory + "/" + Segment.fileName(baseOffset: 0, suffix: ".log")
            try FileManager.default.setAttributes(
                [.modificationDate: Date(timeIntervalSinceNow: -8 * 86_400)],
                ofItemAtPath: path
            )
            #expect(try log.enforceRetention(now: wallClock).deletedSegments == [0], "last written 8 days ago")
            try log.close()
        }
    }
}
