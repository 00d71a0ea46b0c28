import Foundation
import LogStore
import LogStoreTesting
import Testing

@testable import Broker

/// What the run readers cost in system calls, counted on a simulated disk: an open reads the
/// header and the footer only; a cursor reads one block per `pread`; an id lookup reads nothing when
/// the filter rules the hash out, one block, or two when the hash's entries straddle a boundary.
@Suite("Schedule run reads")
struct ScheduleRunReadCountTests {
    @Test("open reads header and footer; a cursor reads one block per 127 entries")
    func dueReads() throws {
        let disk = SimulatedDisk()
        try disk.mkdir("/runs")
        var random = SplitMixGenerator(seed: 3)
        let entries = ScheduleRunSamples.dueEntries(count: 10 * RunFileFormat.entriesPerBlock + 5, using: &random)
        let path = "/runs/" + DueRun.fileName(number: 1)
        _ = try DueRun.write(entries, to: path, io: disk)
        var reads = disk.count(.read)
        let run = try DueRun.open(path: path, io: disk)
        // Header, tail, the footer's fixed part, the whole footer.
        #expect(disk.count(.read) - reads == 4)
        reads = disk.count(.read)
        var cursor = run.entries(from: entries[5 * RunFileFormat.entriesPerBlock + 3].key)
        #expect(disk.count(.read) == reads, "making a cursor reads nothing")
        var got: [DueEntry] = []
        while let entry = try cursor.next() {
            got.append(entry)
            // Block by block: never more reads than blocks begun.
            #expect(disk.count(.read) - reads == (got.count - 1 + 3) / RunFileFormat.entriesPerBlock + 1)
        }
        #expect(got == Array(entries[(5 * RunFileFormat.entriesPerBlock + 3)...]))
        #expect(disk.count(.read) - reads == 6)
    }

    @Test("an id lookup reads 0 blocks for a filtered-out hash, 1 usually, 2 across a boundary")
    func idReads() throws {
        let disk = SimulatedDisk()
        try disk.mkdir("/runs")
        let perBlock = RunFileFormat.entriesPerBlock
        // Hash h (h ≥ 1) has 2 seqs, so hash perBlock / 2 + 1... straddles blocks 0 and 1 when
        // perBlock is odd: entries 126 and 127 are its two seqs.
        var entries: [IDEntry] = []
        for hash in 1...UInt64(2 * perBlock) {
            for seq in 0..<Int64(2) {
                entries.append(IDEntry(idHash: hash * 1_000, seq: seq, due: 0, state: .pending, changedAt: 0))
            }
        }
        let path = "/runs/" + IDRun.fileName(number: 1)
        _ = try IDRun.write(entries, to: path, io: disk)
        let run = try IDRun.open(path: path, io: disk)
        func reads(_ hash: UInt64) throws -> Int {
            let before = disk.count(.read)
            let found = try run.entries(forHash: hash)
            #expect(found == entries.filter { $0.idHash == hash })
            return disk.count(.read) - before
        }
        let straddling = UInt64(perBlock / 2 + 1) * 1_000  // entries 126 (block 0) and 127 (block 1)
        #expect(entries[perBlock - 1].idHash == straddling && entries[perBlock].idHash == straddling)
        #expect(try reads(straddling) == 2)
        #expect(try reads(5_000) == 1)
        #expect(try reads(UInt64(2 * perBlock) * 1_000) == 1)
        var filtered = 0
        for hash in stride(from: UInt64(1_000_001), to: 1_002_001, by: 1) where !run.mayContain(hash) {
            #expect(try reads(hash) == 0)
            filtered += 1
        }
        #expect(filtered > 900, "the filter rules out most absent hashes")
    }
}
