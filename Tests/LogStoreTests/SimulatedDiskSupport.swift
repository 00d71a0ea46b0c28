import Foundation
import LogStoreTesting
import NIOCore
import RecordCodec
import Synchronization
import Testing

@testable import LogStore

/// A partition directory on a ``SimulatedDisk``, and the flush threads of one test.
///
/// ``powerCut(seed:)`` replaces the disk with what a power cut would leave; the log that was open
/// must be abandoned (it still writes to the old disk, which nothing reads any more).
final class SimulatedStorage {
    private(set) var disk: SimulatedDisk
    let directory = "/data/topic-0"
    private(set) var scheduler = FlushScheduler()
    private var stoppedSchedulers: [FlushScheduler] = []

    init(disk: SimulatedDisk = SimulatedDisk()) {
        self.disk = disk
    }

    func open(
        _ configuration: LogConfiguration = LogConfiguration(),
        clock: @escaping @Sendable () -> Int64 = StorageFixture.stoppedClock
    ) throws -> PartitionLog {
        try PartitionLog.open(
            directory: directory,
            configuration: configuration,
            scheduler: scheduler,
            clock: clock,
            fileIO: disk
        )
    }

    /// Abandons `log` and swaps in the disk a power cut at this instant leaves.
    func powerCut(_ log: PartitionLog, seed: UInt64) {
        let after = disk.powerCut(seed: seed)
        log.abandon()
        replaceScheduler()
        disk = after
    }

    /// Abandons `log` as a `kill -9` would: the page cache (the disk's unsynced bytes) survives.
    func processCrash(_ log: PartitionLog) {
        log.abandon()
        replaceScheduler()
    }

    private func replaceScheduler() {
        scheduler.shutdown()
        stoppedSchedulers.append(scheduler)
        scheduler = FlushScheduler()
    }

    func path(_ name: String) -> String { directory + "/" + name }

    func segmentPath(_ baseOffset: Int64, _ suffix: String) -> String {
        path(Segment.fileName(baseOffset: baseOffset, suffix: suffix))
    }

    func fileNames() throws -> [String] {
        try disk.contentsOfDirectory(directory).sorted()
    }

    func tearDown() {
        scheduler.shutdown()
        for scheduler in stoppedSchedulers { scheduler.shutdown() }
    }
}

/// Runs `body` with a fresh ``SimulatedStorage`` and stops its flush threads afterwards.
func withSimulatedStorage<T>(_ body: (SimulatedStorage) throws -> T) throws -> T {
    let storage = SimulatedStorage()
    defer { storage.tearDown() }
    return try body(storage)
}

extension PartitionLog {
    /// Blocks until `offset` is durable (or the flush fails), through ``whenDurable(_:completion:)``
    /// and the flush thread, exactly as the broker waits before answering `acks=durable`.
    func waitUntilDurableBlocking(_ offset: Int64) -> Result<Int64, LogStoreError> {
        let result = Mutex<Result<Int64, LogStoreError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        whenDurable(offset) { outcome in
            result.withLock { $0 = outcome }
            done.signal()
        }
        done.wait()
        return result.withLock { $0! }
    }
}

/// What every acknowledged append put in the log, by first offset: the batch bytes after the
/// 8-byte base offset (the log replaces only that).
struct AppendedBatches {
    private(set) var bodies: [Int64: [UInt8]] = [:]
    private(set) var lastOffsets: [Int64: Int64] = [:]

    mutating func record(_ batch: RecordBatch, _ result: PartitionLog.AppendResult) {
        bodies[result.firstOffset] = Array(batch.buffer.readableBytesView.dropFirst(8))
        lastOffsets[result.firstOffset] = result.lastOffset
    }

    /// Forgets the batches at or after `offset` (lost in a crash: their offsets will be reused).
    mutating func forget(from offset: Int64) {
        forget(offset..<Int64.max)
    }

    /// Forgets the batches that start in `range` (lost in a crash).
    mutating func forget(_ range: Range<Int64>) {
        for first in bodies.keys where range.contains(first) {
            bodies.removeValue(forKey: first)
            lastOffsets.removeValue(forKey: first)
        }
    }

    /// Reads the whole log and checks that it holds exactly the recorded batches from its start to
    /// its end, each intact (reads validate every CRC). Offsets missing from the log (a power cut
    /// can lose the unsynced end of a segment while the next segment's file survives) are allowed
    /// only from `gapsAllowedFrom` on.
    /// - Returns: the missing ranges.
    @discardableResult
    func expectMatches(
        _ log: PartitionLog,
        _ context: String,
        gapsAllowedFrom: Int64 = .max,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> [Range<Int64>] {
        var gaps: [Range<Int64>] = []
        var offset = log.logStartOffset
        while offset < log.logEndOffset {
            let result = try log.read(from: offset, maxBytes: 64 << 10)
            // A read in a range damage took says where the range ends.
            let next = result.batches.first?.baseOffset ?? result.lostOffsets?.upperBound ?? log.logEndOffset
            if next > offset {
                try #require(
                    offset >= gapsAllowedFrom,
                    "\(context): offsets \(offset)..<\(next) are missing",
                    sourceLocation: sourceLocation
                )
                gaps.append(offset..<next)
            }
            offset = next
            for batch in result.batches {
                try #require(
                    batch.baseOffset == offset,
                    "\(context): batch at \(batch.baseOffset), expected \(offset)",
                    sourceLocation: sourceLocation
                )
                let expected = try #require(
                    bodies[offset],
                    "\(context): the log holds a batch at \(offset) that was never appended",
                    sourceLocation: sourceLocation
                )
                try #require(
                    Array(batch.buffer.readableBytesView.dropFirst(8)) == expected,
                    "\(context): the batch at \(offset) holds other bytes than were appended",
                    sourceLocation: sourceLocation
                )
                offset = batch.lastOffset + 1
            }
        }
        return gaps
    }
}
