#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Generates schedule ids: 16 random bytes from the kernel's CSPRNG, as 32 lowercase hex digits.
///
/// The bytes are read 4 KiB at a time from /dev/urandom: three system calls per 256 ids instead of
/// two per id (which took 44% of the scheduler's thread when a producer let the broker name every
/// schedule).
struct ScheduleIDGenerator {
    static let idBytes = 16
    private static let refillBytes = 4_096
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)
    private var random: [UInt8] = []
    private var position = 0

    /// A new id.
    mutating func next() -> String {
        if position + Self.idBytes > random.count { refill() }
        let start = position
        position += Self.idBytes
        return String(unsafeUninitializedCapacity: 2 * Self.idBytes) { output in
            for index in 0..<Self.idBytes {
                let byte = random[start + index]
                output[2 * index] = Self.digits[Int(byte >> 4)]
                output[2 * index + 1] = Self.digits[Int(byte & 0x0f)]
            }
            return 2 * Self.idBytes
        }
    }

    /// Fills `buffer` from /dev/urandom (the kernel's CSPRNG, never blocking once seeded at boot);
    /// returns how many bytes were filled.
    private static func readSystemRandom(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let descriptor = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return 0 }
        defer { close(descriptor) }
        var filled = 0
        while filled < buffer.count {
            let count = read(descriptor, buffer.baseAddress! + filled, buffer.count - filled)
            if count > 0 {
                filled += count
            } else if count == 0 || errno != EINTR {
                break
            }
        }
        return filled
    }

    private mutating func refill() {
        random = [UInt8](repeating: 0, count: Self.refillBytes)
        let filled = random.withUnsafeMutableBytes { Self.readSystemRandom(into: $0) }
        if filled < random.count {
            // /dev/urandom cannot be read (no /dev in a bare chroot): the standard library's
            // generator costs a system call per 8 bytes, but it is as unpredictable.
            var generator = SystemRandomNumberGenerator()
            for index in filled..<random.count { random[index] = generator.next() }
        }
        position = 0
    }
}
