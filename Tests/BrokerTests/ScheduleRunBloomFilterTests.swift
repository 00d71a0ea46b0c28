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

    @Test("an empty filter holds nothing; the on-disk bytes round-trip")
    func encoding() {
        #expect(!BloomFilter(expectedEntries: 0).mayContain(0))
        #expect(BloomFilter(expectedEntries: 0).byteCount == 0)
        var filter = BloomFilter(expectedEntries: 1_000)
        for hash in stride(from: UInt64(0), to: 1_000 * 7919, by: 7919) { filter.insert(hash) }
        var bytes: [UInt8] = []
        filter.encode(into: &bytes)
        #expect(bytes.count == filter.byteCount)
        let decoded = bytes.withUnsafeBytes { BloomFilter(decoding: $0) }
        #expect(decoded == filter)
    }
}
