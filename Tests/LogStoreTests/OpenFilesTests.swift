import LogStoreTesting
import NIOCore
import Testing

@testable import LogStore

/// Sealed segments pin no descriptor: their `.log` is opened when a read needs it, and at most
/// `openSealedSegmentsLimit` of them are open at once. The active segment's three files and the
/// `.lock` stay open.
@Suite("Open files")
struct OpenFilesTests {
    static func configuration(limit: Int) -> LogConfiguration {
        var configuration = LogConfiguration()
        configuration.segmentBytes = 1024
        configuration.indexIntervalBytes = 200
        configuration.segmentMilliseconds = nil
        configuration.flushPolicy = .os
        configuration.openSealedSegmentsLimit = limit
        return configuration
    }

    /// The `.lock` and the active segment's `.log`, `.index` and `.timeindex`.
    static let pinnedDescriptors = 4

    @Test("twelve segments hold four descriptors; reading them all keeps at most the limit open besides")
    func sealedSegmentsHoldNoDescriptors() throws {
        try withSimulatedStorage { storage in
            var appended = AppendedBatches()
            let log = try storage.open(Self.configuration(limit: 2))
            var index = 0
            while log.segmentCount < 12 {
                let batch = makeLogBatch(count: 2, valueSize: 100 + index % 7)
                appended.record(batch, try log.append(batch))
                index += 1
            }
            try log.flush()
            #expect(storage.disk.openDescriptorCount == Self.pinnedDescriptors)
            #expect(log.fileLimiter.openCount == 0)
            // Reading every segment, twice, opens and closes their files within the limit.
            for _ in 0..<2 {
                try appended.expectMatches(log, "reading every segment")
                #expect(log.fileLimiter.openCount <= 2)
                #expect(storage.disk.openDescriptorCount <= Self.pinnedDescriptors + 2)
            }
            try log.close()
        }
    }

    @Test("a log opened with many segments pins only the active one's files, after a clean or an unclean stop")
    func openingPinsOnlyTheActiveSegment() throws {
        for clean in [true, false] {
            try withSimulatedStorage { storage in
                var appended = AppendedBatches()
                let configuration = Self.configuration(limit: 3)
                do {
                    let log = try storage.open(configuration)
                    while log.segmentCount < 15 {
                        let batch = makeLogBatch(count: 2, valueSize: 100)
                        appended.record(batch, try log.append(batch))
                    }
                    if clean { try log.close() } else { storage.processCrash(log) }
                }
                // The first log is gone and has closed its files.
                #expect(storage.disk.openDescriptorCount == 0)
                let reopened = try storage.open(configuration)
                #expect(reopened.segmentCount == 15)
                #expect(storage.disk.openDescriptorCount <= Self.pinnedDescriptors + 3, "clean: \(clean)")
                try appended.expectMatches(reopened, "clean: \(clean)")
                #expect(storage.disk.openDescriptorCount <= Self.pinnedDescriptors + 3, "clean: \(clean)")
                try reopened.close()
            }
        }
    }

    @Test("openSealedSegmentsLimit must be at least 1")
    func limitIsValidated() throws {
        var configuration = LogConfiguration()
        configuration.openSealedSegmentsLimit = 0
        #expect(throws: LogStoreError.self) { try configuration.validate() }
    }
}
