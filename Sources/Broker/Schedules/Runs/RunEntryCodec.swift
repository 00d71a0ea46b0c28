/// How one kind of run entry is laid out in its 32 bytes on disk and ordered: what the run file
/// code (``RunFileWriter``, ``RunFile``) needs to know about due and id entries.
protocol RunEntryCodec {
    /// The entry.
    associatedtype Entry: Hashable, Sendable
    /// Its sort key; entries of a run are in strictly increasing key order.
    associatedtype Key: Comparable, Hashable, Sendable

    /// The first 4 bytes of the file: `SLDR` for due runs, `SLIR` for id runs.
    static var magic: [UInt8] { get }
    /// The entry's key.
    static func key(of entry: Entry) -> Key
    /// Writes `entry`'s 32 bytes at `offset` of `bytes`.
    static func encode(_ entry: Entry, into bytes: UnsafeMutableRawBufferPointer, at offset: Int)
    /// Reads the entry at `offset` of `bytes`, or `nil` if its bytes are not a valid entry.
    static func decode(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Entry?
    /// Writes `key`'s 16 bytes (the sparse index) at `offset` of `bytes`.
    static func encode(key: Key, into bytes: UnsafeMutableRawBufferPointer, at offset: Int)
    /// Reads the 16-byte key at `offset` of `bytes`.
    static func decodeKey(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Key
    /// Whether the entry counts in the footer's `markedCount` (due runs: tombstones; id runs: pending entries).
    static func isMarked(_ entry: Entry) -> Bool
}

/// Due entries on disk (see ``DueEntry``).
enum DueEntryCodec: RunEntryCodec {
    static let magic: [UInt8] = Array("SLDR".utf8)

    static func key(of entry: DueEntry) -> DueKey { entry.key }

    static func encode(_ entry: DueEntry, into bytes: UnsafeMutableRawBufferPointer, at offset: Int) {
        bytes.storeBigEndian(entry.due, atByte: offset)
        bytes.storeBigEndian(entry.seq, atByte: offset + 8)
        bytes.storeBigEndian(entry.idHash, atByte: offset + 16)
        bytes.storeBigEndian(entry.topicTag, atByte: offset + 24)
        bytes.storeBigEndian(UInt32(entry.isTombstone ? 1 : 0) << 24, atByte: offset + 28)
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> DueEntry? {
        let flags: UInt32 = bytes.loadBigEndian(atByte: offset + 28)
        guard flags & ~(1 << 24) == 0 else { return nil }
        return DueEntry(
            due: bytes.loadBigEndian(atByte: offset),
            seq: bytes.loadBigEndian(atByte: offset + 8),
            idHash: bytes.loadBigEndian(atByte: offset + 16),
            topicTag: bytes.loadBigEndian(atByte: offset + 24),
            isTombstone: flags != 0
        )
    }

    static func encode(key: DueKey, into bytes: UnsafeMutableRawBufferPointer, at offset: Int) {
        bytes.storeBigEndian(key.due, atByte: offset)
        bytes.storeBigEndian(key.seq, atByte: offset + 8)
    }

    static func decodeKey(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> DueKey {
        DueKey(due: bytes.loadBigEndian(atByte: offset), seq: bytes.loadBigEndian(atByte: offset + 8))
    }

    static func isMarked(_ entry: DueEntry) -> Bool { entry.isTombstone }
}

/// Id entries on disk (see ``IDEntry``).
enum IDEntryCodec: RunEntryCodec {
    static let magic: [UInt8] = Array("SLIR".utf8)

    static func key(of entry: IDEntry) -> IDKey { entry.key }

    static func encode(_ entry: IDEntry, into bytes: UnsafeMutableRawBufferPointer, at offset: Int) {
        bytes.storeBigEndian(entry.idHash, atByte: offset)
        bytes.storeBigEndian(entry.seq, atByte: offset + 8)
        bytes.storeBigEndian(entry.due, atByte: offset + 16)
        let changed = UInt64(bitPattern: entry.changedAt) & ((1 << 56) - 1)
        bytes.storeBigEndian(UInt64(entry.state.rawValue) << 56 | changed, atByte: offset + 24)
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> IDEntry? {
        let packed: UInt64 = bytes.loadBigEndian(atByte: offset + 24)
        guard let state = ScheduleIDState(rawValue: UInt8(packed >> 56)) else { return nil }
        // Sign-extends the 56-bit time.
        let changedAt = Int64(bitPattern: packed << 8) >> 8
        return IDEntry(
            idHash: bytes.loadBigEndian(atByte: offset),
            seq: bytes.loadBigEndian(atByte: offset + 8),
            due: bytes.loadBigEndian(atByte: offset + 16),
            state: state,
            changedAt: changedAt
        )
    }

    static func encode(key: IDKey, into bytes: UnsafeMutableRawBufferPointer, at offset: Int) {
        bytes.storeBigEndian(key.idHash, atByte: offset)
        bytes.storeBigEndian(key.seq, atByte: offset + 8)
    }

    static func decodeKey(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> IDKey {
        IDKey(idHash: bytes.loadBigEndian(atByte: offset), seq: bytes.loadBigEndian(atByte: offset + 8))
    }

    static func isMarked(_ entry: IDEntry) -> Bool { entry.state == .pending }
}

extension UnsafeMutableRawBufferPointer {
    /// Stores `value` big-endian at `offset`.
    @inline(__always)
    func storeBigEndian<T: FixedWidthInteger>(_ value: T, atByte offset: Int) {
        precondition(offset >= 0 && offset + MemoryLayout<T>.size <= count)
        storeBytes(of: value.bigEndian, toByteOffset: offset, as: T.self)
    }
}

extension UnsafeRawBufferPointer {
    /// Loads a big-endian `T` at `offset` (any alignment).
    @inline(__always)
    func loadBigEndian<T: FixedWidthInteger>(atByte offset: Int) -> T {
        precondition(offset >= 0 && offset + MemoryLayout<T>.size <= count)
        return T(bigEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}
