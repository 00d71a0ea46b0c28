/// The redelivery backoff of a group: after the n-th failed delivery of a message, wait
/// `min(initial × multiplier^(n-1), max)`, jittered uniformly between half of it and all of it.
///
/// All arithmetic saturates: no setting or failure count makes it overflow or loop for long.
struct Backoff: Sendable, Hashable {
    /// The wait after the first failure, in milliseconds (negative counts as 0).
    var initialMilliseconds: Int64
    /// The factor applied for each further failure, in percent (below 100 counts as 100).
    var multiplierPercent: Int
    /// The longest wait, in milliseconds (negative counts as 0).
    var maxMilliseconds: Int64

    /// The backoff of a group's settings.
    init(_ settings: GroupSettings) {
        initialMilliseconds = settings.backoffInitialMilliseconds
        multiplierPercent = settings.backoffMultiplierPercent
        maxMilliseconds = settings.backoffMaxMilliseconds
    }

    /// The wait after the `failures`-th failure before jitter: `min(initial × multiplier^(failures-1), max)`.
    /// - Complexity: O(1) in practice: at most a few thousand multiplications (the count needed
    ///   for the smallest multiplier above 1 to reach `Int64.max`), whatever `failures` is.
    func baseDelayMilliseconds(afterFailure failures: Int) -> Int64 {
        let cap = max(0, maxMilliseconds)
        let initial = min(max(0, initialMilliseconds), cap)
        guard initial > 0 else { return 0 }
        let factor = Double(max(100, multiplierPercent)) / 100
        var delay = Double(initial)
        let capAsDouble = Double(cap)
        var step = 1
        // A factor of exactly 1 never grows; otherwise stop as soon as the cap is reached.
        while step < failures, factor > 1, delay < capAsDouble {
            delay *= factor
            step += 1
        }
        guard delay < capAsDouble else { return cap }
        return min(cap, Int64(delay))
    }

    /// The jittered wait after the `failures`-th failure: uniform in `base - base/2 ... base`.
    func delayMilliseconds(afterFailure failures: Int, using random: inout some RandomNumberGenerator) -> Int64 {
        let base = baseDelayMilliseconds(afterFailure: failures)
        guard base > 0 else { return 0 }
        return Int64.random(in: (base - base / 2)...base, using: &random)
    }
}

/// SplitMix64: a small, fast, seeded generator, so that a dispatcher's jitter is reproducible.
struct SplitMixGenerator: RandomNumberGenerator, Sendable, Hashable {
    private var state: UInt64

    /// A generator whose sequence is fixed by `seed`.
    init(seed: UInt64) {
        state = seed
    }

    /// The next 64 random bits.
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}

extension Int {
    /// `self + 1`, or `Int.max` if `self` is `Int.max` (a count read from a damaged state).
    func saturatingIncrement() -> Int { self < .max ? self + 1 : .max }
}

extension Int64 {
    /// `self + other`, clamped to `Int64.min...Int64.max` instead of overflowing.
    func saturatingAdd(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other > 0 ? .max : .min
    }
}
