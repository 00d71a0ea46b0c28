import CRC32C

/// CRC-32C (Castagnoli), the checksum of Kafka's RecordBatch v2.
///
/// Backed by the `CRC32C` C target: the SSE4.2 or ARMv8 CRC instruction when the CPU has one, a
/// slicing-by-8 table otherwise.
public enum CRC32C {
    /// Returns the CRC-32C of `bytes`, continuing from `crc` (pass `0` to start).
    @inlinable
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress else { return crc }
        return sluice_crc32c(crc, base, bytes.count)
    }

    /// Returns the CRC-32C of `bytes`.
    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        let array = Array(bytes)
        return array.withUnsafeBytes { checksum($0) }
    }

    /// Whether the hardware instruction is in use on this CPU.
    public static var isHardwareAccelerated: Bool { sluice_crc32c_is_hardware_accelerated() != 0 }
}
