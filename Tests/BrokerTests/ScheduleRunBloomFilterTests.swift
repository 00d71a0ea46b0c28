import Testing

@testable import Broker

/// The blocked Bloom filter: no false negatives, and a measured false-positive rate near 1 %.
@Suite("Schedule run Bloom filter")
struct ScheduleRunBloomFilterTests {
    @Test("no false negatives; false positives under 3 % at 10 bits per entry", arguments: [1, 100, 10_000, 200_000])
    func falsePositiveRate(count: Int) {
        var random = SplitMixGenerator(seed: UInt64(count))
        // Random hashes, and sequential ones (a weak hash must not hurt the filter: it mixes again).
        for sequential in [false, true] {
            let hashes = (0..<count).map { sequential ? UInt64($0) : random.next() }
            var filter = BloomFilter(expectedEntries: count)
            #expect(filter.byteCount == (count * 10 + 511) / 512 * 64)
            for hash in hashes { filter.insert(hash) }
            #expect(hashes.allSatisfy { filter.mayContain($0) })
            let present = Set(hashes)
            var probes = 0
            var positives = 0
            while probes < 200_000 {
                let hash = sequential ? UInt64(count + probes) : random.next()
                guard !present.contains(hash) else { continue }
                probes += 1
                if filter.mayContain(hash) { positives += 1 }
            }
            let rate = Double(positives) / Double(probes)
            // Tiny filters round up to one whole block: fewer false positives, not more.
            #expect(rate < 0.03, "\(count) entries, sequential \(sequential): \(rate * 100) % false positives")
            if count >= 10_000 { print("Bloom filter, \(count) entries, sequential \(sequential): \(rate * 100) %") }
        }
    }

    @Test("an empty filter holds nothing; the bytes follow the documented layout")
    func layout() {
        #expect(!BloomFilter(expectedEntries: 0).mayContain(0))
        #expect(BloomFilter(expectedEntries: 0).byteCount == 0)
        let count = 1_000
        var filter = BloomFilter(expectedEntries: count)
        // The layout of docs/STORAGE.md, written independently: 64-bit words, stored big-endian.
        func mix(_ value: UInt64) -> UInt64 {
            var z = value
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let blocks = (count * 10 + 511) / 512
        var words = [UInt64](repeating: 0, count: blocks * 8)
        for hash in stride(from: UInt64(0), to: UInt64(count) * 7919, by: 7919) {
            filter.insert(hash)
            let a = mix(hash)
            let b = mix(a ^ 0x9E37_79B9_7F4A_7C15)
            let block = Int(a.multipliedFullWidth(by: UInt64(blocks)).high)
            for k in 0..<7 {
                let bit = Int((b >> UInt64(9 * k)) & 511)
                words[block * 8 + bit >> 6] |= 1 << UInt64(bit & 63)
            }
        }
        let expected = words.flatMap { word in withUnsafeBytes(of: word.bigEndian) { Array($0) } }
        #expect(filter.bytes == expected)
        #expect(BloomFilter(bytes: filter.bytes) == filter)
    }
}
