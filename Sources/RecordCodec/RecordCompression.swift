/// The compression codec a batch names in bits 0-2 of its attributes.
///
/// Sluice reads and writes ``none`` and ``gzip``. It refuses ``snappy``, ``lz4`` and ``zstd``
/// with ``RecordBatchError/Code/unsupportedCompression`` (docs/ARCHITECTURE.md says why), and
/// the codec ids 5 to 7, which Kafka does not define, with the same code.
public enum RecordCompression: Int, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Records stored as they are.
    case none = 0
    /// The records section is one gzip stream (RFC 1952), zlib underneath.
    case gzip = 1
    /// Snappy in Xerial's framing (refused by Sluice).
    case snappy = 2
    /// LZ4 frame format (refused by Sluice).
    case lz4 = 3
    /// Zstandard (refused by Sluice).
    case zstd = 4

    /// The codecs Sluice decodes and encodes.
    public static let supported: [RecordCompression] = [.none, .gzip]

    /// Whether Sluice decodes and encodes this codec.
    public var isSupported: Bool { Self.supported.contains(self) }

    /// Kafka's name for the codec (`compression.type`).
    public var description: String {
        switch self {
        case .none: "none"
        case .gzip: "gzip"
        case .snappy: "snappy"
        case .lz4: "lz4"
        case .zstd: "zstd"
        }
    }

    /// The error for a batch whose attributes name codec `id` that Sluice does not read
    /// (``RecordBatchError/Code/unsupportedCompression``, at the attributes field).
    static func unsupported(_ id: Int) -> RecordBatchError {
        let what =
            RecordCompression(rawValue: id).map { "\($0) compression (codec \(id))" } ?? "compression codec \(id)"
        let reason = RecordCompression(rawValue: id) == nil ? ", which Kafka does not define" : ""
        return RecordBatchError(
            .unsupportedCompression,
            "batch uses \(what)\(reason); Sluice reads uncompressed and gzip batches only",
            position: Int64(RecordBatch.Field.attributes)
        )
    }
}
