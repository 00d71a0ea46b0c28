#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Buffered writes to standard output and one-line messages to standard error, for the tools.
public struct StandardOutput: Sendable {
    private var buffer: [UInt8] = []
    private let flushThreshold = 64 << 10

    /// Creates an empty buffer.
    public init() {}

    /// Appends `bytes` and a newline; writes out when the buffer is large.
    public mutating func writeLine(_ bytes: some Collection<UInt8>) {
        buffer.append(contentsOf: bytes)
        buffer.append(UInt8(ascii: "\n"))
        if buffer.count >= flushThreshold { flush() }
    }

    /// Appends `text` and a newline.
    public mutating func writeLine(_ text: String) {
        writeLine(text.utf8)
    }

    /// Writes everything buffered.
    public mutating func flush() {
        Self.writeAll(buffer, to: 1)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes `program: message` and a newline to standard error.
    public static func writeError(program: String, _ message: String) {
        let line = message.split(whereSeparator: \.isNewline).joined(separator: " ")
        writeAll(Array("\(program): \(line)\n".utf8), to: 2)
    }

    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32) {
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return
            }
            written += count
        }
    }
}
