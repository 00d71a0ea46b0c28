import LogStore
import RecordCodec

/// Writes a run file from entries given in strictly increasing key order, a few blocks at a time:
/// memory is the write buffer (64 KiB) and the first key of each block. ``finish(bloom:)`` writes
/// the footer and `fdatasync`s the file; the caller syncs the directory.
///
/// On any failure call ``abandon()``, which closes and removes the partial file.
final class RunFileWriter<Codec: RunEntryCodec> {
    /// The file's path.
    let path: String
    private let io: any FileIO
    private var descriptor: Int32?
    private var buffer: [UInt8]
    private var blocksInBuffer = 0
    private var slotInBlock = 0
    private var blocksWritten = 0
    /// The entries appended so far.
    private(set) var entryCount: Int64 = 0
    private var markedCount: Int64 = 0
    private var firstKeys: [Codec.Key] = []
    private var lastKey: Codec.Key?

    /// Creates (or truncates) `path` and writes the header.
    init(path: String, io: any FileIO) throws {
        self.path = path
        self.io = io
        buffer = [UInt8](repeating: 0, count: RunFileFormat.blockBytes * RunFileFormat.blocksPerWrite)
        let descriptor: Int32
        do throws(FileIOError) { descriptor = try io.open(path, create: true) } catch {
            throw RunFileFormat.storageError(path, "\(error)")
        }
        self.descriptor = descriptor
        do throws(FileIOError) { try io.ftruncate(descriptor, to: 0) } catch {
            abandon()
            throw RunFileFormat.storageError(path, "\(error)")
        }
        do {
            try RunFileFormat.header(magic: Codec.magic).withUnsafeBytes { try write($0, at: 0) }
        } catch {
            abandon()
            throw error
        }
    }

    deinit {
        if let descriptor { io.close(descriptor) }
    }

    /// Appends `entry`, whose key must be above the previous entry's.
    /// - Throws: ``BrokerError`` `storageError` if the key is not above the previous one, or a write fails.
    func append(_ entry: Codec.Entry) throws {
        let key = Codec.key(of: entry)
        if let lastKey, !(lastKey < key) {
            throw RunFileFormat.storageError(
                path,
                "entry \(entryCount) (key \(key)) is not above the previous key \(lastKey): "
                    + "run entries must be sorted by key without duplicates"
            )
        }
        lastKey = key
        if slotInBlock == 0 { firstKeys.append(key) }
        let offset = blocksInBuffer * RunFileFormat.blockBytes + slotInBlock * RunFileFormat.entryBytes
        buffer.withUnsafeMutableBytes { Codec.encode(entry, into: $0, at: offset) }
        entryCount += 1
        if Codec.isMarked(entry) { markedCount += 1 }
        slotInBlock += 1
        if slotInBlock == RunFileFormat.entriesPerBlock { try sealBlock() }
    }

    /// Ends the block being filled: zero padding, trailer, CRC; writes the buffer when it is full.
    private func sealBlock() throws {
        let start = blocksInBuffer * RunFileFormat.blockBytes
        buffer.withUnsafeMutableBytes { raw in
            let block = UnsafeMutableRawBufferPointer(rebasing: raw[start..<(start + RunFileFormat.blockBytes)])
            let trailer = RunFileFormat.blockBytes - RunFileFormat.blockTrailerBytes
            for index in (slotInBlock * RunFileFormat.entryBytes)..<RunFileFormat.blockBytes { block[index] = 0 }
            block.storeBigEndian(UInt32(slotInBlock), atByte: trailer)
            block.storeBigEndian(UInt32(truncatingIfNeeded: blocksWritten + blocksInBuffer), atByte: trailer + 4)
            let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: block[0..<(RunFileFormat.blockBytes - 4)]))
            block.storeBigEndian(crc, atByte: RunFileFormat.blockBytes - 4)
        }
        slotInBlock = 0
        blocksInBuffer += 1
        if blocksInBuffer == RunFileFormat.blocksPerWrite { try flushBuffer() }
    }

    private func flushBuffer() throws {
        guard blocksInBuffer > 0 else { return }
        let count = blocksInBuffer * RunFileFormat.blockBytes
        try buffer.withUnsafeBytes { raw in
            try write(UnsafeRawBufferPointer(rebasing: raw[0..<count]), at: RunFileFormat.blockOffset(blocksWritten))
        }
        blocksWritten += blocksInBuffer
        blocksInBuffer = 0
    }

    /// The footer of the entries appended so far (all blocks sealed).
    private func footer(bloom: BloomFilter) -> RunFooter<Codec.Key> {
        RunFooter(
            entryCount: entryCount,
            markedCount: markedCount,
            minKey: firstKeys.first,
            maxKey: lastKey,
            firstKeys: firstKeys,
            bloom: bloom
        )
    }

    /// Seals the last block and writes every block out (before ``finish(bloom:)`` or ``forEachWrittenEntry(_:)``).
    func sealAll() throws {
        if slotInBlock > 0 { try sealBlock() }
        try flushBuffer()
    }

    /// Calls `body` with every entry written, reading the blocks back from the file: how a merge
    /// builds a Bloom filter sized for the entries it kept. Call ``sealAll()`` first.
    func forEachWrittenEntry(_ body: (Codec.Entry) throws -> Void) throws {
        precondition(slotInBlock == 0 && blocksInBuffer == 0, "sealAll() first")
        guard let descriptor else { preconditionFailure("the writer was abandoned") }
        let footer = footer(bloom: BloomFilter(expectedEntries: 0))
        var entries: [Codec.Entry] = []
        var scratch: [UInt8] = []
        for index in 0..<footer.blockCount {
            try RunFile<Codec>.readBlock(
                index,
                path: path,
                io: io,
                descriptor: descriptor,
                footer: footer,
                into: &entries,
                scratch: &scratch
            )
            for entry in entries { try body(entry) }
        }
    }

    /// Writes the last block and the footer (with `bloom`), `fdatasync`s the file and returns it open.
    func finish(bloom: BloomFilter = BloomFilter(expectedEntries: 0)) throws -> RunFile<Codec> {
        guard let descriptor else { preconditionFailure("the writer was abandoned") }
        try sealAll()
        let footer = footer(bloom: bloom)
        let footerOffset = RunFileFormat.blockOffset(blocksWritten)
        var bytes = [UInt8](repeating: 0, count: RunFileFormat.footerFixedBytes)
        bytes.withUnsafeMutableBytes { raw in
            raw.storeBigEndian(entryCount, atByte: 0)
            raw.storeBigEndian(markedCount, atByte: 8)
            raw.storeBigEndian(UInt32(footer.blockCount), atByte: 16)
            raw.storeBigEndian(UInt32(bloom.blockCount), atByte: 20)
            if let minKey = footer.minKey, let maxKey = footer.maxKey {
                Codec.encode(key: minKey, into: raw, at: 24)
                Codec.encode(key: maxKey, into: raw, at: 40)
            }
        }
        bytes.reserveCapacity(footer.encodedBytes)
        var key = [UInt8](repeating: 0, count: RunFileFormat.keyBytes)
        for firstKey in firstKeys {
            key.withUnsafeMutableBytes { Codec.encode(key: firstKey, into: $0, at: 0) }
            bytes.append(contentsOf: key)
        }
        bytes.append(contentsOf: bloom.bytes)
        withUnsafeBytes(of: footerOffset.bigEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: RunFileFormat.tailMagic)
        let crc = bytes.withUnsafeBytes { CRC32C.checksum($0) }
        withUnsafeBytes(of: crc.bigEndian) { bytes.append(contentsOf: $0) }
        precondition(bytes.count == footer.encodedBytes)
        try bytes.withUnsafeBytes { try write($0, at: footerOffset) }
        do throws(FileIOError) { try io.fdatasync(descriptor) } catch {
            throw RunFileFormat.storageError(path, "\(error)")
        }
        self.descriptor = nil
        return RunFile(path: path, io: io, descriptor: descriptor, footer: footer)
    }

    /// Closes and removes the partial file (errors ignored: the caller is already failing).
    func abandon() {
        if let descriptor { io.close(descriptor) }
        descriptor = nil
        try? io.unlink(path)
    }

    /// Writes all of `bytes` at `position`, retrying short writes.
    private func write(_ bytes: UnsafeRawBufferPointer, at position: Int64) throws {
        guard let descriptor else { preconditionFailure("the writer was abandoned") }
        var written = 0
        while written < bytes.count {
            let at = position + Int64(written)
            do throws(FileIOError) {
                let result = try io.pwrite(descriptor, UnsafeRawBufferPointer(rebasing: bytes[written...]), at: at)
                guard result > 0 else { throw FileIOError("pwrite", errno: 28) }  // ENOSPC: no progress
                written += result
            } catch {
                throw RunFileFormat.storageError(path, "writing at \(at): \(error)")
            }
        }
    }
}
