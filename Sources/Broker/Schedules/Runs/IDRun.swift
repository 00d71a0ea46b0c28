import LogStore

/// An immutable, sorted file of id entries (`<n>.ids`): the state of schedules by (id hash, seq),
/// with a Bloom filter of the id hashes. Open, it holds its descriptor, its footer (counts, key
/// range, the first key of each 4 KiB block) and the filter (10 bits per entry); a lookup reads one
/// block, or two when the hash's entries straddle blocks. Layout: ``RunFileFormat`` and docs/STORAGE.md.
final class IDRun: Sendable {
    let file: RunFile<IDEntryCodec>

    private init(file: RunFile<IDEntryCodec>) {
        self.file = file
    }

    /// The file's path.
    var path: String { file.path }
    /// The entries.
    var entryCount: Int64 { file.footer.entryCount }
    /// The entries whose state is `pending`.
    var pendingCount: Int64 { file.footer.markedCount }
    /// The smallest key, or `nil` when the run is empty.
    var minKey: IDKey? { file.footer.minKey }
    /// The largest key, or `nil` when the run is empty.
    var maxKey: IDKey? { file.footer.maxKey }
    /// The run's 4 KiB blocks.
    var blockCount: Int { file.footer.blockCount }
    /// The size of the footer with its Bloom filter, which is what an open run keeps in memory.
    var footerBytes: Int { file.footer.encodedBytes }

    /// The file name of id run `number`: 20 digits and `.ids`.
    static func fileName(number: UInt64) -> String { RunFileName.make(number: number, suffix: "ids") }

    /// Writes `entries` (sorted by (idHash, seq), keys unique) with their Bloom filter to `path`,
    /// replacing any file there, and `fdatasync`s it. The caller syncs the directory. A partial file
    /// is removed on failure.
    /// - Throws: ``BrokerError`` `storageError` naming the file if the entries are not sorted and
    ///   unique, a `changedAt` does not fit in 56 bits, or a write fails.
    static func write(_ entries: [IDEntry], to path: String, io: any FileIO = PosixFileIO.shared) throws -> IDRun {
        let writer = try RunFileWriter<IDEntryCodec>(path: path, io: io)
        do {
            var bloom = BloomFilter(expectedEntries: entries.count)
            for entry in entries {
                try checkChangedAt(entry, path: path)
                try writer.append(entry)
                bloom.insert(entry.idHash)
            }
            return IDRun(file: try writer.finish(bloom: bloom))
        } catch {
            writer.abandon()
            throw error
        }
    }

    static func checkChangedAt(_ entry: IDEntry, path: String) throws {
        guard IDEntry.changedAtRange.contains(entry.changedAt) else {
            throw RunFileFormat.storageError(
                path,
                "changedAt \(entry.changedAt) of seq \(entry.seq) does not fit in 56 bits"
            )
        }
    }

    /// Opens the id run at `path`, reading its header, footer and Bloom filter.
    /// - Throws: ``BrokerError`` `storageError` naming the file when it is missing, unreadable or damaged.
    static func open(path: String, io: any FileIO = PosixFileIO.shared) throws -> IDRun {
        let file = try RunFile<IDEntryCodec>.open(path: path, io: io)
        guard (file.footer.bloom.blockCount > 0) == (file.footer.entryCount > 0) else {
            throw RunFileFormat.storageError(
                path,
                "Bloom filter of \(file.footer.bloom.blockCount) blocks for \(file.footer.entryCount) entries"
            )
        }
        return IDRun(file: file)
    }

    /// Wraps a run just written.
    static func wrapping(_ file: RunFile<IDEntryCodec>) -> IDRun { IDRun(file: file) }

    /// Whether the run may hold entries for `hash` (its Bloom filter): `false` means it holds none.
    func mayContain(_ hash: UInt64) -> Bool { file.footer.bloom.mayContain(hash) }

    /// The entries for `hash`, by seq: none without a read when the Bloom filter rules it out,
    /// otherwise one block read (two when they straddle blocks; more only for more than 127 seqs).
    /// - Throws: ``BrokerError`` `storageError` naming the file if a block is damaged.
    func entries(forHash hash: UInt64) throws -> [IDEntry] {
        guard mayContain(hash) else { return [] }
        let firstKeys = file.footer.firstKeys
        // Blocks before `firstAtOrAbove` start below the hash: only the last of them can end with it.
        let firstAtOrAbove = RunFileFormat.partitionIndex(firstKeys) { $0.idHash >= hash }
        var index = max(0, firstAtOrAbove - 1)
        var found: [IDEntry] = []
        var block: [IDEntry] = []
        var scratch: [UInt8] = []
        while index < firstKeys.count, firstKeys[index].idHash <= hash {
            try file.readBlock(index, into: &block, scratch: &scratch)
            found.append(contentsOf: block.lazy.filter { $0.idHash == hash })
            // Past the hash in this block: no later block holds it.
            if let last = block.last, last.idHash > hash { break }
            index += 1
        }
        return found
    }

    /// The entries in key order, one block at a time (for merges and checks).
    func entries() -> IDRunCursor { IDRunCursor(file: file) }
}

/// Reads an id run's entries in key order, one 4 KiB block (one `pread`) at a time.
struct IDRunCursor {
    private let file: RunFile<IDEntryCodec>
    private var nextBlock = 0
    private var block: [IDEntry] = []
    private var position = 0
    private var scratch: [UInt8] = []

    init(file: RunFile<IDEntryCodec>) {
        self.file = file
    }

    /// The next entry, or `nil` after the last.
    /// - Throws: ``BrokerError`` `storageError` naming the file if a block is damaged.
    mutating func next() throws -> IDEntry? {
        while position == block.count {
            guard nextBlock < file.footer.blockCount else { return nil }
            try file.readBlock(nextBlock, into: &block, scratch: &scratch)
            nextBlock += 1
            position = 0
        }
        defer { position += 1 }
        return block[position]
    }
}
