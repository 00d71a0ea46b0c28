/// Kafka's default partitioner, byte for byte: `(murmur2(key) & 0x7fffffff) % partitionCount`,
/// with the Java client's murmur2 (seed `0x9747b28c`), so a key lands on the partition a Kafka
/// producer would choose.
public enum Partitioner {
    /// The partition for `key` among `partitionCount` partitions.
    public static func partition(forKey key: some Collection<UInt8>, partitionCount: Int32) -> Int32 {
        precondition(partitionCount > 0)
        return Int32(bitPattern: UInt32(bitPattern: murmur2(key)) & 0x7fff_ffff) % partitionCount
    }

    /// Kafka's `Utils.murmur2`: MurmurHash2, 32-bit, seed `0x9747b28c`, little-endian 4-byte
    /// blocks, as a signed 32-bit result.
    public static func murmur2(_ key: some Collection<UInt8>) -> Int32 {
        let bytes = Array(key)
        let length = bytes.count
        let seed: UInt32 = 0x9747_b28c
        let m: UInt32 = 0x5bd1_e995
        let r: UInt32 = 24
        var h: UInt32 = seed ^ UInt32(truncatingIfNeeded: length)
        let blocks = length / 4
        for block in 0..<blocks {
            let i = block * 4
            var k =
                UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
            k &*= m
            k ^= k >> r
            k &*= m
            h &*= m
            h ^= k
        }
        let tail = blocks * 4
        switch length % 4 {
        case 3:
            h ^= UInt32(bytes[tail + 2]) << 16
            h ^= UInt32(bytes[tail + 1]) << 8
            h ^= UInt32(bytes[tail])
            h &*= m
        case 2:
            h ^= UInt32(bytes[tail + 1]) << 8
            h ^= UInt32(bytes[tail])
            h &*= m
        case 1:
            h ^= UInt32(bytes[tail])
            h &*= m
        default:
            break
        }
        h ^= h >> 13
        h &*= m
        h ^= h >> 15
        return Int32(bitPattern: h)
    }
}
