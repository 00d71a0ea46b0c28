import BrokerClient
import NIOCore
import RecordCodec

/// `--header KEY=VALUE` as the tools read it: split at the first `=`; the key must not be empty.
public enum HeaderSyntax {
    /// Parses a header; `nil` if `text` has no `=` or an empty key.
    public static func parse(_ text: String) -> RecordHeader? {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex else { return nil }
        return RecordHeader(
            key: String(text[..<equals]),
            value: ByteBuffer(string: String(text[text.index(after: equals)...]))
        )
    }
}
