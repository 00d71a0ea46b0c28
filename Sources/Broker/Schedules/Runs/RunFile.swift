import LogStore
import RecordCodec

/// What an open run keeps in memory: its counts, key range, the first key of each block and, for id
/// runs, the Bloom filter. O(blocks) plus the filter, never O(entries) entries.
struct RunFooter<Key: Comparable & Sendable>: Sendable {
    /// The entries in the run.
    var entryCount: Int64
    /// Tombstones (due run) or pending entries (id run).
    var markedCount: Int64
    /// The first entry's key; `nil` when empty.
    var minKey: Key?
    /// The last entry's key; `nil` when empty.
    var maxKey: Key?
    /// The first key of each block, increasing.
    var firstKeys: [Key]
    /// The id run's Bloom filter (empty for due runs).
    var bloom: BloomFilter

    /// The blocks of the run.
    var blockCount: Int { firstKeys.count }

    /// The entries in block `index`.
    func entryCount(ofBlock index: Int) -> Int {
        index < blockCount - 1
            ? RunFileFormat.entriesPerBlock
            : Int(entryCount - Int64(blockCount - 1) * Int64(RunFileFormat.entriesPerBlock))
    }

    /// The footer's size on disk.
    var encodedBytes: Int {
        RunFileFormat.footerFixedBytes + firstKeys.count * RunFileFormat.keyBytes + bloom.byteCount
            + RunFileFormat.tailBytes
    }
}

/// An open run file of either kind: its descriptor (closed when the object goes) and footer, and the
/// block reads. ``DueRun`` and ``IDRun`` wrap it.
final class RunFile<Codec: RunEntryCodec>: Sendable {
    /// The file's path.
    let path: String
    /// The file system.
    let io: any FileIO
    /// The open descriptor.
    let descriptor: Int32
    /// The footer, in memory.
    let footer: RunFooter<Codec.Key>

    init(path: String, io: any FileIO, descriptor: Int32, footer: RunFooter<Codec.Key>) {
        self.path = path
        self.io = io
        self.descriptor = descriptor
        self.footer = footer
    }

    deinit { io.close(descriptor) }

    /// Opens the run at `path`, reading and checking its header and footer.
    /// - Throws: ``BrokerError`` `storageError` naming the file when it cannot be read or is damaged.
    static func open(path: String, io: any FileIO) throws -> RunFile {
        let descriptor: Int32
        do throws(FileIOError) { descriptor = try io.open(path, create: false) } catch {
            throw RunFileFormat.storageError(path, "\(error)")
        }
        do {
            let footer = try readFooter(path: path, io: io, descriptor: descriptor)
            return RunFile(path: path, io: io, descriptor: descriptor, footer: footer)
        } catch {
            io.close(descriptor)
            throw error
        }
    }

    private static func readFooter(path: String, io: any FileIO, descriptor: Int32) throws -> RunFooter<Codec.Key> {
        let size: Int64
        do throws(FileIOError) { size = try io.fileSize(descriptor) } catch {
            throw RunFileFormat.storageError(path, "\(error)")
        }
        let minimum = Int64(RunFileFormat.headerBytes + RunFileFormat.footerFixedBytes + RunFileFormat.tailBytes)
        guard size >= minimum else {
            throw RunFileFormat.storageError(path, "\(size) bytes, too short for a run file (at least \(minimum))")
        }
        let header = try readExactly(
            path: path,
            io: io,
            descriptor: descriptor,
            count: RunFileFormat.headerBytes,
            at: 0
        )
        try header.withUnsafeBytes { raw in
            guard Array(raw[0..<4]) == Codec.magic else {
                throw RunFileFormat.storageError(path, "not a run file of this kind (magic \(Array(raw[0..<4])))")
            }
            let crc: UInt32 = raw.loadBigEndian(atByte: 28)
            guard crc == CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<28])) else {
                throw RunFileFormat.storageError(path, "header CRC mismatch")
            }
            guard header == RunFileFormat.header(magic: Codec.magic) else {
                throw RunFileFormat.storageError(path, "unsupported header (version, entry or block size)")
            }
        }
        let tail = try readExactly(
            path: path,
            io: io,
            descriptor: descriptor,
            count: RunFileFormat.tailBytes,
            at: size - Int64(RunFileFormat.tailBytes)
        )
        let footerOffset: Int64 = tail.withUnsafeBytes { $0.loadBigEndian(atByte: 0) }
        guard Array(tail[8..<12]) == RunFileFormat.tailMagic else {
            throw RunFileFormat.storageError(path, "no footer at the end (truncated or damaged)")
        }
        guard footerOffset >= Int64(RunFileFormat.headerBytes),
            (footerOffset - Int64(RunFileFormat.headerBytes)) % Int64(RunFileFormat.blockBytes) == 0,
            footerOffset <= size - Int64(RunFileFormat.footerFixedBytes + RunFileFormat.tailBytes)
        else {
            throw RunFileFormat.storageError(path, "footer offset \(footerOffset) out of place in a \(size)-byte file")
        }
        // The fixed part first: its counts must account for every byte up to the end before the
        // rest is read (a damaged offset or count never makes the reader allocate more than that).
        let fixed = try readExactly(
            path: path,
            io: io,
            descriptor: descriptor,
            count: RunFileFormat.footerFixedBytes,
            at: footerOffset
        )
        let (blockCount, bloomBlocks) = fixed.withUnsafeBytes { raw in
            (Int64(raw.loadBigEndian(atByte: 16) as UInt32), Int64(raw.loadBigEndian(atByte: 20) as UInt32))
        }
        let footerBytes =
            Int64(RunFileFormat.footerFixedBytes + RunFileFormat.tailBytes) + blockCount * Int64(RunFileFormat.keyBytes)
            + bloomBlocks * Int64(BloomFilter.blockBytes)
        guard footerBytes == size - footerOffset else {
            throw RunFileFormat.storageError(
                path,
                "footer of \(size - footerOffset) bytes at \(footerOffset), its counts say \(footerBytes)"
            )
        }
        // The index part, then the Bloom filter straight into its own buffer (no second copy of it).
        let head = try readExactly(
            path: path,
            io: io,
            descriptor: descriptor,
            count: RunFileFormat.footerFixedBytes + Int(blockCount) * RunFileFormat.keyBytes,
            at: footerOffset
        )
        let bloomBytes = try readExactly(
            path: path,
            io: io,
            descriptor: descriptor,
            count: Int(bloomBlocks) * BloomFilter.blockBytes,
            at: footerOffset + Int64(head.count)
        )
        var crc = head.withUnsafeBytes { CRC32C.checksum($0) }
        crc = bloomBytes.withUnsafeBytes { CRC32C.checksum($0, continuing: crc) }
        crc = tail.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<12]), continuing: crc) }
        guard crc == tail.withUnsafeBytes({ $0.loadBigEndian(atByte: 12) as UInt32 }) else {
            throw RunFileFormat.storageError(path, "footer CRC mismatch")
        }
        return try head.withUnsafeBytes { raw in
            try decodeFooter(raw, bloom: BloomFilter(bytes: bloomBytes), path: path, footerOffset: footerOffset)
        }
    }

    /// Decodes the footer's fixed part and sparse index (`raw`), the CRC being checked.
    private static func decodeFooter(
        _ raw: UnsafeRawBufferPointer,
        bloom: BloomFilter,
        path: String,
        footerOffset: Int64
    ) throws -> RunFooter<Codec.Key> {
        let entryCount: Int64 = raw.loadBigEndian(atByte: 0)
        let markedCount: Int64 = raw.loadBigEndian(atByte: 8)
        let blockCount = Int(raw.loadBigEndian(atByte: 16) as UInt32)
        let reserved: UInt64 = raw.loadBigEndian(atByte: 56)
        let blocksInFile = (footerOffset - Int64(RunFileFormat.headerBytes)) / Int64(RunFileFormat.blockBytes)
        guard entryCount >= 0, markedCount >= 0, markedCount <= entryCount, reserved == 0,
            Int64(blockCount) == blocksInFile, RunFileFormat.blockCount(forEntries: entryCount) == blocksInFile
        else {
            throw RunFileFormat.storageError(
                path,
                "footer counts inconsistent (\(entryCount) entries, \(markedCount) marked, \(blockCount) blocks, "
                    + "\(blocksInFile) blocks in the file)"
            )
        }
        var firstKeys: [Codec.Key] = []
        firstKeys.reserveCapacity(blockCount)
        for index in 0..<blockCount {
            let key = Codec.decodeKey(raw, at: RunFileFormat.footerFixedBytes + index * RunFileFormat.keyBytes)
            if let previous = firstKeys.last, !(previous < key) {
                throw RunFileFormat.storageError(path, "footer: block \(index)'s first key is out of order")
            }
            firstKeys.append(key)
        }
        let minKey = Codec.decodeKey(raw, at: 24)
        let maxKey = Codec.decodeKey(raw, at: 40)
        if let first = firstKeys.first, let last = firstKeys.last {
            guard first == minKey, last <= maxKey else {
                throw RunFileFormat.storageError(path, "footer: key range disagrees with the block index")
            }
        }
        return RunFooter(
            entryCount: entryCount,
            markedCount: markedCount,
            minKey: entryCount > 0 ? minKey : nil,
            maxKey: entryCount > 0 ? maxKey : nil,
            firstKeys: firstKeys,
            bloom: bloom
        )
    }

    /// Reads block `index` into `entries` (replacing them), checking its CRC, count, number and order.
    /// - Parameter scratch: a buffer of ``RunFileFormat/blockBytes`` reused across reads.
    /// - Throws: ``BrokerError`` `storageError` naming the file and block.
    func readBlock(_ index: Int, into entries: inout [Codec.Entry], scratch: inout [UInt8]) throws {
        try Self.readBlock(
            index,
            path: path,
            io: io,
            descriptor: descriptor,
            footer: footer,
            into: &entries,
            scratch: &scratch
        )
    }

    /// Reads block `index` of the file open as `descriptor` whose footer is `footer` (also used by the
    /// writer to read back what it wrote).
    static func readBlock(
        _ index: Int,
        path: String,
        io: any FileIO,
        descriptor: Int32,
        footer: RunFooter<Codec.Key>,
        into entries: inout [Codec.Entry],
        scratch: inout [UInt8]
    ) throws {
        precondition(index >= 0 && index < footer.blockCount)
        if scratch.count != RunFileFormat.blockBytes {
            scratch = [UInt8](repeating: 0, count: RunFileFormat.blockBytes)
        }
        let position = RunFileFormat.blockOffset(index)
        let read = try scratch.withUnsafeMutableBytes { buffer in
            try readFully(path: path, io: io, descriptor: descriptor, into: buffer, at: position)
        }
        guard read == RunFileFormat.blockBytes else {
            throw RunFileFormat.storageError(path, "block \(index) at \(position) is cut short (\(read) bytes)")
        }
        entries.removeAll(keepingCapacity: true)
        try scratch.withUnsafeBytes { raw in
            let trailer = RunFileFormat.blockBytes - RunFileFormat.blockTrailerBytes
            let crc: UInt32 = raw.loadBigEndian(atByte: RunFileFormat.blockBytes - 4)
            guard crc == CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<(RunFileFormat.blockBytes - 4)]))
            else {
                throw RunFileFormat.storageError(path, "block \(index) at \(position): CRC mismatch")
            }
            let count = Int(raw.loadBigEndian(atByte: trailer) as UInt32)
            let number: UInt32 = raw.loadBigEndian(atByte: trailer + 4)
            guard count == footer.entryCount(ofBlock: index), number == UInt32(truncatingIfNeeded: index) else {
                throw RunFileFormat.storageError(
                    path,
                    "block \(index) at \(position): holds \(count) entries and number \(number), expected "
                        + "\(footer.entryCount(ofBlock: index)) and \(index)"
                )
            }
            for slot in 0..<count {
                guard let entry = Codec.decode(raw, at: slot * RunFileFormat.entryBytes) else {
                    throw RunFileFormat.storageError(path, "block \(index) entry \(slot): invalid bytes")
                }
                let key = Codec.key(of: entry)
                let inOrder =
                    if let last = entries.last { Codec.key(of: last) < key } else { key == footer.firstKeys[index] }
                guard inOrder else {
                    throw RunFileFormat.storageError(path, "block \(index) entry \(slot): key out of order")
                }
                entries.append(entry)
            }
            let lastKey = Codec.key(of: entries[entries.count - 1])
            let fitsBefore =
                index + 1 < footer.blockCount ? lastKey < footer.firstKeys[index + 1] : lastKey == footer.maxKey
            guard fitsBefore else {
                throw RunFileFormat.storageError(path, "block \(index): last key disagrees with the footer")
            }
        }
    }

    /// Reads exactly `count` bytes at `position`.
    static func readExactly(
        path: String,
        io: any FileIO,
        descriptor: Int32,
        count: Int,
        at position: Int64
    ) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let read = try bytes.withUnsafeMutableBytes { buffer in
            try readFully(path: path, io: io, descriptor: descriptor, into: buffer, at: position)
        }
        guard read == count else {
            throw RunFileFormat.storageError(
                path,
                "cut short at \(position + Int64(read)) (wanted \(count) bytes at \(position))"
            )
        }
        return bytes
    }

    /// Fills `buffer` from `position`, stopping early only at the end of the file.
    /// - Returns: the bytes read.
    static func readFully(
        path: String,
        io: any FileIO,
        descriptor: Int32,
        into buffer: UnsafeMutableRawBufferPointer,
        at position: Int64
    ) throws -> Int {
        var total = 0
        while total < buffer.count {
            let at = position + Int64(total)
            let read: Int
            do throws(FileIOError) {
                read = try io.pread(descriptor, into: UnsafeMutableRawBufferPointer(rebasing: buffer[total...]), at: at)
            } catch {
                throw RunFileFormat.storageError(path, "reading at \(at): \(error)")
            }
            if read == 0 { break }
            total += read
        }
        return total
    }
}
