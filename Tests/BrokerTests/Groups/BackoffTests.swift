import Testing

@testable import Broker

/// The backoff formula `min(initial × multiplier^(n-1), max)` and its jitter.
@Suite("Backoff")
struct BackoffTests {
    static func backoff(initial: Int64, percent: Int, max: Int64) -> Backoff {
        var settings = GroupSettings()
        settings.backoffInitialMilliseconds = initial
        settings.backoffMultiplierPercent = percent
        settings.backoffMaxMilliseconds = max
        return Backoff(settings)
    }

    @Test("the defaults: 1 s, x2, at most 5 min")
    func defaults() {
        let backoff = Backoff(GroupSettings())
        #expect(
            (1...10).map { backoff.baseDelayMilliseconds(afterFailure: $0) } == [
                1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000,
            ]
        )
    }

    @Test("fractional multipliers, a multiplier of 1, zero and negative settings")
    func shapes() {
        let half = Self.backoff(initial: 10, percent: 150, max: 1_000)
        #expect((1...4).map { half.baseDelayMilliseconds(afterFailure: $0) } == [10, 15, 22, 33])
        let flat = Self.backoff(initial: 7, percent: 100, max: 1_000)
        #expect(flat.baseDelayMilliseconds(afterFailure: 1_000_000) == 7)
        #expect(Self.backoff(initial: 0, percent: 200, max: 100).baseDelayMilliseconds(afterFailure: 5) == 0)
        #expect(Self.backoff(initial: 50, percent: 200, max: 0).baseDelayMilliseconds(afterFailure: 5) == 0)
        #expect(Self.backoff(initial: -5, percent: -3, max: -1).baseDelayMilliseconds(afterFailure: 3) == 0)
        #expect(Self.backoff(initial: 500, percent: 200, max: 100).baseDelayMilliseconds(afterFailure: 1) == 100)
        // A failure count of 0 or less is treated as the first.
        #expect(Self.backoff(initial: 8, percent: 200, max: 100).baseDelayMilliseconds(afterFailure: 0) == 8)
    }

    @Test("huge settings and counts saturate at the maximum without overflowing or looping for long")
    func saturation() {
        let huge = Self.backoff(initial: Int64.max, percent: Int.max, max: Int64.max)
        #expect(huge.baseDelayMilliseconds(afterFailure: Int.max) == Int64.max)
        let slow = Self.backoff(initial: 1, percent: 101, max: Int64.max)
        #expect(slow.baseDelayMilliseconds(afterFailure: Int.max) == Int64.max)
        var random = SplitMixGenerator(seed: 3)
        #expect(huge.delayMilliseconds(afterFailure: Int.max, using: &random) >= Int64.max / 2)
    }

    @Test("the jitter stays between half and all of the delay, and a seed replays it")
    func jitter() {
        let backoff = Self.backoff(initial: 100, percent: 200, max: 10_000)
        var random = SplitMixGenerator(seed: 42)
        var seen: Set<Int64> = []
        for _ in 0..<2_000 {
            let delay = backoff.delayMilliseconds(afterFailure: 3, using: &random)
            #expect((200...400).contains(delay))
            seen.insert(delay)
        }
        #expect(seen.contains(200) && seen.contains(400))
        #expect(seen.count > 150)
        var first = SplitMixGenerator(seed: 7)
        var second = SplitMixGenerator(seed: 7)
        let one = (1...5).map { backoff.delayMilliseconds(afterFailure: $0, using: &first) }
        let two = (1...5).map { backoff.delayMilliseconds(afterFailure: $0, using: &second) }
        #expect(one == two)
    }
}
