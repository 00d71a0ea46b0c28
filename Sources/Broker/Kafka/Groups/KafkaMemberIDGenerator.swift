/// Makes member ids as Kafka does: `<client id or group.instance.id>-<random UUID>`.
///
/// `.system` draws from the system's secure generator (ids cannot be predicted by another client, who could
/// otherwise leave or heartbeat in a member's name); `.seeded` is a deterministic SplitMix64 for tests.
public struct KafkaMemberIDGenerator: Sendable, Hashable {
    private enum Source: Sendable, Hashable {
        case system
        case seeded(UInt64)
    }

    private var source: Source

    /// Ids from the system's secure random generator.
    public static var system: KafkaMemberIDGenerator { KafkaMemberIDGenerator(source: .system) }

    /// Deterministic ids from a seed (tests only: the sequence can be predicted).
    public static func seeded(_ seed: UInt64) -> KafkaMemberIDGenerator {
        KafkaMemberIDGenerator(source: .seeded(seed))
    }

    /// A generator for another group: `.system` again, or a seeded one drawn from this one.
    public mutating func split() -> KafkaMemberIDGenerator {
        switch source {
        case .system: .system
        case .seeded: .seeded(next())
        }
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        switch source {
        case .system:
            var generator = SystemRandomNumberGenerator()
            return generator.next()
        case .seeded(let state):
            let advanced = state &+ 0x9E37_79B9_7F4A_7C15
            source = .seeded(advanced)
            var mixed = advanced
            mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
            mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
            return mixed ^ (mixed >> 31)
        }
    }

    /// A new member id: `prefix` (the client id, or the instance id of a static member) and a random version 4 UUID.
    public mutating func makeMemberID(prefix: String) -> String {
        let high = (next() & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000
        let low = (next() & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        let hex = hexDigits(high, count: 16) + hexDigits(low, count: 16)
        let characters = Array(hex)
        let uuid = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(characters[$0]) }.joined(separator: "-")
        return "\(prefix)-\(uuid)"
    }

    private func hexDigits(_ value: UInt64, count: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: count - digits.count) + digits
    }
}
