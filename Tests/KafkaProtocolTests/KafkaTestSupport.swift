import NIOCore
import Testing

@testable import KafkaProtocol

/// A buffer holding `bytes`.
func buffer(_ bytes: [UInt8]) -> ByteBuffer {
    ByteBuffer(bytes: bytes)
}

/// The readable bytes of `buffer` as an array.
func bytes(_ buffer: ByteBuffer) -> [UInt8] {
    Array(buffer.readableBytesView)
}

/// Runs `body` on a reader over `bytes` and returns the decoding error it throws (recording an
/// issue if it throws nothing or something else).
@discardableResult
func decodingError<T>(
    _ bytes: [UInt8],
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: (inout KafkaReader) throws -> T
) -> KafkaDecodingError? {
    var reader = KafkaReader(buffer(bytes))
    do {
        let value = try body(&reader)
        Issue.record("expected a KafkaDecodingError, decoded \(value)", sourceLocation: sourceLocation)
        return nil
    } catch let error as KafkaDecodingError {
        return error
    } catch {
        Issue.record("expected a KafkaDecodingError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Checks that decoding every strict prefix of `encoded` with `decode` throws a
/// ``KafkaDecodingError`` (never traps, never succeeds), and that the whole of `encoded`
/// decodes with every byte consumed.
func expectEveryTruncationThrows<T>(
    _ encoded: ByteBuffer,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ decode: (inout KafkaReader) throws -> T
) {
    let all = bytes(encoded)
    for length in 0..<all.count {
        var reader = KafkaReader(buffer(Array(all[0..<length])))
        do {
            let value = try decode(&reader)
            Issue.record(
                "a prefix of \(length) of \(all.count) bytes decoded: \(value)",
                sourceLocation: sourceLocation
            )
        } catch is KafkaDecodingError {
            // Expected.
        } catch {
            Issue.record("a prefix of \(length) bytes threw \(error)", sourceLocation: sourceLocation)
        }
    }
    var reader = KafkaReader(encoded)
    #expect(throws: Never.self, sourceLocation: sourceLocation) { _ = try decode(&reader) }
    #expect(reader.isAtEnd, "\(reader.remainingBytes) bytes left after decoding", sourceLocation: sourceLocation)
}
