import RecordCodec

/// The layout shared by due runs (`<n>.due`) and id runs (`<n>.ids`): a header, blocks of 4 KiB
/// holding up to 127 sorted 32-byte entries each with a CRC-32C, and a footer (counts, key range,
/// the first key of every block, for id runs a Bloom filter) that a reader keeps in memory.
/// Big-endian throughout; docs/STORAGE.md ("Schedule run files and manifest") has the tables.
///
/// Header (32 bytes at 0):
/// ```
/// offset size field
///      0    4 magic          "SLDR" (due run) or "SLIR" (id run)
///      4    2 version        1
///      6    2 entryBytes     32
///      8    4 blockBytes     4096
///     12   16 reserved       0
///     28    4 crc            CRC-32C of bytes 0..<28
/// ```
/// Block `i` (4096 bytes at 32 + i × 4096): `count` entries, zeros up to byte 4064, then the trailer:
/// ```
///   4064    4 count          entries in the block, 1-127 (127 in every block but the last)
///   4068    4 blockNumber    i
///   4072   20 reserved       0
///   4092    4 crc            CRC-32C of bytes 0..<4092 of the block
/// ```
/// Footer (at footerOffset = 32 + blockCount × 4096, to the end of the file):
/// ```
///      0    8 entryCount     int64
///      8    8 markedCount    int64: tombstones (due run) or pending entries (id run)
///     16    4 blockCount     uint32 = ceil(entryCount / 127)
///     20    4 bloomBlocks    uint32: 0 for a due run or an empty id run
///     24   16 minKey         the first entry's key (zeros when empty)
///     40   16 maxKey         the last entry's key (zeros when empty)
///     56    8 reserved       0
///     64    blockCount × 16  the first key of each block
///     ...   bloomBlocks × 64 the Bloom filter (see ``BloomFilter``)
///     end-16  8 footerOffset int64
///     end-8   4 magic        "SLRF"
///     end-4   4 crc          CRC-32C of the footer's bytes before it
/// ```
/// A key is 16 bytes: (due int64, seq int64) or (idHash uint64, seq int64).
enum RunFileFormat {
    /// The header's size.
    static let headerBytes = 32
    /// A block's size: what one read brings in.
    static let blockBytes = 4096
    /// An entry's size.
    static let entryBytes = 32
    /// The block trailer's size (count, block number, CRC).
    static let blockTrailerBytes = 32
    /// The entries a block holds.
    static let entriesPerBlock = (blockBytes - blockTrailerBytes) / entryBytes
    /// A key's size in the footer.
    static let keyBytes = 16
    /// The footer's fixed part, before the sparse index.
    static let footerFixedBytes = 64
    /// The footer's last 16 bytes: its offset, magic and CRC.
    static let tailBytes = 16
    /// The format version written and accepted.
    static let version: UInt16 = 1
    /// The tail's magic.
    static let tailMagic: [UInt8] = Array("SLRF".utf8)
    /// Blocks written per `pwrite` (64 KiB).
    static let blocksPerWrite = 16

    /// The blocks needed for `entryCount` entries.
    static func blockCount(forEntries entryCount: Int64) -> Int64 {
        // Not `(entryCount + 126) / 127`: a damaged count near Int64.max must not overflow.
        entryCount / Int64(entriesPerBlock) + (entryCount % Int64(entriesPerBlock) == 0 ? 0 : 1)
    }

    /// The file offset of block `index`.
    static func blockOffset(_ index: Int) -> Int64 {
        Int64(headerBytes) + Int64(index) * Int64(blockBytes)
    }

    /// The header of a run whose entries start with `magic`.
    static func header(magic: [UInt8]) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: headerBytes)
        bytes.withUnsafeMutableBytes { raw in
            for (index, byte) in magic.enumerated() { raw[index] = byte }
            raw.storeBigEndian(version, atByte: 4)
            raw.storeBigEndian(UInt16(entryBytes), atByte: 6)
            raw.storeBigEndian(UInt32(blockBytes), atByte: 8)
            raw.storeBigEndian(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<28])), atByte: 28)
        }
        return bytes
    }

    /// The error for a run file or manifest that is damaged or cannot be read or written:
    /// `storageError`, `"<path>: <what>"`.
    static func storageError(_ path: String, _ what: String) -> BrokerError {
        BrokerError(.storageError, "\(path): \(what)")
    }

    /// The index of the first element of `elements` for which `isInSecondPart` holds, `elements`
    /// being partitioned (every `false` before every `true`); `elements.count` when none does.
    /// - Complexity: O(log n).
    static func partitionIndex<Element>(_ elements: [Element], where isInSecondPart: (Element) -> Bool) -> Int {
        var low = 0
        var count = elements.count
        while count > 0 {
            let half = count / 2
            if isInSecondPart(elements[low + half]) {
                count = half
            } else {
                low += half + 1
                count -= half + 1
            }
        }
        return low
    }
}
