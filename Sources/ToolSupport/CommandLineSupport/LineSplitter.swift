/// Cuts a byte stream into lines: at each `\n`, dropping the `\n` and a `\r` before it.
public struct LineSplitter: Sendable {
    private var partial: [UInt8] = []

    /// Creates a splitter.
    public init() {}

    /// Adds bytes and returns the lines they complete.
    public mutating func append(_ bytes: some Collection<UInt8>) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                if partial.last == UInt8(ascii: "\r") { partial.removeLast() }
                lines.append(partial)
                partial.removeAll(keepingCapacity: true)
            } else {
                partial.append(byte)
            }
        }
        return lines
    }

    /// The last line, if the stream did not end with a newline.
    public mutating func finish() -> [UInt8]? {
        defer { partial.removeAll() }
        if partial.last == UInt8(ascii: "\r") { partial.removeLast() }
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
