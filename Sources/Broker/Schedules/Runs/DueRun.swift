import LogStore

/// An immutable, sorted file of due entries (`<n>.due`): pending schedules by (due, seq), and
/// tombstones cancelling entries of older runs. Open, it holds its descriptor and footer only (counts,
/// key range, the first key of each 4 KiB block: 16 bytes per 127 entries); entries are read a
/// block at a time by a ``DueRunCursor``. Layout: ``RunFileFormat`` and docs/STORAGE.md.
final class DueRun: Sendable {
    let file: RunFile<DueEntryCodec>

    private init(file: RunFile<DueEntryCodec>) {
        self.file = file
    }

    /// The file's path.
    var path: String { file.path }
    /// The entries, tombstones included.
    var entryCount: Int64 { file.footer.entryCount }
    /// The tombstones.
    var tombstoneCount: Int64 { file.footer.markedCount }
    /// The smallest key, or `nil` when the run is empty.
    var minKey: DueKey? { file.footer.minKey }
    /// The largest key, or `nil` when the run is empty.
    var maxKey: DueKey? { file.footer.maxKey }
    /// The run's 4 KiB blocks.
    var blockCount: Int { file.footer.blockCount }
    /// The size of the footer, which is what an open run keeps in memory.
    var footerBytes: Int { file.footer.encodedBytes }

    /// The file name of due run `number`: 20 digits and `.due`.
    static func fileName(number: UInt64) -> String { RunFileName.make(number: number, suffix: "due") }

    /// Writes `entries` (sorted by key, keys unique) to `path`, replacing any file there, and
    /// `fdatasync`s it. The caller syncs the directory. A partial file is removed on failure.
    /// - Throws: ``BrokerError`` `storageError` naming the file if the entries are not sorted and
    ///   unique, or a write fails.
    static func write(_ entries: [DueEntry], to path: String, io: any FileIO = PosixFileIO.shared) throws -> DueRun {
        let writer = try RunFileWriter<DueEntryCodec>(path: path, io: io)
        do {
            for entry in entries { try writer.append(entry) }
            return DueRun(file: try writer.finish())
        } catch {
            writer.abandon()
            throw error
        }
    }

    /// Opens the due run at `path`, reading its header and footer.
    /// - Throws: ``BrokerError`` `storageError` naming the file when it is missing, unreadable or damaged.
    static func open(path: String, io: any FileIO = PosixFileIO.shared) throws -> DueRun {
        let file = try RunFile<DueEntryCodec>.open(path: path, io: io)
        guard file.footer.bloom.blockCount == 0 else {
            throw RunFileFormat.storageError(path, "a due run with a Bloom filter")
        }
        return DueRun(file: file)
    }

    /// Wraps a run just written.
    static func wrapping(_ file: RunFile<DueEntryCodec>) -> DueRun { DueRun(file: file) }

    /// The entries (and tombstones) whose key is `key` or above, in key order, read one block at a time.
    func entries(from key: DueKey = .minimum) -> DueRunCursor {
        DueRunCursor(file: file, from: key)
    }
}

/// Reads a due run's entries in key order from a start key, one 4 KiB block (one `pread`) at a time;
/// holds one block in memory.
struct DueRunCursor {
    private let file: RunFile<DueEntryCodec>
    private let start: DueKey
    private var nextBlock: Int
    private var block: [DueEntry] = []
    private var position = 0
    private var scratch: [UInt8] = []
    private var isFirstBlock = true

    init(file: RunFile<DueEntryCodec>, from start: DueKey) {
        self.file = file
        self.start = start
        // The last block whose first key is at or below `start` holds the first entry at or above
        // it, if any (or the block after it).
        let firstKeys = file.footer.firstKeys
        nextBlock = max(0, RunFileFormat.partitionIndex(firstKeys) { $0 > start } - 1)
    }

    /// The next entry, or `nil` after the last.
    /// - Throws: ``BrokerError`` `storageError` naming the file if a block is damaged.
    mutating func next() throws -> DueEntry? {
        while position == block.count {
            guard nextBlock < file.footer.blockCount else { return nil }
            try file.readBlock(nextBlock, into: &block, scratch: &scratch)
            nextBlock += 1
            position = 0
            if isFirstBlock {
                isFirstBlock = false
                position = RunFileFormat.partitionIndex(block) { $0.key >= start }
            }
        }
        defer { position += 1 }
        return block[position]
    }
}
