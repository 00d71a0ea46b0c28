import BrokerClient

/// Cuts a byte stream into lines: at each `\n`, dropping the `\n` and a `\r` before it.
///
/// A line longer than ``maxLineBytes`` is an error, so that input without newlines cannot grow
/// the buffer without bound.
public struct LineSplitter: Sendable {
    /// The longest line accepted by default: 16 MiB, the broker's default frame limit.
    public static let defaultMaxLineBytes = 16 << 20

    /// The longest line accepted, in bytes (without the line break).
    public let maxLineBytes: Int
    private var partial: [UInt8] = []
    private var completedLines = 0

    /// Creates a splitter.
    public init(maxLineBytes: Int = LineSplitter.defaultMaxLineBytes) {
        precondition(maxLineBytes > 0)
        self.maxLineBytes = maxLineBytes
    }

    /// Adds bytes and returns the lines they complete.
    /// - Throws: ``ClientError`` (`invalidArgument`) naming the line that is over ``maxLineBytes``.
    public mutating func append(_ bytes: some Collection<UInt8>) throws -> [[UInt8]] {
        var lines: [[UInt8]] = []
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                if partial.last == UInt8(ascii: "\r") { partial.removeLast() }
                guard partial.count <= maxLineBytes else { throw lineTooLong() }
                lines.append(partial)
                completedLines += 1
                partial.removeAll(keepingCapacity: true)
            } else {
                // One byte more than the limit is kept, for a `\r` that the line break removes.
                guard partial.count <= maxLineBytes else { throw lineTooLong() }
                partial.append(byte)
            }
        }
        return lines
    }

    private func lineTooLong() -> ClientError {
        ClientError(
            .invalidArgument,
            "line \(completedLines + 1) is longer than \(ByteSizeSyntax.format(Int64(maxLineBytes))) (\(maxLineBytes) bytes)"
        )
    }

    /// The last line, if the stream did not end with a newline.
    /// - Throws: ``ClientError`` (`invalidArgument`) if that line is over ``maxLineBytes``.
    public mutating func finish() throws -> [UInt8]? {
        defer { partial.removeAll() }
        if partial.last == UInt8(ascii: "\r") { partial.removeLast() }
        guard partial.count <= maxLineBytes else { throw lineTooLong() }
        return partial.isEmpty ? nil : partial
    }

    /// Splits `line` at the first `separator` into key and value; `nil` if it has none.
    public static func splitKey(_ line: [UInt8], separator: [UInt8]) -> (key: [UInt8], value: [UInt8])? {
        guard !separator.isEmpty, line.count >= separator.count else { return nil }
        for start in 0...(line.count - separator.count)
        where line[start..<(start + separator.count)].elementsEqual(separator) {
            return (Array(line[..<start]), Array(line[(start + separator.count)...]))
        }
        return nil
    }
}
