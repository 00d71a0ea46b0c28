import BrokerProtocol
import Foundation
import LogStore
import LogStoreTesting
import RecordCodec
import Testing

@testable import Broker

/// Damaged run files: a flipped byte anywhere (header, block, padding, trailer, index, Bloom filter,
/// tail), a truncation at any point, blocks swapped, a file of the other kind, failing system calls.
/// Each is a thrown `storageError` naming the file, never a crash or a wrong answer.
@Suite("Schedule run damage")
struct ScheduleRunDamageTests {
    static let directory = "/runs"

    static func disk() throws -> SimulatedDisk {
        let disk = SimulatedDisk()
        try disk.mkdir(directory)
        return disk
    }

    /// Opens the due run at `path` and reads it whole.
    static func readDue(_ path: String, io: any FileIO) throws -> [DueEntry] {
        try ScheduleRunSamples.read(try DueRun.open(path: path, io: io))
    }

    /// The positions to damage: every byte of the header, of the first block's trailer, of the
    /// footer, and random ones.
    static func positions(size: Int, footerBytes: Int, using random: inout SplitMixGenerator) -> [Int] {
        var positions = Array(0..<32) + Array((32 + 4064)..<(32 + 4096)) + Array((size - footerBytes)..<size)
        positions += (0..<600).map { _ in Int.random(in: 0..<size, using: &random) }
        return positions
    }

    @Test("a flipped byte anywhere in a due run is a storageError when it is opened or read")
    func dueFlips() throws {
        let disk = try Self.disk()
        var random = SplitMixGenerator(seed: 11)
        let entries = ScheduleRunSamples.dueEntries(count: 3 * RunFileFormat.entriesPerBlock + 50, using: &random)
        let path = Self.directory + "/" + DueRun.fileName(number: 1)
        let run = try DueRun.write(entries, to: path, io: disk)
        let original = disk.contents(of: path)!
        #expect(try Self.readDue(path, io: disk) == entries)
        for position in Self.positions(size: original.count, footerBytes: run.footerBytes, using: &random) {
            var damaged = original
            damaged[position] ^= UInt8.random(in: 1...255, using: &random)
            disk.overwrite(path, with: damaged)
            expectStorageError(naming: path, "byte \(position) flipped") { _ = try Self.readDue(path, io: disk) }
        }
    }

    @Test("a truncated or extended due run is a storageError when opened")
    func dueTruncations() throws {
        let disk = try Self.disk()
        var random = SplitMixGenerator(seed: 12)
        let entries = ScheduleRunSamples.dueEntries(count: 2 * RunFileFormat.entriesPerBlock + 3, using: &random)
        let path = Self.directory + "/" + DueRun.fileName(number: 1)
        _ = try DueRun.write(entries, to: path, io: disk)
        let original = disk.contents(of: path)!
        var sizes = [0, 1, 31, 32, 33, 32 + 4096, 32 + 2 * 4096, original.count - 1, original.count - 16]
        sizes += (0..<300).map { _ in Int.random(in: 0..<original.count, using: &random) }
        for size in sizes {
            disk.overwrite(path, with: Array(original[0..<size]))
            expectStorageError(naming: path, "cut at \(size)") { _ = try Self.readDue(path, io: disk) }
        }
        for extra in [1, 16, 4096] {
            disk.overwrite(path, with: original + [UInt8](repeating: 0, count: extra))
            expectStorageError(naming: path, "\(extra) bytes added") { _ = try Self.readDue(path, io: disk) }
        }
        // A whole-block cut that keeps a valid-looking tail: the last block dropped, footer kept.
        let footerStart = 32 + 3 * 4096
        disk.overwrite(path, with: Array(original[0..<(32 + 2 * 4096)]) + Array(original[footerStart...]))
        expectStorageError(naming: path, "last block removed") { _ = try Self.readDue(path, io: disk) }
    }

    @Test("swapped blocks (each with a valid CRC) are a storageError")
    func swappedBlocks() throws {
        let disk = try Self.disk()
        var random = SplitMixGenerator(seed: 13)
        let entries = ScheduleRunSamples.dueEntries(count: 3 * RunFileFormat.entriesPerBlock, using: &random)
        let path = Self.directory + "/" + DueRun.fileName(number: 1)
        _ = try DueRun.write(entries, to: path, io: disk)
        var bytes = disk.contents(of: path)!
        let first = Array(bytes[32..<(32 + 4096)])
        bytes.replaceSubrange(32..<(32 + 4096), with: bytes[(32 + 4096)..<(32 + 8192)])
        bytes.replaceSubrange((32 + 4096)..<(32 + 8192), with: first)
        disk.overwrite(path, with: bytes)
        expectStorageError(naming: path, "blocks swapped") { _ = try Self.readDue(path, io: disk) }
    }

    @Test("a flipped byte in an id run: open or a full read throws; a lookup throws or answers right")
    func idFlips() throws {
        let disk = try Self.disk()
        var random = SplitMixGenerator(seed: 14)
        let hashes = (0..<150).map { _ in random.next() }
        let entries = ScheduleRunSamples.idEntries(
            count: 3 * RunFileFormat.entriesPerBlock + 20,
            hashes: hashes,
            using: &random
        )
        let byHash = Dictionary(grouping: entries, by: \.idHash)
        let path = Self.directory + "/" + IDRun.fileName(number: 1)
        let run = try IDRun.write(entries, to: path, io: disk)
        let original = disk.contents(of: path)!
        for position in Self.positions(size: original.count, footerBytes: run.footerBytes, using: &random) {
            var damaged = original
            damaged[position] ^= UInt8.random(in: 1...255, using: &random)
            disk.overwrite(path, with: damaged)
            expectStorageError(naming: path, "byte \(position) flipped") {
                _ = try ScheduleRunSamples.read(try IDRun.open(path: path, io: disk))
            }
            guard let opened = try? IDRun.open(path: path, io: disk) else { continue }
            for hash in hashes.shuffled(using: &random).prefix(20) {
                do {
                    #expect(try opened.entries(forHash: hash) == byHash[hash] ?? [], "byte \(position): wrong answer")
                } catch let error as BrokerError {
                    #expect(error.code == .storageError && error.message.contains(path))
                }
            }
        }
        for size in (0..<200).map({ _ in Int.random(in: 0..<original.count, using: &random) }) {
            disk.overwrite(path, with: Array(original[0..<size]))
            expectStorageError(naming: path, "cut at \(size)") { _ = try IDRun.open(path: path, io: disk) }
        }
    }

    @Test("a run of the other kind, a missing file and failing reads are storageErrors naming the file")
    func wrongKindMissingAndFaults() throws {
        let disk = try Self.disk()
        let ids = Self.directory + "/" + IDRun.fileName(number: 1)
        let due = Self.directory + "/" + DueRun.fileName(number: 2)
        _ = try IDRun.write([IDEntry(idHash: 1, seq: 1, due: 1, state: .pending, changedAt: 1)], to: ids, io: disk)
        _ = try DueRun.write([DueEntry(due: 1, seq: 1, idHash: 1, topicTag: 1, isTombstone: false)], to: due, io: disk)
        expectStorageError(naming: ids, "id run opened as due") { _ = try DueRun.open(path: ids, io: disk) }
        expectStorageError(naming: due, "due run opened as ids") { _ = try IDRun.open(path: due, io: disk) }
        let missing = Self.directory + "/" + DueRun.fileName(number: 9)
        expectStorageError(naming: missing, "missing") { _ = try DueRun.open(path: missing, io: disk) }

        let run = try DueRun.open(path: due, io: disk)
        disk.inject(SimulatedDisk.Fault(.read, pathSuffix: ".due", errno: EIO))
        expectStorageError(naming: due, "EIO on read") { _ = try ScheduleRunSamples.read(run) }

        // A write that fails leaves no partial file behind.
        let failed = Self.directory + "/" + DueRun.fileName(number: 3)
        disk.inject(SimulatedDisk.Fault(.write, pathSuffix: "3.due", errno: ENOSPC, skip: 1))
        var random = SplitMixGenerator(seed: 15)
        let many = ScheduleRunSamples.dueEntries(count: 40 * RunFileFormat.entriesPerBlock, using: &random)
        expectStorageError(naming: failed, "ENOSPC on write") { _ = try DueRun.write(many, to: failed, io: disk) }
        #expect(!disk.exists(failed))
        disk.inject(SimulatedDisk.Fault(.sync, pathSuffix: "4.ids", errno: EIO))
        let unsynced = Self.directory + "/" + IDRun.fileName(number: 4)
        expectStorageError(naming: unsynced, "EIO on fdatasync") {
            _ = try IDRun.write(
                [IDEntry(idHash: 1, seq: 1, due: 1, state: .pending, changedAt: 1)],
                to: unsynced,
                io: disk
            )
        }
        #expect(!disk.exists(unsynced))
        // Only `run` is open: failed opens and writes left no descriptor behind.
        #expect(disk.openDescriptorCount == 1)
        _ = run
    }

    @Test("footers with a valid CRC but impossible contents are refused, never trusted or trapped on")
    func craftedFooters() throws {
        let disk = try Self.disk()
        var random = SplitMixGenerator(seed: 16)
        let entries = ScheduleRunSamples.dueEntries(count: 2 * RunFileFormat.entriesPerBlock + 9, using: &random)
        let path = Self.directory + "/" + DueRun.fileName(number: 1)
        let run = try DueRun.write(entries, to: path, io: disk)
        let original = disk.contents(of: path)!
        let footerOffset = original.count - run.footerBytes
        /// `original` with the footer's bytes at `offset` (from the footer's start) replaced and its CRC redone.
        func crafted(_ offset: Int, _ value: some FixedWidthInteger) -> [UInt8] {
            var bytes = original
            withUnsafeBytes(of: value.bigEndian) {
                bytes.replaceSubrange((footerOffset + offset)..<(footerOffset + offset + $0.count), with: $0)
            }
            let crc = CRC32C.checksum(bytes[footerOffset..<(bytes.count - 4)])
            withUnsafeBytes(of: crc.bigEndian) { bytes.replaceSubrange((bytes.count - 4)..., with: $0) }
            return bytes
        }
        let cases: [(String, [UInt8])] = [
            ("entryCount Int64.max", crafted(0, Int64.max)),
            ("entryCount -1", crafted(0, Int64(-1))),
            ("entryCount one block short", crafted(0, Int64(RunFileFormat.entriesPerBlock))),
            ("entryCount off by one", crafted(0, Int64(entries.count + 1))),
            ("markedCount above entryCount", crafted(8, Int64(entries.count + 1))),
            ("blockCount 2", crafted(16, UInt32(2))),
            ("bloomBlocks UInt32.max", crafted(20, UInt32.max)),
            ("minKey not the first key", crafted(24, Int64.min)),
            ("maxKey below the last block's first key", crafted(40, Int64.min)),
            ("reserved not 0", crafted(56, UInt64(1))),
            ("index keys out of order", crafted(64 + 16, Int64.min)),
            ("footerOffset off by a block", crafted(run.footerBytes - 16, Int64(footerOffset - 4096))),
        ]
        for (name, bytes) in cases {
            disk.overwrite(path, with: bytes)
            expectStorageError(naming: path, name) { _ = try Self.readDue(path, io: disk) }
        }
    }
}
