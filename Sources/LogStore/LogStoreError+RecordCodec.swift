import RecordCodec

extension LogStoreError {
    /// The storage engine's error for a codec failure: the same code, message and position
    /// (relative to the batch until ``located(in:batchAt:)`` anchors it in a file).
    public init(_ error: RecordBatchError) {
        let code: Code =
            switch error.code {
            case .badMagic: .badMagic
            case .badLength: .badLength
            case .checksumMismatch: .checksumMismatch
            case .recordCountMismatch: .recordCountMismatch
            case .truncatedRecord: .truncatedRecord
            case .varintOverflow: .varintOverflow
            case .unsupportedCompression: .unsupportedCompression
            case .corruptCompressedData: .corruptCompressedData
            case .decompressedTooLarge: .decompressedTooLarge
            case .batchTooLarge: .batchTooLarge
            case .invalidTimestamp: .invalidTimestamp
            default: .invalidBatch
            }
        self.init(code, error.message, position: error.position)
        location = error.location
    }
}

/// Runs codec work, turning a ``RecordBatchError`` into the equivalent ``LogStoreError``.
@inline(__always)
func decodingBatch<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as RecordBatchError {
        throw LogStoreError(error)
    }
}
