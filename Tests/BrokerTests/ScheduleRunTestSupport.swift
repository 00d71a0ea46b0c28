import BrokerProtocol
import Foundation
import LogStore
import Testing

@testable import Broker

/// A fresh directory under the system's temporary directory, removed by ``remove()``.
struct ScheduleRunDirectory {
    let path: String

    init(_ name: String = "runs") throws {
        path = NSTemporaryDirectory() + "sluice-schedule-\(name)-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// The path of `name` in the directory.
    func file(_ name: String) -> String { path + "/" + name }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Random entries for run tests.
enum ScheduleRunSamples {
    /// The property-test seeds: `SLUICE_PROPERTY_SEEDS=N` selects N (default 32).
    static let seeds: [UInt64] = Array(
        1...UInt64(ProcessInfo.processInfo.environment["SLUICE_PROPERTY_SEEDS"].flatMap { UInt64($0) } ?? 32)
    )

    /// `count` due entries with unique keys, sorted; dues within `dueRange`, about `tombstoneShare` tombstones.
    static func dueEntries(
        count: Int,
        dueRange: ClosedRange<Int64> = 0...1_000_000,
        tombstoneShare: Double = 0.1,
        using random: inout SplitMixGenerator
    ) -> [DueEntry] {
        var keys = Set<DueKey>()
        while keys.count < count {
            keys.insert(
                DueKey(
                    due: Int64.random(in: dueRange, using: &random),
                    seq: Int64.random(in: 0...(1 << 40), using: &random)
                )
            )
        }
        return keys.sorted().map { key in
            DueEntry(
                due: key.due,
                seq: key.seq,
                idHash: random.next(),
                topicTag: UInt32.random(in: 0...UInt32.max, using: &random),
                isTombstone: Double.random(in: 0..<1, using: &random) < tombstoneShare
            )
        }
    }

    /// A random state.
    static func state(using random: inout SplitMixGenerator) -> ScheduleIDState {
        [ScheduleIDState.pending, .cancelled, .fired, .superseded][Int.random(in: 0..<4, using: &random)]
    }

    /// `count` id entries with unique keys, sorted, over `hashes` distinct hashes (several seqs per hash).
    static func idEntries(count: Int, hashes: [UInt64], using random: inout SplitMixGenerator) -> [IDEntry] {
        var keys = Set<IDKey>()
        while keys.count < count {
            keys.insert(
                IDKey(
                    idHash: hashes.randomElement(using: &random)!,
                    seq: Int64.random(in: 0...(1 << 40), using: &random)
                )
            )
        }
        return keys.sorted().map { key in
            IDEntry(
                idHash: key.idHash,
                seq: key.seq,
                due: Int64.random(in: -1_000...1_000_000_000, using: &random),
                state: state(using: &random),
                changedAt: Int64.random(in: IDEntry.changedAtRange, using: &random)
            )
        }
    }

    /// All entries of a due run from `key`, through its cursor.
    static func read(_ run: DueRun, from key: DueKey = .minimum) throws -> [DueEntry] {
        var cursor = run.entries(from: key)
        var entries: [DueEntry] = []
        while let entry = try cursor.next() { entries.append(entry) }
        return entries
    }

    /// All entries of an id run, through its cursor.
    static func read(_ run: IDRun) throws -> [IDEntry] {
        var cursor = run.entries()
        var entries: [IDEntry] = []
        while let entry = try cursor.next() { entries.append(entry) }
        return entries
    }
}

/// Expects `body` to throw a `storageError` whose message names `path`.
func expectStorageError(naming path: String, _ context: String, _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("\(context): no error")
    } catch let error as BrokerError {
        #expect(error.code == .storageError, "\(context): \(error)")
        #expect(error.message.contains(path), "\(context): \(error)")
    } catch {
        Issue.record("\(context): not a BrokerError: \(error)")
    }
}
