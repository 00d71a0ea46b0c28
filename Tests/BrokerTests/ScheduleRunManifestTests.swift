import BrokerProtocol
import Foundation
import LogStore
import LogStoreTesting
import Testing

@testable import Broker

/// The scheduler's manifest: round trip, missing, damaged, leftover `manifest.tmp`, atomic replacement.
@Suite("Schedule manifest")
struct ScheduleRunManifestTests {
    static let directory = "/schedules"

    static func disk() throws -> SimulatedDisk {
        let disk = SimulatedDisk()
        try disk.mkdir(directory)
        return disk
    }

    static func sample(_ seed: UInt64 = 1) -> ScheduleManifest {
        var random = SplitMixGenerator(seed: seed)
        var manifest = ScheduleManifest()
        manifest.flushedOffset = Int64.random(in: 0...(1 << 50), using: &random)
        manifest.watermark = DueKey(due: Int64.random(in: -5...(1 << 45), using: &random), seq: .max)
        manifest.nextRunNumber = 40
        manifest.dueRuns = [DueRun.fileName(number: 3), DueRun.fileName(number: 39)]
        manifest.idRuns = [IDRun.fileName(number: 4), IDRun.fileName(number: 17), IDRun.fileName(number: 38)]
        manifest.pendingByTopic = ["orders": 12, "reminders": 0, "événements": 1 << 40, "": 3]
        for _ in 0..<Int.random(in: 0...50, using: &random) {
            manifest.liveBySegment[Int64.random(in: 0...(1 << 40), using: &random)] = Int64.random(
                in: 0...1_000,
                using: &random
            )
        }
        return manifest
    }

    @Test("round trip; none before the first write; a rewrite replaces it")
    func roundTrip() throws {
        let disk = try Self.disk()
        #expect(try ScheduleManifest.read(directory: Self.directory, io: disk) == nil)
        let first = Self.sample(1)
        try first.write(directory: Self.directory, io: disk)
        #expect(try ScheduleManifest.read(directory: Self.directory, io: disk) == first)
        let second = Self.sample(2)
        try second.write(directory: Self.directory, io: disk)
        #expect(try ScheduleManifest.read(directory: Self.directory, io: disk) == second)
        #expect(!disk.exists(Self.directory + "/manifest.tmp"))
        let empty = ScheduleManifest()
        try empty.write(directory: Self.directory, io: disk)
        #expect(try ScheduleManifest.read(directory: Self.directory, io: disk) == empty)
        // On the real file system too.
        let real = try ScheduleRunDirectory("manifest")
        defer { real.remove() }
        try first.write(directory: real.path, io: PosixFileIO.shared)
        #expect(try ScheduleManifest.read(directory: real.path, io: PosixFileIO.shared) == first)
    }

    @Test("a leftover manifest.tmp is ignored, with or without a manifest")
    func leftoverTemporary() throws {
        let disk = try Self.disk()
        let temporary = Self.directory + "/manifest.tmp"
        disk.close(try disk.open(temporary, create: true))
        disk.overwrite(temporary, with: Array("half a manifest".utf8))
        #expect(try ScheduleManifest.read(directory: Self.directory, io: disk) == nil)
        let manifest = Self.sample()
        try manifest.write(directory: Self.directory, io: disk)
        disk.close(try disk.open(temporary, create: true))
        disk.overwrite(temporary, with: try Self.sample(9).encoded())
        #expect(try ScheduleManifest.read(directory: Self.directory, io: disk) == manifest)
    }

    @Test("a flipped byte or a truncation anywhere is a storageError naming the file")
    func damage() throws {
        let disk = try Self.disk()
        try Self.sample().write(directory: Self.directory, io: disk)
        let path = Self.directory + "/manifest"
        let original = disk.contents(of: path)!
        var random = SplitMixGenerator(seed: 5)
        for position in 0..<original.count {
            var damaged = original
            damaged[position] ^= UInt8.random(in: 1...255, using: &random)
            disk.overwrite(path, with: damaged)
            expectStorageError(naming: path, "byte \(position) flipped") {
                _ = try ScheduleManifest.read(directory: Self.directory, io: disk)
            }
        }
        for size in 0..<original.count {
            disk.overwrite(path, with: Array(original[0..<size]))
            expectStorageError(naming: path, "cut at \(size)") {
                _ = try ScheduleManifest.read(directory: Self.directory, io: disk)
            }
        }
        disk.overwrite(path, with: original + [0])
        expectStorageError(naming: path, "a byte added") {
            _ = try ScheduleManifest.read(directory: Self.directory, io: disk)
        }
    }

    @Test("bad contents under a valid CRC are refused: run names, counts, version")
    func badContents() throws {
        let path = Self.directory + "/manifest"
        var cases: [(String, ScheduleManifest)] = []
        var manifest = Self.sample()
        manifest.dueRuns.append("../../etc/passwd")
        cases.append(("a path as a run name", manifest))
        manifest = Self.sample()
        manifest.dueRuns.append(IDRun.fileName(number: 5))
        cases.append(("an id run among the due runs", manifest))
        manifest = Self.sample()
        manifest.idRuns.append(IDRun.fileName(number: 40))
        cases.append(("a run number not below nextRunNumber", manifest))
        manifest = Self.sample()
        manifest.pendingByTopic["t"] = -1
        cases.append(("a negative pending count", manifest))
        manifest = Self.sample()
        manifest.liveBySegment[5] = -2
        cases.append(("a negative live count", manifest))
        manifest = Self.sample()
        manifest.flushedOffset = -1
        cases.append(("a negative flushed offset", manifest))
        for (name, manifest) in cases {
            expectStorageError(naming: path, name) {
                _ = try ScheduleManifest.decode(try manifest.encoded(), path: path)
            }
        }
        var future = Self.sample()
        future.version = 2
        #expect(throws: BrokerError.self) { _ = try future.encoded() }
    }

    @Test(
        "a power cut during a rewrite leaves the old or the new manifest, never a damaged one",
        arguments: 0..<UInt64(40)
    )
    func powerCut(seed: UInt64) throws {
        let disk = try Self.disk()
        try disk.syncDirectory("/")
        let old = Self.sample(1)
        try old.write(directory: Self.directory, io: disk)
        let new = Self.sample(2)
        var finished = false
        var random = SplitMixGenerator(seed: seed)
        // Cut the power before the write, or after one of its steps fails (a fault stops it there).
        let stop = Int.random(in: 0...4, using: &random)
        let faults: [SimulatedDisk.Fault] = [
            .init(.write, pathSuffix: "manifest.tmp", errno: EIO, bytesWrittenBeforeFailing: 7),
            .init(.sync, pathSuffix: "manifest.tmp", errno: EIO),
            .init(.rename, pathSuffix: "manifest.tmp", errno: EIO),
            .init(.syncDirectory, errno: EIO),
        ]
        if stop < faults.count { disk.inject(faults[stop]) }
        do {
            try new.write(directory: Self.directory, io: disk)
            finished = true
        } catch let error as BrokerError {
            #expect(error.code == .storageError)
        }
        let after = disk.powerCut(seed: seed)
        let found = try ScheduleManifest.read(directory: Self.directory, io: after)
        #expect(found == old || found == new, "seed \(seed), stop \(stop)")
        if finished { #expect(found == new, "seed \(seed): a finished write must survive") }
    }

    @Test("limits: a manifest over maximumBytes is refused unread; a name over 65,535 bytes is not written")
    func limits() throws {
        let disk = try Self.disk()
        try Self.sample().write(directory: Self.directory, io: disk)
        let path = Self.directory + "/manifest"
        disk.overwrite(path, with: [UInt8](repeating: 0, count: ScheduleManifest.maximumBytes + 1))
        expectStorageError(naming: path, "too big") {
            _ = try ScheduleManifest.read(directory: Self.directory, io: disk)
        }
        var manifest = Self.sample()
        manifest.pendingByTopic[String(repeating: "t", count: 65_535)] = 1
        try manifest.write(directory: Self.directory, io: disk)
        #expect(try ScheduleManifest.read(directory: Self.directory, io: disk) == manifest)
        manifest.pendingByTopic[String(repeating: "t", count: 65_536)] = 1
        #expect(throws: BrokerError.self) { try manifest.write(directory: Self.directory, io: disk) }
        #expect(try ScheduleManifest.read(directory: Self.directory, io: disk)?.pendingByTopic.count == 5)
    }
}
