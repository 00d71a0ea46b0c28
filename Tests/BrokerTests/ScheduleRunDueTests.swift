import BrokerProtocol
import Foundation
import LogStore
import Testing

@testable import Broker

/// Due runs: written, opened again, read in full and from random keys against a sorted array.
@Suite("Schedule due runs")
struct ScheduleRunDueTests {
    static let perBlock = RunFileFormat.entriesPerBlock
    static let sizes = [0, 1, 2, perBlock - 1, perBlock, perBlock + 1, 3 * perBlock, 1_000, 100_000]

    @Test("round trip: written, reopened, read whole and from random keys", arguments: sizes)
    func roundTrip(count: Int) throws {
        let directory = try ScheduleRunDirectory("due")
        defer { directory.remove() }
        var random = SplitMixGenerator(seed: UInt64(count) + 1)
        let entries = ScheduleRunSamples.dueEntries(count: count, using: &random)
        let path = directory.file(DueRun.fileName(number: 7))
        let written = try DueRun.write(entries, to: path, io: PosixFileIO.shared)
        let opened = try DueRun.open(path: path, io: PosixFileIO.shared)
        for run in [written, opened] {
            #expect(run.entryCount == Int64(count))
            #expect(run.tombstoneCount == Int64(entries.filter(\.isTombstone).count))
            #expect(run.minKey == entries.first?.key)
            #expect(run.maxKey == entries.last?.key)
            #expect(run.blockCount == (count + Self.perBlock - 1) / Self.perBlock)
            #expect(try ScheduleRunSamples.read(run) == entries)
        }
        // The footer is O(blocks): 16 bytes per block plus 80.
        #expect(opened.footerBytes == 80 + 16 * opened.blockCount)
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        #expect(size == 32 + 4096 * opened.blockCount + opened.footerBytes)
        // Cursors from keys before the first, between, on and after the last entry.
        var starts: [DueKey] = [.minimum, DueKey(due: .max, seq: .max), DueKey(due: -1, seq: 0)]
        if let last = entries.last?.key { starts += [last, DueKey(due: last.due, seq: last.seq + 1)] }
        for _ in 0..<40 {
            if !entries.isEmpty, Bool.random(using: &random) {
                let key = entries.randomElement(using: &random)!.key
                starts.append(Bool.random(using: &random) ? key : DueKey(due: key.due, seq: key.seq + 1))
            } else {
                starts.append(
                    DueKey(
                        due: Int64.random(in: -10...1_000_010, using: &random),
                        seq: Int64.random(in: 0...(1 << 40), using: &random)
                    )
                )
            }
        }
        for start in starts {
            let expected = Array(entries.drop { $0.key < start })
            // A prefix is enough for big runs: it crosses block boundaries.
            var cursor = opened.entries(from: start)
            var got: [DueEntry] = []
            while got.count < min(expected.count, 300), let entry = try cursor.next() { got.append(entry) }
            #expect(got == Array(expected.prefix(got.count)), "from \(start)")
            #expect(got.count == min(expected.count, 300), "from \(start)")
            if expected.count <= 300 { #expect(try cursor.next() == nil, "from \(start)") }
        }
    }

    @Test("unsorted or duplicate keys are refused and leave no file")
    func refusesUnsorted() throws {
        let directory = try ScheduleRunDirectory("due-unsorted")
        defer { directory.remove() }
        let a = DueEntry(due: 5, seq: 1, idHash: 1, topicTag: 1, isTombstone: false)
        let b = DueEntry(due: 5, seq: 2, idHash: 2, topicTag: 1, isTombstone: false)
        let path = directory.file(DueRun.fileName(number: 1))
        expectStorageError(naming: path, "unsorted") { _ = try DueRun.write([b, a], to: path, io: PosixFileIO.shared) }
        #expect(!FileManager.default.fileExists(atPath: path))
        expectStorageError(naming: path, "duplicate") {
            _ = try DueRun.write(
                [a, b, DueEntry(due: 5, seq: 2, idHash: 9, topicTag: 0, isTombstone: true)],
                to: path,
                io: PosixFileIO.shared
            )
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test("extreme keys and fields survive the round trip")
    func extremes() throws {
        let directory = try ScheduleRunDirectory("due-extremes")
        defer { directory.remove() }
        let entries = [
            DueEntry(due: .min, seq: .min, idHash: 0, topicTag: 0, isTombstone: true),
            DueEntry(due: .min, seq: .max, idHash: .max, topicTag: .max, isTombstone: false),
            DueEntry(due: 0, seq: 0, idHash: 1 << 63, topicTag: 1 << 31, isTombstone: true),
            DueEntry(due: .max, seq: .max, idHash: 42, topicTag: 7, isTombstone: false),
        ]
        let path = directory.file(DueRun.fileName(number: .max))
        _ = try DueRun.write(entries, to: path, io: PosixFileIO.shared)
        let run = try DueRun.open(path: path, io: PosixFileIO.shared)
        #expect(try ScheduleRunSamples.read(run) == entries)
        #expect(try ScheduleRunSamples.read(run, from: DueKey(due: .min, seq: .min + 1)) == Array(entries.dropFirst()))
        #expect(DueRun.fileName(number: .max) == "18446744073709551615.due")
        #expect(IDRun.fileName(number: 42) == "00000000000000000042.ids")
        #expect(RunFileName.parse("00000000000000000042.ids").map { [String($0.number), $0.suffix] } == ["42", "ids"])
        #expect(RunFileName.parse("0000000000000000042.ids") == nil)
        #expect(RunFileName.parse("00000000000000000042.log") == nil)
        #expect(RunFileName.parse("99999999999999999999.due") == nil)
    }
}
