import BrokerProtocol
import Foundation
import LogStore
import Testing

@testable import Broker

/// Seeded property tests of both merges against a model: random runs whose keys overlap (the same
/// key as entries in several runs, tombstones over entries, tombstones over nothing), a random
/// watermark, `now` and retention. A failure names its seed.
@Suite("Schedule run merges")
struct ScheduleRunMergeTests {
    /// The model of a due merge: per key the newest run's entry; tombstones and keys below the
    /// watermark dropped.
    static func modelDueMerge(_ runs: [[DueEntry]], watermark: DueKey) -> [DueEntry] {
        var newest: [DueKey: DueEntry] = [:]
        for run in runs { for entry in run { newest[entry.key] = entry } }
        return newest.values.filter { !$0.isTombstone && $0.key >= watermark }.sorted { $0.key < $1.key }
    }

    /// The model of an id merge: per key the newest run's entry; cancelled and superseded dropped,
    /// fired dropped when changed before `now - retention`.
    static func modelIDMerge(_ runs: [[IDEntry]], now: Int64, retention: Int64) -> [IDEntry] {
        var newest: [IDKey: IDEntry] = [:]
        for run in runs { for entry in run { newest[entry.key] = entry } }
        // A cancelled or superseded schedule hides the older fires of its hash (the id's latest
        // schedule decides what a cancel answers).
        var hiddenBelow: [UInt64: Int64] = [:]
        for entry in newest.values where entry.state == .cancelled || entry.state == .superseded {
            hiddenBelow[entry.idHash] = max(hiddenBelow[entry.idHash] ?? .min, entry.seq)
        }
        return newest.values.filter { entry in
            switch entry.state {
            case .pending: true
            case .cancelled, .superseded: false
            case .fired: entry.changedAt >= now - retention && entry.seq > (hiddenBelow[entry.idHash] ?? .min)
            }
        }.sorted { $0.key < $1.key }
    }

    @Test("due merge matches the model", arguments: ScheduleRunSamples.seeds)
    func dueMerge(seed: UInt64) throws {
        let directory = try ScheduleRunDirectory("due-merge")
        defer { directory.remove() }
        var random = SplitMixGenerator(seed: seed)
        // A small pool of keys so that runs overlap.
        let pool = ScheduleRunSamples.dueEntries(
            count: Int.random(in: 1...900, using: &random),
            dueRange: 0...5_000,
            using: &random
        ).map(\.key)
        var runs: [[DueEntry]] = []
        for _ in 0..<Int.random(in: 0...6, using: &random) {
            let share = Double.random(in: 0...1, using: &random)
            let tombstones = Double.random(in: 0...0.6, using: &random)
            runs.append(
                pool.filter { _ in Double.random(in: 0..<1, using: &random) < share }.map { key in
                    DueEntry(
                        due: key.due,
                        seq: key.seq,
                        idHash: random.next(),
                        topicTag: UInt32.random(in: 0...9, using: &random),
                        isTombstone: Double.random(in: 0..<1, using: &random) < tombstones
                    )
                }
            )
        }
        let watermark =
            switch Int.random(in: 0..<3, using: &random) {
            case 0: DueKey.minimum
            case 1: pool.randomElement(using: &random)!
            default: DueKey(due: Int64.random(in: -10...5_010, using: &random), seq: 0)
            }
        var opened: [DueRun] = []
        for (index, run) in runs.enumerated() {
            let path = directory.file(DueRun.fileName(number: UInt64(index)))
            _ = try DueRun.write(run, to: path, io: PosixFileIO.shared)
            opened.append(try DueRun.open(path: path, io: PosixFileIO.shared))
        }
        let path = directory.file(DueRun.fileName(number: 100))
        let merged = try DueRun.merge(opened, droppingBelow: watermark, to: path, io: PosixFileIO.shared)
        let expected = Self.modelDueMerge(runs, watermark: watermark)
        #expect(try ScheduleRunSamples.read(merged) == expected, "seed \(seed)")
        #expect(merged.entryCount == Int64(expected.count), "seed \(seed)")
        #expect(merged.tombstoneCount == 0, "seed \(seed)")
        #expect(
            try ScheduleRunSamples.read(try DueRun.open(path: path, io: PosixFileIO.shared)) == expected,
            "seed \(seed)"
        )
    }

    @Test("id merge matches the model", arguments: ScheduleRunSamples.seeds)
    func idMerge(seed: UInt64) throws {
        let directory = try ScheduleRunDirectory("ids-merge")
        defer { directory.remove() }
        var random = SplitMixGenerator(seed: seed)
        let hashes = (0..<Int.random(in: 1...300, using: &random)).map { _ in random.next() }
        let pool = ScheduleRunSamples.idEntries(
            count: Int.random(in: 1...900, using: &random),
            hashes: hashes,
            using: &random
        )
        .map(\.key)
        let now = Int64.random(in: 0...2_000, using: &random)
        let retention = Int64.random(in: 0...1_000, using: &random)
        var runs: [[IDEntry]] = []
        for _ in 0..<Int.random(in: 0...6, using: &random) {
            let share = Double.random(in: 0...1, using: &random)
            runs.append(
                pool.filter { _ in Double.random(in: 0..<1, using: &random) < share }.map { key in
                    IDEntry(
                        idHash: key.idHash,
                        seq: key.seq,
                        due: Int64.random(in: 0...10_000, using: &random),
                        state: ScheduleRunSamples.state(using: &random),
                        changedAt: Int64.random(in: 0...2_000, using: &random)
                    )
                }
            )
        }
        var opened: [IDRun] = []
        for (index, run) in runs.enumerated() {
            let path = directory.file(IDRun.fileName(number: UInt64(index)))
            _ = try IDRun.write(run, to: path, io: PosixFileIO.shared)
            opened.append(try IDRun.open(path: path, io: PosixFileIO.shared))
        }
        let path = directory.file(IDRun.fileName(number: 100))
        let merged = try IDRun.merge(
            opened,
            now: now,
            firedRetentionMilliseconds: retention,
            to: path,
            io: PosixFileIO.shared
        )
        let expected = Self.modelIDMerge(runs, now: now, retention: retention)
        let reopened = try IDRun.open(path: path, io: PosixFileIO.shared)
        for run in [merged, reopened] {
            #expect(try ScheduleRunSamples.read(run) == expected, "seed \(seed)")
            #expect(run.entryCount == Int64(expected.count), "seed \(seed)")
            #expect(run.pendingCount == Int64(expected.filter { $0.state == .pending }.count), "seed \(seed)")
        }
        // The filter, sized for what was kept, finds every kept hash; lookups agree with the model.
        #expect(
            reopened.footerBytes == 80 + 16 * reopened.blockCount
                + BloomFilter(expectedEntries: expected.count).byteCount
                || reopened.footerBytes == 80 + 16 * reopened.blockCount
                    + BloomFilter(expectedEntries: runs.reduce(0) { $0 + $1.count }).byteCount,
            "seed \(seed)"
        )
        let byHash = Dictionary(grouping: expected, by: \.idHash)
        for hash in hashes {
            #expect(try reopened.entries(forHash: hash) == (byHash[hash] ?? []), "seed \(seed) hash \(hash)")
        }
    }

    @Test("fired entries exactly at the retention cutoff stay; an overflowing cutoff keeps them all")
    func retentionEdges() throws {
        let directory = try ScheduleRunDirectory("ids-retention")
        defer { directory.remove() }
        let entries = [
            IDEntry(idHash: 1, seq: 1, due: 0, state: .fired, changedAt: 99),
            IDEntry(idHash: 1, seq: 2, due: 0, state: .fired, changedAt: 100),
            IDEntry(idHash: 2, seq: 3, due: 0, state: .pending, changedAt: -5),
        ]
        let run = try IDRun.write(entries, to: directory.file("a.ids"), io: PosixFileIO.shared)
        let merged = try IDRun.merge(
            [run],
            now: 1_100,
            firedRetentionMilliseconds: 1_000,
            to: directory.file("b.ids"),
            io: PosixFileIO.shared
        )
        #expect(try ScheduleRunSamples.read(merged) == Array(entries.dropFirst()))
        let all = try IDRun.merge(
            [run],
            now: .min + 5,
            firedRetentionMilliseconds: 1_000,
            to: directory.file("c.ids"),
            io: PosixFileIO.shared
        )
        #expect(try ScheduleRunSamples.read(all) == entries)
        let empty = try IDRun.merge(
            [],
            now: 0,
            firedRetentionMilliseconds: 0,
            to: directory.file("d.ids"),
            io: PosixFileIO.shared
        )
        #expect(empty.entryCount == 0)
        #expect(try IDRun.open(path: directory.file("d.ids"), io: PosixFileIO.shared).entries(forHash: 1) == [])
    }

    @Test("an id merge that keeps under half its inputs writes a filter sized for what it kept")
    func bloomResized() throws {
        let directory = try ScheduleRunDirectory("ids-bloom")
        defer { directory.remove() }
        let entries = (0..<UInt64(10_000)).map { index in
            IDEntry(idHash: index * 3, seq: 1, due: 0, state: index % 10 == 0 ? .pending : .cancelled, changedAt: 0)
        }
        let run = try IDRun.write(entries, to: directory.file("a.ids"), io: PosixFileIO.shared)
        #expect(run.footerBytes - 80 - 16 * run.blockCount == BloomFilter(expectedEntries: 10_000).byteCount)
        let merged = try IDRun.merge(
            [run],
            now: 0,
            firedRetentionMilliseconds: 0,
            to: directory.file("b.ids"),
            io: PosixFileIO.shared
        )
        let reopened = try IDRun.open(path: directory.file("b.ids"), io: PosixFileIO.shared)
        #expect(reopened.entryCount == 1_000)
        #expect(reopened.footerBytes - 80 - 16 * reopened.blockCount == BloomFilter(expectedEntries: 1_000).byteCount)
        #expect(merged.footerBytes == reopened.footerBytes)
        for entry in entries {
            #expect(try reopened.entries(forHash: entry.idHash) == (entry.state == .pending ? [entry] : []))
        }
    }
}
