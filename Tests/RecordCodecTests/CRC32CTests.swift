import CRC32C
import Testing

@testable import RecordCodec

/// CRC-32C: published vectors, the hardware path against the portable one, and checksums built up
/// in pieces.
@Suite("CRC-32C")
struct CRC32CTests {
    /// A published CRC-32C test vector.
    struct Vector: CustomTestStringConvertible, Sendable {
        var name: String
        var bytes: [UInt8]
        var expected: UInt32
        var testDescription: String { name }
    }

    /// The check value of the Castagnoli CRC catalogue and the four vectors of RFC 3720 appendix B.4.
    static let vectors: [Vector] = [
        Vector(name: "\"123456789\"", bytes: Array("123456789".utf8), expected: 0xE306_9283),
        Vector(name: "32 zero bytes", bytes: [UInt8](repeating: 0, count: 32), expected: 0x8A91_36AA),
        Vector(name: "32 0xFF bytes", bytes: [UInt8](repeating: 0xFF, count: 32), expected: 0x62A8_AB43),
        Vector(name: "0x00...0x1F ascending", bytes: Array(0...31), expected: 0x46DD_794E),
        Vector(name: "0x1F...0x00 descending", bytes: Array((0...31).reversed()), expected: 0x113F_DB5C),
    ]

    @Test("known vectors through every entry point", arguments: vectors)
    func knownVector(_ vector: Vector) {
        vector.bytes.withUnsafeBytes { raw in
            #expect(sluice_crc32c(0, raw.baseAddress, raw.count) == vector.expected)
            #expect(sluice_crc32c_portable(0, raw.baseAddress, raw.count) == vector.expected)
            #expect(CRC32C.checksum(raw) == vector.expected)
        }
        #expect(CRC32C.checksum(vector.bytes) == vector.expected)
        #expect(CRC32C.checksum(vector.bytes[...]) == vector.expected)
    }

    @Test("an empty input leaves the running CRC unchanged")
    func emptyInput() {
        #expect(CRC32C.checksum([UInt8]()) == 0)
        [UInt8]().withUnsafeBytes { raw in
            #expect(CRC32C.checksum(raw, continuing: 0xDEAD_BEEF) == 0xDEAD_BEEF)
        }
        let byte: [UInt8] = [0x42]
        byte.withUnsafeBytes { raw in
            let base = raw.baseAddress!
            #expect(sluice_crc32c(0x1234_5678, base, 0) == 0x1234_5678)
            #expect(sluice_crc32c_portable(0x1234_5678, base, 0) == 0x1234_5678)
        }
    }

    @Test("the hardware path equals the portable path for every short length and alignment")
    func hardwareMatchesPortableExhaustively() {
        var random = CodecTestRandom(seed: 0xC4C3_2C01)
        let storage = random.bytes(128 + 16)
        storage.withUnsafeBytes { raw in
            for alignment in 0..<16 {
                for length in 0...128 {
                    let base = raw.baseAddress! + alignment
                    let hardware = sluice_crc32c(0, base, length)
                    let portable = sluice_crc32c_portable(0, base, length)
                    #expect(hardware == portable, "length \(length), alignment \(alignment)")
                }
            }
        }
    }

    @Test("the hardware path equals the portable path on random buffers", arguments: [1, 2, 3, 4])
    func hardwareMatchesPortableOnRandomBuffers(seed: UInt64) {
        var random = CodecTestRandom(seed: seed)
        for _ in 0..<200 {
            let length =
                Bool.random(using: &random)
                ? Int.random(in: 0..<512, using: &random)
                : Int.random(in: 0..<70_000, using: &random)
            let alignment = Int.random(in: 0..<64, using: &random)
            let initial = Bool.random(using: &random) ? 0 : UInt32.random(in: 0...UInt32.max, using: &random)
            // One spare byte keeps `baseAddress` non-nil when `length + alignment` is 0.
            let storage = random.bytes(length + alignment + 1)
            storage.withUnsafeBytes { raw in
                let base = raw.baseAddress! + alignment
                let hardware = sluice_crc32c(initial, base, length)
                let portable = sluice_crc32c_portable(initial, base, length)
                #expect(
                    hardware == portable,
                    "seed \(seed): length \(length), alignment \(alignment), initial \(hex(initial))"
                )
                #expect(
                    CRC32C.checksum(UnsafeRawBufferPointer(start: base, count: length))
                        == sluice_crc32c(0, base, length)
                )
            }
        }
    }

    @Test("a CRC continued over pieces equals the one-shot CRC", arguments: [11, 12, 13])
    func incrementalEqualsOneShot(seed: UInt64) {
        var random = CodecTestRandom(seed: seed)
        for _ in 0..<100 {
            let length = Int.random(in: 0..<5_000, using: &random)
            // One spare byte, outside the checksummed range, keeps `baseAddress` non-nil.
            let bytes = random.bytes(length + 1)
            let cuts = (0..<Int.random(in: 0...6, using: &random)).map { _ in Int.random(in: 0...length, using: &random)
            }
            let bounds = [0] + cuts.sorted() + [length]
            bytes.withUnsafeBytes { whole in
                let raw = UnsafeRawBufferPointer(rebasing: whole[0..<length])
                let oneShot = CRC32C.checksum(raw)
                var viaSwift: UInt32 = 0
                var viaHardware: UInt32 = 0
                var viaPortable: UInt32 = 0
                for (from, to) in zip(bounds, bounds.dropFirst()) {
                    let piece = UnsafeRawBufferPointer(rebasing: raw[from..<to])
                    viaSwift = CRC32C.checksum(piece, continuing: viaSwift)
                    viaHardware = sluice_crc32c(viaHardware, raw.baseAddress! + from, to - from)
                    viaPortable = sluice_crc32c_portable(viaPortable, raw.baseAddress! + from, to - from)
                }
                #expect(viaSwift == oneShot, "seed \(seed): pieces \(bounds)")
                #expect(viaHardware == oneShot, "seed \(seed): pieces \(bounds)")
                #expect(viaPortable == oneShot, "seed \(seed): pieces \(bounds)")
            }
        }
    }

    @Test("every single-bit flip changes the checksum")
    func singleBitFlipsAreDetected() {
        var random = CodecTestRandom(seed: 0xF11B)
        let original = random.bytes(300)
        let expected = CRC32C.checksum(original)
        for index in original.indices {
            for bit in 0..<8 {
                var flipped = original
                flipped[index] ^= 1 << bit
                #expect(CRC32C.checksum(flipped) != expected, "byte \(index) bit \(bit)")
            }
        }
    }
}
