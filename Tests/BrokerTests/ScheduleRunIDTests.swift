import BrokerProtocol
import Foundation
import LogStore
import Testing

@testable import Broker

/// Id runs: written, opened again, read in full, and looked up by hash against a sorted array.
@Suite("Schedule id runs")
struct ScheduleRunIDTests {
    static let perBlock = RunFileFormat.entriesPerBlock
    static let sizes = [0, 1, 2, perBlock - 1, perBlock, perBlock + 1, 3 * perBlock, 1_000, 100_000]

    @Test("round trip and lookups of present and absent hashes", arguments: sizes)
    func roundTrip(count: Int) throws {
        let directory = try ScheduleRunDirectory("ids")
        defer { directory.remove() }
        var random = SplitMixGenerator(seed: UInt64(count) + 100)
        // About 3 seqs per hash, so hashes' entries straddle block boundaries all the time.
        let hashes = (0..<max(1, count / 3)).map { _ in random.next() }
        let entries = ScheduleRunSamples.idEntries(count: count, hashes: hashes, using: &random)
        let path = directory.file(IDRun.fileName(number: 3))
        let written = try IDRun.write(entries, to: path, io: PosixFileIO.shared)
        let opened = try IDRun.open(path: path, io: PosixFileIO.shared)
        for run in [written, opened] {
            #expect(run.entryCount == Int64(count))
            #expect(run.pendingCount == Int64(entries.filter { $0.state == .pending }.count))
            #expect(run.minKey == entries.first?.key)
            #expect(run.maxKey == entries.last?.key)
            #expect(try ScheduleRunSamples.read(run) == entries)
        }
        let byHash = Dictionary(grouping: entries, by: \.idHash)
        // Every present hash (or a sample of them): all its seqs, in order.
        for hash in byHash.keys.shuffled(using: &random).prefix(2_000) {
            #expect(opened.mayContain(hash))
            #expect(try opened.entries(forHash: hash) == byHash[hash]!, "hash \(hash)")
        }
        // Absent hashes, random and next to present ones: nothing.
        var absent = (0..<500).map { _ in random.next() }
        for entry in entries.prefix(200) { absent += [entry.idHash &- 1, entry.idHash &+ 1] }
        absent += [0, .max]
        for hash in absent where byHash[hash] == nil {
            #expect(try opened.entries(forHash: hash) == [], "hash \(hash)")
        }
    }

    @Test("a hash with many seqs spans several blocks; its neighbours' lookups stay exact")
    func hashAcrossBlocks() throws {
        let directory = try ScheduleRunDirectory("ids-span")
        defer { directory.remove() }
        var entries: [IDEntry] = []
        // Hash 10: 5 seqs ending block 0; hash 20: 300 seqs over blocks 0-3; hash 30: one seq.
        func add(_ hash: UInt64, _ seqs: Range<Int64>) {
            for seq in seqs {
                entries.append(IDEntry(idHash: hash, seq: seq, due: seq * 10, state: .pending, changedAt: seq))
            }
        }
        add(5, 0..<(Int64(Self.perBlock) - 5))
        add(10, 0..<5)
        add(20, 0..<300)
        add(30, 7..<8)
        let path = directory.file(IDRun.fileName(number: 1))
        _ = try IDRun.write(entries, to: path, io: PosixFileIO.shared)
        let run = try IDRun.open(path: path, io: PosixFileIO.shared)
        #expect(run.blockCount == 4)
        for hash: UInt64 in [5, 10, 20, 30] {
            #expect(try run.entries(forHash: hash) == entries.filter { $0.idHash == hash }, "hash \(hash)")
        }
        for hash: UInt64 in [0, 4, 6, 11, 19, 21, 29, 31, .max] {
            #expect(try run.entries(forHash: hash) == [], "hash \(hash)")
        }
    }

    @Test("states, negative and extreme times survive the round trip; a changedAt beyond 56 bits is refused")
    func fields() throws {
        let directory = try ScheduleRunDirectory("ids-fields")
        defer { directory.remove() }
        let range = IDEntry.changedAtRange
        let entries = [
            IDEntry(idHash: 0, seq: .min, due: .min, state: .pending, changedAt: range.lowerBound),
            IDEntry(idHash: 0, seq: 0, due: 0, state: .cancelled, changedAt: -1),
            IDEntry(idHash: 1, seq: 5, due: .max, state: .fired, changedAt: range.upperBound),
            IDEntry(idHash: .max, seq: .max, due: -5, state: .superseded, changedAt: 1_800_000_000_000),
        ]
        let path = directory.file(IDRun.fileName(number: 1))
        _ = try IDRun.write(entries, to: path, io: PosixFileIO.shared)
        #expect(try ScheduleRunSamples.read(try IDRun.open(path: path, io: PosixFileIO.shared)) == entries)
        let tooBig = IDEntry(idHash: 3, seq: 1, due: 1, state: .fired, changedAt: range.upperBound + 1)
        expectStorageError(naming: path, "changedAt") {
            _ = try IDRun.write([tooBig], to: path, io: PosixFileIO.shared)
        }
        expectStorageError(naming: path, "unsorted") {
            _ = try IDRun.write([entries[1], entries[0]], to: path, io: PosixFileIO.shared)
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
