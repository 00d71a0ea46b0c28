/// The sparse time index of one segment: where to start scanning for the first record at or after
/// a timestamp.
///
/// The `.timeindex` file is a sequence of 12-byte entries, big-endian:
/// ```
/// offset size field
///      0    8 timestamp       Int64, epoch milliseconds
///      8    4 relativeOffset  UInt32, an offset - the segment's base offset
/// ```
/// An entry `(t, o)` promises that every record in the segment with an offset below `o` has a
/// timestamp at or below `t`. So the first record with a timestamp `>= T` lies at or after the
/// offset of the last entry with `t < T`. Entries strictly increase in both fields. One is added
/// beside each offset-index entry when the segment's largest timestamp has grown, and a final one
/// `(largest timestamp, next offset)` when the segment rolls, is rebuilt, or the log closes — so
/// the last entry of a sealed segment carries its largest timestamp, which retention uses.
struct TimeIndex {
    static let entrySize = 12

    struct Entry: Equatable {
        var timestamp: Int64
        var offset: Int64
    }

    var file: LogFile
    let baseOffset: Int64
    private(set) var entries: [Entry]

    init(file: LogFile, baseOffset: Int64, entries: [Entry] = []) {
        self.file = file
        self.baseOffset = baseOffset
        self.entries = entries
    }

    /// Reads and checks the time index file.
    /// - Throws: `corruptIndex` naming the file and the position of the first bad entry.
    static func load(file: LogFile, baseOffset: Int64) throws -> TimeIndex {
        let buffer = try file.readIndexEntries(entrySize: entrySize)
        let size = buffer.readableBytes
        var entries: [Entry] = []
        entries.reserveCapacity(size / entrySize)
        for index in 0..<(size / entrySize) {
            let at = index * entrySize
            let entry = Entry(
                timestamp: buffer.getInteger(at: at, as: Int64.self)!,
                offset: baseOffset + Int64(buffer.getInteger(at: at + 8, as: UInt32.self)!)
            )
            if let previous = entries.last, entry.timestamp <= previous.timestamp || entry.offset <= previous.offset {
                throw LogStoreError(
                    .corruptIndex,
                    "entry \(index) (timestamp \(entry.timestamp), offset \(entry.offset)) is out of order",
                    path: file.path,
                    position: Int64(at)
                )
            }
            entries.append(entry)
        }
        return TimeIndex(file: file, baseOffset: baseOffset, entries: entries)
    }

    /// The largest timestamp an entry records, if any.
    var lastTimestamp: Int64? { entries.last?.timestamp }

    /// Adds `(timestamp, offset)` if it moves both fields forward; otherwise does nothing.
    mutating func appendIfNewer(timestamp: Int64, offset: Int64) throws {
        if let last = entries.last, timestamp <= last.timestamp || offset <= last.offset { return }
        guard offset > baseOffset else { return }  // "before the first record" says nothing
        var bytes: [UInt8] = []
        bytes.appendBigEndian(timestamp)
        bytes.appendBigEndian(UInt32(offset - baseOffset))
        try file.write(bytes, at: Int64(entries.count * Self.entrySize))
        entries.append(Entry(timestamp: timestamp, offset: offset))
    }

    /// Drops the in-memory entries after the first `count` (after a failed append; the caller
    /// cuts the file to match).
    mutating func forgetEntries(after count: Int) {
        entries.removeLast(entries.count - count)
    }

    /// Replaces the file's contents with `entries`.
    mutating func rewrite(_ entries: [Entry]) throws {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(entries.count * Self.entrySize)
        for entry in entries {
            bytes.appendBigEndian(entry.timestamp)
            bytes.appendBigEndian(UInt32(entry.offset - baseOffset))
        }
        try file.truncate(to: 0)
        try file.write(bytes, at: 0)
        self.entries = entries
    }

    /// The offset to start scanning from for the first record with a timestamp at or after
    /// `timestamp`: the offset of the last entry whose timestamp is below it, or the segment start.
    /// - Complexity: O(log n).
    func lookup(_ timestamp: Int64) -> Int64 {
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].timestamp < timestamp { low = middle + 1 } else { high = middle }
        }
        return low == 0 ? baseOffset : entries[low - 1].offset
    }
}
