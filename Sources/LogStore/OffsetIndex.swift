import NIOCore

/// The sparse offset index of one segment: which file position to start scanning from to find an
/// offset.
///
/// The `.index` file is a sequence of 8-byte entries, big-endian:
/// ```
/// offset size field
///      0    4 relativeOffset  baseOffset of a batch - the segment's base offset (UInt32)
///      4    4 position        that batch's byte position in the segment's .log (UInt32)
/// ```
/// One entry is written for the first batch appended after at least `indexIntervalBytes` bytes
/// (default 4 KiB) since the previous entry. Entries strictly increase in both fields. There is no
/// entry for the segment's first batch: "no entry" means "position 0".
///
/// The whole index is held in memory as well (8 bytes per ~4 KiB of log); the file lets a clean
/// start skip the scan. Loading checks the file (size a multiple of 8, both fields strictly
/// increasing, positions inside the log) and a damaged file is rebuilt, never trusted.
struct OffsetIndex {
    static let entrySize = 8

    struct Entry: Equatable {
        var offset: Int64
        var position: Int64
    }

    var file: LogFile
    let baseOffset: Int64
    private(set) var entries: [Entry]

    init(file: LogFile, baseOffset: Int64, entries: [Entry] = []) {
        self.file = file
        self.baseOffset = baseOffset
        self.entries = entries
    }

    /// Reads and checks the index file of a segment whose log is `logSize` bytes long.
    /// - Throws: `corruptIndex` naming the file and the position of the first bad entry.
    static func load(file: LogFile, baseOffset: Int64, logSize: Int64) throws -> OffsetIndex {
        let buffer = try file.readIndexEntries(entrySize: entrySize)
        let size = buffer.readableBytes
        var entries: [Entry] = []
        entries.reserveCapacity(size / entrySize)
        var previous = Entry(offset: baseOffset, position: 0)
        for index in 0..<(size / entrySize) {
            let at = index * entrySize
            let relative = buffer.getInteger(at: at, as: UInt32.self)!
            let position = buffer.getInteger(at: at + 4, as: UInt32.self)!
            let entry = Entry(offset: baseOffset + Int64(relative), position: Int64(position))
            guard entry.offset > previous.offset, entry.position > previous.position, entry.position < logSize else {
                throw LogStoreError(
                    .corruptIndex,
                    "entry \(index) (offset \(entry.offset), position \(entry.position)) is out of order or past the log's \(logSize) bytes",
                    path: file.path,
                    position: Int64(at)
                )
            }
            entries.append(entry)
            previous = entry
        }
        return OffsetIndex(file: file, baseOffset: baseOffset, entries: entries)
    }

    /// Adds an entry and writes it to the file.
    mutating func append(offset: Int64, position: Int64) throws {
        precondition(offset > (entries.last?.offset ?? baseOffset) && position > (entries.last?.position ?? 0))
        try file.write(
            Self.encode([Entry(offset: offset, position: position)], baseOffset: baseOffset),
            at: Int64(entries.count * Self.entrySize)
        )
        entries.append(Entry(offset: offset, position: position))
    }

    /// Drops the in-memory entries after the first `count` (after a failed append; the caller
    /// cuts the file to match).
    mutating func forgetEntries(after count: Int) {
        entries.removeLast(entries.count - count)
    }

    /// Replaces the file's contents with `entries`.
    mutating func rewrite(_ entries: [Entry]) throws {
        try file.truncate(to: 0)
        try file.write(Self.encode(entries, baseOffset: baseOffset), at: 0)
        self.entries = entries
    }

    /// The entry to start scanning from for `offset`: the last one at or before it, or the
    /// segment start.
    /// - Complexity: O(log n).
    func lookup(_ offset: Int64) -> Entry {
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].offset <= offset { low = middle + 1 } else { high = middle }
        }
        return low == 0 ? Entry(offset: baseOffset, position: 0) : entries[low - 1]
    }

    private static func encode(_ entries: [Entry], baseOffset: Int64) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(entries.count * entrySize)
        for entry in entries {
            bytes.appendBigEndian(UInt32(entry.offset - baseOffset))
            bytes.appendBigEndian(UInt32(entry.position))
        }
        return bytes
    }
}

extension Array where Element == UInt8 {
    mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }
}

extension LogFile {
    func write(_ bytes: [UInt8], at position: Int64) throws {
        try bytes.withUnsafeBytes { try write($0, at: position) }
    }
}

extension LogFile {
    /// The whole index file, which must be a whole number of `entrySize`-byte entries.
    /// - Throws: `corruptIndex` naming the file otherwise.
    func readIndexEntries(entrySize: Int) throws -> ByteBuffer {
        let size = try self.size()
        guard size % Int64(entrySize) == 0 else {
            throw LogStoreError(.corruptIndex, "size \(size) is not a multiple of \(entrySize)", path: path)
        }
        let buffer = try read(at: 0, count: Int(size))
        guard buffer.readableBytes == Int(size) else {
            throw LogStoreError(.corruptIndex, "short read", path: path)
        }
        return buffer
    }
}
