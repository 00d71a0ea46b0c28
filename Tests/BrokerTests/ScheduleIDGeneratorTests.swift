import Testing

@testable import Broker

@Suite struct ScheduleIDGeneratorTests {
    @Test func idsAre32LowercaseHexDigitsAndDistinctAcrossRefills() {
        var generator = ScheduleIDGenerator()
        var seen: Set<String> = []
        // 1,000 ids draw 16,000 bytes: four refills of 4 KiB.
        for _ in 0..<1_000 {
            let id = generator.next()
            #expect(id.utf8.count == 32)
            #expect(id.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
            seen.insert(id)
        }
        #expect(seen.count == 1_000)
    }

    @Test func bothHalvesOfEachByteAreUsed() {
        // Every hex digit appears in both the even (high nibble) and odd (low nibble) positions.
        var generator = ScheduleIDGenerator()
        var high: Set<Character> = []
        var low: Set<Character> = []
        for _ in 0..<200 {
            for (position, digit) in generator.next().enumerated() {
                if position % 2 == 0 { high.insert(digit) } else { low.insert(digit) }
            }
        }
        #expect(high.count == 16)
        #expect(low.count == 16)
    }
}
