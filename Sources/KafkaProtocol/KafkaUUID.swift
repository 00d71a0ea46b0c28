/// Kafka's UUID type: 16 bytes, written as two big-endian 64-bit halves.
///
/// The all-zero UUID is Kafka's "no id" value (``zero``).
public struct KafkaUUID: Hashable, Sendable, CustomStringConvertible {
    /// The first 8 bytes, big-endian.
    public var mostSignificantBits: UInt64
    /// The last 8 bytes, big-endian.
    public var leastSignificantBits: UInt64

    /// Creates a UUID from its two halves.
    public init(mostSignificantBits: UInt64, leastSignificantBits: UInt64) {
        self.mostSignificantBits = mostSignificantBits
        self.leastSignificantBits = leastSignificantBits
    }

    /// Kafka's "no id" UUID (all zero bytes).
    public static let zero = KafkaUUID(mostSignificantBits: 0, leastSignificantBits: 0)

    /// The 32 hexadecimal digits in the usual 8-4-4-4-12 groups.
    public var description: String {
        let hex = [mostSignificantBits, leastSignificantBits].map { half in
            let digits = String(half, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }.joined()
        let characters = Array(hex)
        let groups = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(characters[$0]) }
        return groups.joined(separator: "-")
    }
}
