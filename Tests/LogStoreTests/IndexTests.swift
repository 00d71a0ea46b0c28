import Foundation
import Testing

@testable import LogStore

/// The sparse offset index (`.index`, 8-byte entries) and time index (`.timeindex`, 12-byte
/// entries) of a segment.
@Suite("Indexes")
struct IndexTests {
    /// Runs `body` with a new, empty file in a temporary directory.
    func withIndexFile(_ body: (LogFile, StorageFixture) throws -> Void) throws {
        try withStorageFixture { fixture in
            try FileManager.default.createDirectory(atPath: fixture.directory, withIntermediateDirectories: true)
            let file = try LogFile.open(
                fixture.path("00000000000000000100.index"),
                create: true,
                io: PosixFileIO.shared
            )
            try body(file, fixture)
        }
    }

    static func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }

    static func offsetEntryBytes(_ relativeOffset: UInt32, _ position: UInt32) -> [UInt8] {
        bigEndian(relativeOffset) + bigEndian(position)
    }

    static func timeEntryBytes(_ timestamp: Int64, _ relativeOffset: UInt32) -> [UInt8] {
        bigEndian(timestamp) + bigEndian(relativeOffset)
    }

    // MARK: OffsetIndex

    @Test("OffsetIndex appends 8-byte big-endian entries and finds the entry at or before an offset")
    func offsetIndexAppendAndLookup() throws {
        try withIndexFile { file, _ in
            var index = OffsetIndex(file: file, baseOffset: 100)
            #expect(index.lookup(100) == .init(offset: 100, position: 0))
            try index.append(offset: 110, position: 400)
            try index.append(offset: 120, position: 900)
            try index.append(offset: 135, position: 70_000)
            #expect(
                try FileDamage.read(file.path)
                    == Self.offsetEntryBytes(10, 400) + Self.offsetEntryBytes(20, 900)
                    + Self.offsetEntryBytes(35, 70_000)
            )
            let expectations: [(Int64, OffsetIndex.Entry)] = [
                (0, .init(offset: 100, position: 0)), (100, .init(offset: 100, position: 0)),
                (109, .init(offset: 100, position: 0)), (110, .init(offset: 110, position: 400)),
                (119, .init(offset: 110, position: 400)), (120, .init(offset: 120, position: 900)),
                (134, .init(offset: 120, position: 900)), (135, .init(offset: 135, position: 70_000)),
                (.max, .init(offset: 135, position: 70_000)),
            ]
            for (offset, entry) in expectations { #expect(index.lookup(offset) == entry, "offset \(offset)") }
        }
    }

    @Test("OffsetIndex.load reads back a valid file, and an empty one")
    func offsetIndexLoad() throws {
        try withIndexFile { file, _ in
            #expect(try OffsetIndex.load(file: file, baseOffset: 100, logSize: 0).entries.isEmpty)
            var index = OffsetIndex(file: file, baseOffset: 100)
            for step in 1...50 { try index.append(offset: 100 + Int64(step * 3), position: Int64(step * 4_100)) }
            let loaded = try OffsetIndex.load(file: file, baseOffset: 100, logSize: 50 * 4_100 + 1)
            #expect(loaded.entries == index.entries)
            #expect(loaded.entries.count == 50)
            #expect(loaded.lookup(152) == .init(offset: 151, position: 17 * 4_100))
        }
    }

    @Test(
        "OffsetIndex.load rejects a damaged file with corruptIndex",
        arguments: [
            ("size not a multiple of 8", Self.offsetEntryBytes(1, 10) + [0, 0, 0], nil),
            ("offsets out of order", Self.offsetEntryBytes(5, 10) + Self.offsetEntryBytes(4, 20), 8),
            ("repeated offset", Self.offsetEntryBytes(5, 10) + Self.offsetEntryBytes(5, 20), 8),
            ("positions out of order", Self.offsetEntryBytes(5, 20) + Self.offsetEntryBytes(6, 10), 8),
            ("repeated position", Self.offsetEntryBytes(5, 20) + Self.offsetEntryBytes(6, 20), 8),
            ("entry for the base offset", Self.offsetEntryBytes(0, 10), 0),
            ("entry at position 0", Self.offsetEntryBytes(3, 0), 0),
            ("position past the log end", Self.offsetEntryBytes(1, 10) + Self.offsetEntryBytes(2, 1_000), 8),
        ] as [(String, [UInt8], Int64?)]
    )
    func offsetIndexRejects(_ name: String, _ bytes: [UInt8], _ position: Int64?) throws {
        try withIndexFile { file, _ in
            try FileDamage.write(bytes, to: file.path)
            let error = expectLogStoreError(.corruptIndex, "\(name)") {
                _ = try OffsetIndex.load(file: file, baseOffset: 100, logSize: 1_000)
            }
            #expect(error?.path == file.path, "\(name)")
            if let position { #expect(error?.position == position, "\(name)") }
        }
    }

    @Test("OffsetIndex.rewrite replaces the whole file")
    func offsetIndexRewrite() throws {
        try withIndexFile { file, _ in
            var index = OffsetIndex(file: file, baseOffset: 100)
            for step in 1...5 { try index.append(offset: 100 + Int64(step), position: Int64(step * 100)) }
            try index.rewrite([.init(offset: 150, position: 4_000)])
            #expect(try FileDamage.read(file.path) == Self.offsetEntryBytes(50, 4_000))
            #expect(
                try OffsetIndex.load(file: file, baseOffset: 100, logSize: 5_000).entries == [
                    .init(offset: 150, position: 4_000)
                ]
            )
        }
    }

    // MARK: TimeIndex

    @Test("TimeIndex adds an entry only when both fields move forward")
    func timeIndexAppendIfNewer() throws {
        try withIndexFile { file, _ in
            var index = TimeIndex(file: file, baseOffset: 100)
            #expect(index.lastTimestamp == nil)
            try index.appendIfNewer(timestamp: 50, offset: 100)  // "before the first record": says nothing
            #expect(index.entries.isEmpty)
            try index.appendIfNewer(timestamp: 1_000, offset: 105)
            try index.appendIfNewer(timestamp: 1_000, offset: 110)  // timestamp did not grow
            try index.appendIfNewer(timestamp: 900, offset: 120)
            try index.appendIfNewer(timestamp: 2_000, offset: 105)  // offset did not grow
            try index.appendIfNewer(timestamp: 2_000, offset: 104)
            try index.appendIfNewer(timestamp: 2_000, offset: 120)
            #expect(index.entries == [.init(timestamp: 1_000, offset: 105), .init(timestamp: 2_000, offset: 120)])
            #expect(index.lastTimestamp == 2_000)
            #expect(try FileDamage.read(file.path) == Self.timeEntryBytes(1_000, 5) + Self.timeEntryBytes(2_000, 20))
        }
    }

    @Test("TimeIndex.lookup gives the offset of the last entry with a smaller timestamp")
    func timeIndexLookup() throws {
        try withIndexFile { file, _ in
            var index = TimeIndex(file: file, baseOffset: 100)
            #expect(index.lookup(.max) == 100)
            try index.appendIfNewer(timestamp: 1_000, offset: 105)
            try index.appendIfNewer(timestamp: 2_000, offset: 120)
            try index.appendIfNewer(timestamp: 3_000, offset: 121)
            let expectations: [(Int64, Int64)] = [
                (.min, 100), (0, 100), (1_000, 100), (1_001, 105), (2_000, 105), (2_001, 120), (3_000, 120),
                (3_001, 121), (.max, 121),
            ]
            for (timestamp, offset) in expectations {
                #expect(index.lookup(timestamp) == offset, "timestamp \(timestamp)")
            }
        }
    }

    @Test("TimeIndex.load reads back a valid file, and negative timestamps")
    func timeIndexLoad() throws {
        try withIndexFile { file, _ in
            #expect(try TimeIndex.load(file: file, baseOffset: 100).entries.isEmpty)
            var index = TimeIndex(file: file, baseOffset: 100)
            try index.appendIfNewer(timestamp: -5_000, offset: 101)
            for step in 1...40 {
                try index.appendIfNewer(timestamp: Int64(step) * 1_000, offset: 101 + Int64(step * 7))
            }
            let loaded = try TimeIndex.load(file: file, baseOffset: 100)
            #expect(loaded.entries == index.entries)
            #expect(loaded.entries.count == 41)
            #expect(loaded.lastTimestamp == 40_000)
        }
    }

    @Test(
        "TimeIndex.load rejects a damaged file with corruptIndex",
        arguments: [
            ("size not a multiple of 12", Self.timeEntryBytes(1, 1) + [0, 0, 0, 0], nil),
            ("one stray byte", [7], nil),
            ("timestamps out of order", Self.timeEntryBytes(10, 1) + Self.timeEntryBytes(9, 2), 12),
            ("repeated timestamp", Self.timeEntryBytes(10, 1) + Self.timeEntryBytes(10, 2), 12),
            ("offsets out of order", Self.timeEntryBytes(10, 2) + Self.timeEntryBytes(11, 1), 12),
            ("repeated offset", Self.timeEntryBytes(10, 2) + Self.timeEntryBytes(11, 2), 12),
            (
                "third entry out of order",
                Self.timeEntryBytes(10, 2) + Self.timeEntryBytes(11, 3) + Self.timeEntryBytes(5, 4), 24
            ),
        ] as [(String, [UInt8], Int64?)]
    )
    func timeIndexRejects(_ name: String, _ bytes: [UInt8], _ position: Int64?) throws {
        try withIndexFile { file, _ in
            try FileDamage.write(bytes, to: file.path)
            let error = expectLogStoreError(.corruptIndex, "\(name)") {
                _ = try TimeIndex.load(file: file, baseOffset: 100)
            }
            #expect(error?.path == file.path, "\(name)")
            if let position { #expect(error?.position == position, "\(name)") }
        }
    }

    @Test("TimeIndex.rewrite replaces the whole file")
    func timeIndexRewrite() throws {
        try withIndexFile { file, _ in
            var index = TimeIndex(file: file, baseOffset: 100)
            for step in 1...5 { try index.appendIfNewer(timestamp: Int64(step) * 10, offset: 100 + Int64(step)) }
            try index.rewrite([.init(timestamp: 77, offset: 130)])
            #expect(try FileDamage.read(file.path) == Self.timeEntryBytes(77, 30))
            #expect(try TimeIndex.load(file: file, baseOffset: 100).entries == [.init(timestamp: 77, offset: 130)])
        }
    }
}
