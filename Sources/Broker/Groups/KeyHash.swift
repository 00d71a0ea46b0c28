/// The 64-bit hash by which consumer groups compare message keys (``OrderingMode/key``): 64-bit
/// FNV-1a of the key's bytes. Stable across processes and versions (it is not Swift's seeded
/// `Hasher`), cheap, and good enough here: two keys with the same hash are ordered as one key,
/// which costs some parallelism, never correctness.
public enum KeyHash {
    private static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    private static let prime: UInt64 = 0x0000_0100_0000_01b3

    /// The hash of `bytes`.
    /// - Complexity: O(bytes).
    public static func of(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash = offsetBasis
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* prime
        }
        return hash
    }

    /// The hash of `bytes`.
    /// - Complexity: O(bytes).
    public static func of(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var hash = offsetBasis
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* prime
        }
        return hash
    }
}
