import Foundation
import LogStore
import Testing

@testable import Broker

/// A throwaway measurement, not a test: writes, opens, scans, merges and looks up 10,000,000-entry
/// runs and prints the times. Runs only with `SLUICE_RUN_BENCH=1` (use a release build:
/// `SLUICE_RUN_BENCH=1 swift test -c release --filter ScheduleRunBenchTests`); asserts nothing
/// about time. `SLUICE_RUN_BENCH_ENTRIES` changes the size.
@Suite("Schedule run measurements")
struct ScheduleRunBenchTests {
    static let isEnabled = ProcessInfo.processInfo.environment["SLUICE_RUN_BENCH"] == "1"
    static let count = ProcessInfo.processInfo.environment["SLUICE_RUN_BENCH_ENTRIES"].flatMap { Int($0) } ?? 10_000_000

    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = ContinuousClock.now
        try body()
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    static func residentMegabytes() -> Double {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Double(line.split(separator: " ").dropFirst().first ?? "0").map { $0 / 1024 } ?? 0
    }

    @Test("write, open, scan, merge and look up 10,000,000-entry runs", .enabled(if: isEnabled))
    func measure() throws {
        let directory = try ScheduleRunDirectory("bench")
        defer { directory.remove() }
        let count = Self.count
        var random = SplitMixGenerator(seed: 1)
        print("run bench: \(count) entries")

        var due: [DueEntry] = []
        due.reserveCapacity(count)
        for index in 0..<count {
            due.append(
                DueEntry(
                    due: 1_800_000_000_000 + Int64(index / 4),
                    seq: Int64(index),
                    idHash: random.next(),
                    topicTag: 1,
                    isTombstone: false
                )
            )
        }
        let duePath = directory.file(DueRun.fileName(number: 1))
        var written: DueRun?
        let dueWrite = try Self.seconds { written = try DueRun.write(due, to: duePath) }
        written = nil
        due = []
        let before = Self.residentMegabytes()
        var dueRun: DueRun?
        let dueOpen = try Self.seconds { dueRun = try DueRun.open(path: duePath) }
        let after = Self.residentMegabytes()
        var scanned = 0
        let dueScan = try Self.seconds {
            var cursor = dueRun!.entries()
            while try cursor.next() != nil { scanned += 1 }
        }
        let dueMerge = try Self.seconds {
            _ = try DueRun.merge([dueRun!], droppingBelow: .minimum, to: directory.file(DueRun.fileName(number: 2)))
        }
        print(
            "due run: write \(dueWrite) s, open \(dueOpen) s, footer \(dueRun!.footerBytes) bytes "
                + "(RSS \(before) → \(after) MB), scan of \(scanned) \(dueScan) s, merge of 1 run \(dueMerge) s"
        )

        var ids: [IDEntry] = []
        ids.reserveCapacity(count)
        var hash: UInt64 = 0
        for index in 0..<count {
            hash += UInt64.random(in: 1...(1 << 40), using: &random)
            ids.append(IDEntry(idHash: hash, seq: Int64(index), due: 0, state: .pending, changedAt: 1_800_000_000_000))
        }
        var filter = BloomFilter(expectedEntries: count)
        let bloomInsert = Self.seconds { for entry in ids { filter.insert(entry.idHash) } }
        print("Bloom filter: \(count) inserts \(bloomInsert) s")
        let idPath = directory.file(IDRun.fileName(number: 3))
        var idWritten: IDRun?
        let idWrite = try Self.seconds { idWritten = try IDRun.write(ids, to: idPath) }
        idWritten = nil
        let sample = (0..<100_000).map { _ in ids[Int.random(in: 0..<count, using: &random)].idHash }
        ids = []
        let idBefore = Self.residentMegabytes()
        var idRun: IDRun?
        let idOpen = try Self.seconds { idRun = try IDRun.open(path: idPath) }
        let idAfter = Self.residentMegabytes()
        var found = 0
        let present = try Self.seconds { for hash in sample { found += try idRun!.entries(forHash: hash).count } }
        var falsePositives = 0
        let absent = try Self.seconds {
            for hash in sample {
                if idRun!.mayContain(hash &+ 1) { falsePositives += 1 }
                found += try idRun!.entries(forHash: hash &+ 1).count
            }
        }
        let idMerge = try Self.seconds {
            _ = try IDRun.merge(
                [idRun!],
                now: 0,
                firedRetentionMilliseconds: 0,
                to: directory.file(IDRun.fileName(number: 4))
            )
        }
        print(
            "id run: write \(idWrite) s, open \(idOpen) s, footer with Bloom filter \(idRun!.footerBytes) bytes "
                + "(RSS \(idBefore) → \(idAfter) MB); entries(forHash:) present \(present / 1e-1) µs/call, "
                + "absent \(absent / 1e-1) µs/call (\(falsePositives) of 100000 passed the filter); "
                + "merge of 1 run \(idMerge) s; found \(found)"
        )
    }
}
