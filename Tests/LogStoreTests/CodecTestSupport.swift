import RecordCodec

/// The random generator the codec fuzz regressions use (RecordCodecTests has its own copy).
typealias CodecTestRandom = SeededRandom

/// The byte helpers of RecordCodecTests' `RecordBatchTests` that the fuzz regressions here use.
enum RecordBatchTests {
    /// Reads a big-endian integer.
    static func integer<T: FixedWidthInteger>(_: T.Type, at offset: Int, in bytes: [UInt8]) -> T {
        bytes[offset..<(offset + MemoryLayout<T>.size)].reduce(T.zero) { ($0 << 8) | T(truncatingIfNeeded: $1) }
    }

    /// Writes a big-endian integer over existing bytes.
    static func put<T: FixedWidthInteger>(_ value: T, at offset: Int, in bytes: inout [UInt8]) {
        for index in 0..<MemoryLayout<T>.size {
            let shift = (MemoryLayout<T>.size - 1 - index) * 8
            bytes[offset + index] = UInt8(truncatingIfNeeded: value >> shift)
        }
    }

    /// `bytes` with the CRC recomputed over 21..<end and stored big-endian at 17.
    static func resealed(_ bytes: [UInt8]) -> [UInt8] {
        var copy = bytes
        put(CRC32C.checksum(bytes[21...]), at: 17, in: &copy)
        return copy
    }
}
