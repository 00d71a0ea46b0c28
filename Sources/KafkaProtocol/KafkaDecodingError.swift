/// Bytes that do not decode as the Kafka message they claim to be.
///
/// Every decoder in this module throws this error, and only this error, for bad input: a field
/// cut short, a length or count larger than the bytes left, a negative length where none is
/// allowed, a varint longer than its type, a string that is not UTF-8. The message names the
/// field (`"ProduceRequest.Topics.Name"`), so a broker can log one clear line and close the
/// connection. Decoding never allocates for a length or count before checking it against the
/// bytes that remain.
public struct KafkaDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of fault was found.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case truncated
            case invalidLength
            case malformedVarint
            case invalidUTF8
            case invalidValue
            case frameTooLarge
        }

        private let base: Base

        private init(_ base: Base) { self.base = base }

        /// The bytes end inside a field.
        public static let truncated = Code(.truncated)
        /// A length or count is negative where null is not allowed, or larger than the bytes left.
        public static let invalidLength = Code(.invalidLength)
        /// A varint runs past the width of its type (5 bytes for 32 bits, 10 for 64).
        public static let malformedVarint = Code(.malformedVarint)
        /// A string's bytes are not valid UTF-8.
        public static let invalidUTF8 = Code(.invalidUTF8)
        /// A field has a value its type or API does not allow.
        public static let invalidValue = Code(.invalidValue)
        /// A frame's size prefix is over the decoder's limit (``KafkaFrameDecoder``).
        public static let frameTooLarge = Code(.frameTooLarge)

        /// A short name for the code.
        public var description: String {
            switch base {
            case .truncated: "truncated"
            case .invalidLength: "invalid length"
            case .malformedVarint: "malformed varint"
            case .invalidUTF8: "invalid UTF-8"
            case .invalidValue: "invalid value"
            case .frameTooLarge: "frame too large"
            }
        }
    }

    /// What kind of fault was found.
    public let code: Code
    /// The field being decoded, as `Message.Field` or `Message.Array.Field`.
    public let field: String
    /// What was wrong, with the numbers involved.
    public let message: String

    /// Creates an error for `field`.
    public init(_ code: Code, field: String, _ message: String) {
        self.code = code
        self.field = field
        self.message = message
    }

    /// `"Kafka field <field>: <message>"`.
    public var description: String { "Kafka field \(field): \(message)" }
}
