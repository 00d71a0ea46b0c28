/// A blocked Bloom filter of 64-bit hashes: each hash sets ``probes`` bits in one 64-byte (512-bit)
/// block, so a lookup touches one cache line. Sized at ``bitsPerEntry`` bits per entry, which gives
/// about 1 % false positives (measured in `ScheduleRunBloomFilterTests`); never a false negative.
///
/// For a hash `h`: `a = mix(h)`, `b = mix(a ^ 0x9E3779B97F4A7C15)` with `mix` the SplitMix64
/// finalizer (`z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9; z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
/// z ^ (z >> 31)`); the block is the high 64 bits of `a × blockCount`; probe `i` (0-6) sets bit
/// `(b >> (9 × i)) & 511` of the block. Bit `j` of a block is bit `j & 63` of its 64-bit word
/// `j >> 6`; on disk a block is its 8 words, each big-endian. The filter keeps exactly those bytes
/// in memory, so opening a run reads them into place without a second copy.
struct BloomFilter: Sendable, Hashable {
    /// The size of one block in bytes.
    static let blockBytes = 64
    /// Bits per expected entry when sizing a filter.
    static let bitsPerEntry = 10
    /// Bits set per hash.
    static let probes = 7
    /// The filter's bytes as on disk: ``blockCount`` blocks of 64 bytes.
    private(set) var bytes: [UInt8]

    /// A filter sized for `expectedEntries` hashes (no blocks for 0).
    init(expectedEntries: Int) {
        precondition(expectedEntries >= 0)
        let bits = expectedEntries * Self.bitsPerEntry
        let blocks = (bits + Self.blockBytes * 8 - 1) / (Self.blockBytes * 8)
        bytes = [UInt8](repeating: 0, count: blocks * Self.blockBytes)
    }

    /// A filter from its on-disk bytes (a multiple of ``blockBytes``), kept as they are.
    init(bytes: [UInt8]) {
        precondition(bytes.count % Self.blockBytes == 0)
        self.bytes = bytes
    }

    /// The filter's blocks.
    var blockCount: Int { bytes.count / Self.blockBytes }

    /// The filter's size on disk and in memory, in bytes.
    var byteCount: Int { bytes.count }

    /// Adds `hash`.
    mutating func insert(_ hash: UInt64) {
        guard blockCount > 0 else { preconditionFailure("a filter with no blocks holds no hashes") }
        let (base, bits) = position(of: hash)
        // One access to the storage for all probes: no per-probe uniqueness or exclusivity checks.
        bytes.withUnsafeMutableBufferPointer { storage in
            let block = UnsafeMutableBufferPointer(rebasing: storage[base..<(base + Self.blockBytes)])
            for probe in 0..<Self.probes {
                let (byte, mask) = Self.byteAndMask(bit: Int(truncatingIfNeeded: (bits >> (9 * UInt64(probe))) & 511))
                block[byte] |= mask
            }
        }
    }

    /// Whether `hash` may have been added: `false` means it was not.
    func mayContain(_ hash: UInt64) -> Bool {
        guard blockCount > 0 else { return false }
        let (base, bits) = position(of: hash)
        return bytes.withUnsafeBufferPointer { storage in
            let block = UnsafeBufferPointer(rebasing: storage[base..<(base + Self.blockBytes)])
            for probe in 0..<Self.probes {
                let (byte, mask) = Self.byteAndMask(bit: Int(truncatingIfNeeded: (bits >> (9 * UInt64(probe))) & 511))
                if block[byte] & mask == 0 { return false }
            }
            return true
        }
    }

    /// The byte (within its block) and mask of bit `bit` (0-511) of a block: bit `bit & 63` of
    /// big-endian word `bit >> 6`.
    @inline(__always)
    private static func byteAndMask(bit: Int) -> (Int, UInt8) {
        ((bit >> 6) * 8 + 7 - ((bit & 63) >> 3), 1 << UInt8(truncatingIfNeeded: bit & 7))
    }

    /// The first byte of `hash`'s block, and the bits that pick its probes.
    @inline(__always)
    private func position(of hash: UInt64) -> (base: Int, bits: UInt64) {
        let first = Self.mix(hash)
        let block = first.multipliedFullWidth(by: UInt64(blockCount)).high
        return (Int(block) * Self.blockBytes, Self.mix(first ^ 0x9E37_79B9_7F4A_7C15))
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
