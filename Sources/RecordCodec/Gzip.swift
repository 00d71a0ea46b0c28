import CompressNIO
import NIOCore

/// gzip (RFC 1952) for the records section of a batch, through compress-nio's zlib binding.
///
/// Decompression is bounded: it inflates through a fixed window and stops with
/// ``RecordBatchError/Code/decompressedTooLarge`` as soon as the output would pass the limit, so a
/// small "zip bomb" never makes Sluice allocate more than the limit plus one window.
enum Gzip {
    /// The bytes inflated per step.
    static let windowBytes = 64 << 10

    /// Inflates one whole gzip stream.
    ///
    /// - Parameter limit: the most decompressed bytes accepted.
    /// - Throws: ``RecordBatchError``: `decompressedTooLarge` past `limit`; `corruptCompressedData`
    ///   when the stream is damaged, cut short, or followed by other bytes.
    static func decompress(
        _ compressed: ByteBuffer,
        limit: Int,
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) throws -> ByteBuffer {
        let decompressor: ZlibDecompressor
        do {
            decompressor = try ZlibDecompressor(algorithm: .gzip)
        } catch {
            throw corrupt("zlib could not start inflating (\(error))")
        }
        var input = compressed
        let inputBytes = compressed.readableBytes
        var window = allocator.buffer(capacity: min(windowBytes, max(limit, 0) + 1))
        var output = allocator.buffer(capacity: min(max(limit, 0), max(4096, inputBytes * 4)))
        var probing = false
        while true {
            window.clear()
            var isEnd = false
            do {
                try decompressor.inflate(from: &input, to: &window)
                // A normal return is either the stream's end or all input used with room left.
                // Only in the first case can bytes remain; in the second, a call without input
                // tells them apart (it ends again, or cannot progress).
                if input.readableBytes > 0 || probing {
                    isEnd = true
                } else {
                    probing = true
                }
            } catch let error as CompressNIOError where error == .bufferOverflow {
                probing = false  // the window is full: append it and go on
            } catch let error as CompressNIOError where error == .inputBufferOverflow {
                throw corrupt(
                    "the gzip stream ends early: all \(inputBytes) compressed bytes were read "
                        + "after \(output.readableBytes + window.readableBytes) decompressed bytes"
                )
            } catch let error as CompressNIOError where error == .corruptData {
                throw corrupt(
                    "the gzip data is corrupt (zlib stopped \(inputBytes - input.readableBytes) bytes into "
                        + "\(inputBytes) compressed bytes)"
                )
            } catch {
                throw corrupt("zlib failed inflating the records (\(error))")
            }
            let total = output.readableBytes + window.readableBytes
            guard total <= limit else {
                throw RecordBatchError(
                    .decompressedTooLarge,
                    "the records decompress to more than \(limit) bytes (maxDecompressedBatchBytes) from "
                        + "\(inputBytes) compressed bytes; decompression stopped there",
                    position: Int64(RecordBatch.headerSize)
                )
            }
            if total > output.capacity {
                output.reserveCapacity(min(limit, max(total, output.capacity * 2)))
            }
            output.writeBuffer(&window)
            if isEnd { break }
        }
        guard input.readableBytes == 0 else {
            throw corrupt(
                "\(input.readableBytes) bytes follow the end of the gzip stream in the records section"
            )
        }
        return output
    }

    /// Deflates `bytes` into one gzip stream.
    static func compress(
        _ bytes: ByteBuffer,
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) throws -> ByteBuffer {
        var input = bytes
        do {
            return try input.compress(with: .gzip, allocator: allocator)
        } catch {
            throw RecordBatchError(.invalidBatch, "gzip compression failed (\(error))")
        }
    }

    private static func corrupt(_ message: String) -> RecordBatchError {
        RecordBatchError(.corruptCompressedData, message, position: Int64(RecordBatch.headerSize))
    }
}
