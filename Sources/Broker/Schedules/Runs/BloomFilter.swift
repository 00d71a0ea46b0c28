/// A blocked Bloom filter of 64-bit hashes: each hash sets ``probes`` bits in one 64-byte (512-bit)
/// block, so a lookup touches one cache line. Sized at ``bitsPerEntry`` bits per entry, which gives
/// about 1 % false positives (measured in `ScheduleRunBloomFilterTests`); never a false negative.
///
/// For a hash `h`: `a = mix(h)`, `b = mix(a ^ 0x9E3779B97F4A7C15)` with `mix` the SplitMix64
/// finalizer (`z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9; z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
/// z ^ (z >> 31)`); the block is the high 64 bits of `a × blockCount`; probe `i` (0-6) sets bit
/// `(b >> (9 × i)) & 511` of the block. Bit `j` of a block is bit `j & 63` of its 64-bit word
/// `j >> 6`; on disk a block is its 8 words, each big-endian.
struct BloomFilter: Sendable, Hashable {
    /// The size of one block in bytes.
    static let blockBytes = 64
    /// Bits per expected entry when sizing a filter.
    static let bitsPerEntry = 10
    /// Bits set per hash.
    static let probes = 7
    private static let wordsPerBlock = blockBytes / 8

    /// The filter's bits: ``blockCount`` blocks of 8 words.
    private(set) var words: [UInt64]

    /// A filter sized for `expectedEntries` hashes (no blocks for 0).
    init(expectedEntries: Int) {
        precondition(expectedEntries >= 0)
        let bits = expectedEntries * Self.bitsPerEntry
        let blocks = (bits + Self.blockBytes * 8 - 1) / (Self.blockBytes * 8)
        words = [UInt64](repeating: 0, count: blocks * Self.wordsPerBlock)
    }

    /// A filter read from its on-disk bytes (a multiple of ``blockBytes``).
    init(decoding bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count % Self.blockBytes == 0)
        words = (0..<(bytes.count / 8)).map { bytes.loadBigEndian(atByte: $0 * 8) as UInt64 }
    }

    /// The filter's blocks.
    var blockCount: Int { words.count / Self.wordsPerBlock }

    /// The filter's size on disk and in memory, in bytes.
    var byteCount: Int { words.count * 8 }

    /// Adds `hash`.
    mutating func insert(_ hash: UInt64) {
        guard blockCount > 0 else { preconditionFailure("a filter with no blocks holds no hashes") }
        let (base, bits) = position(of: hash)
        for probe in 0..<Self.probes {
            let bit = Int((bits >> (9 * UInt64(probe))) & 511)
            words[base + (bit >> 6)] |= 1 << UInt64(bit & 63)
        }
    }

    /// Whether `hash` may have been added: `false` means it was not.
    func mayContain(_ hash: UInt64) -> Bool {
        guard blockCount > 0 else { return false }
        let (base, bits) = position(of: hash)
        for probe in 0..<Self.probes {
            let bit = Int((bits >> (9 * UInt64(probe))) & 511)
            if words[base + (bit >> 6)] & (1 << UInt64(bit & 63)) == 0 { return false }
        }
        return true
    }

    /// Appends the filter's on-disk bytes to `bytes`.
    func encode(into bytes: inout [UInt8]) {
        bytes.reserveCapacity(bytes.count + byteCount)
        for word in words {
            withUnsafeBytes(of: word.bigEndian) { bytes.append(contentsOf: $0) }
        }
    }

    /// The first word of `hash`'s block, and the bits that pick its probes.
    @inline(__always)
    private func position(of hash: UInt64) -> (base: Int, bits: UInt64) {
        let first = Self.mix(hash)
        let block = first.multipliedFullWidth(by: UInt64(blockCount)).high
        return (Int(block) * Self.wordsPerBlock, Self.mix(first ^ 0x9E37_79B9_7F4A_7C15))
    }

    /// SplitMix64's finalizer.
    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
