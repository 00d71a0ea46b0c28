import Foundation

/// Values chosen to hurt, mixed with ordinary ones: the edges of each integer width, 0, -1, one
/// past what the broker knows, huge counts. Every draw comes from the seeded generator.
struct HurtfulValues {
    var generator: SeededGenerator

    init(seed: UInt64) { generator = SeededGenerator(seed: seed) }

    /// True with probability `p`.
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &generator) < p }

    mutating func int(in range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &generator) }

    mutating func pick<T>(_ values: [T]) -> T { values[int(in: 0...values.count - 1)] }

    static let int64Edges: [Int64] = [
        .min, .min + 1, -(1 << 53), Int64(Int32.min) - 1, Int64(Int32.min), -86_400_000, -2, -1, 0, 1, 2,
        Int64(Int32.max), Int64(Int32.max) + 1, Int64(UInt32.max), 1 << 53, 100 * 365 * 86_400_000,
        100 * 365 * 86_400_000 + 1, .max / 2, .max - 1, .max,
    ]
    static let int32Edges: [Int32] = [.min, .min + 1, -2, -1, 0, 1, 2, 255, 4096, 65_535, .max - 1, .max]
    static let uint32Edges: [UInt32] = [0, 1, 2, 255, 4096, 65_535, 1 << 24, .max / 2, .max - 1, .max]
    static let int16Edges: [Int16] = [.min, -2, -1, 0, 1, .max - 1, .max]

    /// An ordinary value in `ordinary` half of the time, an edge of Int64 otherwise.
    mutating func int64(ordinary: ClosedRange<Int64>) -> Int64 {
        chance(0.5) ? Int64.random(in: ordinary, using: &generator) : pick(Self.int64Edges)
    }

    mutating func int32(ordinary: ClosedRange<Int32>) -> Int32 {
        chance(0.5) ? Int32.random(in: ordinary, using: &generator) : pick(Self.int32Edges)
    }

    mutating func uint32(ordinary: ClosedRange<UInt32>) -> UInt32 {
        chance(0.5) ? UInt32.random(in: ordinary, using: &generator) : pick(Self.uint32Edges)
    }

    mutating func int16(ordinary: ClosedRange<Int16>) -> Int16 {
        chance(0.5) ? Int16.random(in: ordinary, using: &generator) : pick(Self.int16Edges)
    }

    /// An optional Int64 setting: `nil` (not given) a third of the time.
    mutating func optionalInt64(ordinary: ClosedRange<Int64>) -> Int64? {
        chance(0.33) ? nil : int64(ordinary: ordinary)
    }

    mutating func optionalInt32(ordinary: ClosedRange<Int32>) -> Int32? {
        chance(0.33) ? nil : int32(ordinary: ordinary)
    }

    /// An identifier-like string of `[a-z0-9._-]`, of a hurtful length (1, the limit, just under it).
    mutating func name(lengths: [Int]) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789._-")
        let length = pick(lengths)
        return String((0..<length).map { _ in pick(alphabet) })
    }

    /// `count` random bytes.
    mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }
}
