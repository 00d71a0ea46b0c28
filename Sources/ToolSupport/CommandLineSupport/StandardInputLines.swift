import BrokerClient
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The lines of standard input as an `AsyncSequence` of byte arrays (see ``LineSplitter``).
///
/// Reads whatever is available (up to 64 KiB at a time) on NIO's thread pool, so a line typed at
/// a terminal is delivered at once and a large pipe is read in big chunks.
public struct StandardInputLines: AsyncSequence, Sendable {
    public typealias Element = [UInt8]

    /// Creates the sequence. Iterate it once.
    public init() {}

    /// Iterates over the lines.
    public struct AsyncIterator: AsyncIteratorProtocol {
        private var splitter = LineSplitter()
        private var ready: [[UInt8]] = []
        private var index = 0
        private var isAtEnd = false

        /// Whether ``next()`` has a line without reading standard input again.
        public var hasBufferedLine: Bool { index < ready.count }

        /// The next line, or `nil` at end of input.
        public mutating func next() async throws -> [UInt8]? {
            while index == ready.count {
                if isAtEnd { return nil }
                let chunk = try await NIOThreadPool.singleton.runIfActive { try Self.readChunk() }
                if chunk.isEmpty {
                    isAtEnd = true
                    ready = try splitter.finish().map { [$0] } ?? []
                } else {
                    ready = try splitter.append(chunk)
                }
                index = 0
            }
            defer { index += 1 }
            return ready[index]
        }

        private static func readChunk() throws -> [UInt8] {
            var buffer = [UInt8](repeating: 0, count: 64 << 10)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
                if count >= 0 { return Array(buffer[..<count]) }
                guard errno == EINTR else {
                    throw ClientError(
                        .invalidArgument,
                        "cannot read standard input: \(String(cString: strerror(errno)).lowercased())"
                    )
                }
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator() }
}
