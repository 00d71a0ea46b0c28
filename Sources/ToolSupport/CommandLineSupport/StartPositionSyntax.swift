import BrokerClient

/// `--from earliest|latest|OFFSET|-N|TIME` as the tools read it.
///
/// A number is an OFFSET unless it has 13 or more digits (epoch milliseconds from 2001-09-09
/// on), which makes it a TIME; `@1714564800000` is always a time, and so is RFC 3339. `-N` is N
/// records before the end of each partition (as kcat's `-o -N`).
public enum StartPositionSyntax {
    /// What a valid position looks like, for error messages.
    public static let expected =
        "earliest, latest, an offset, -N (N before the end), or a time (RFC 3339 or epoch milliseconds)"

    /// Parses a start position; `nil` if `text` is none of the forms.
    public static func parse(_ text: String) -> StartPosition? {
        switch text {
        case "earliest": return .earliest
        case "latest": return .latest
        default: break
        }
        if text.hasPrefix("-") {
            let rest = text.dropFirst()
            guard !rest.isEmpty, rest.count <= 18, rest.allSatisfy({ $0.isASCII && $0.isNumber }),
                let count = Int64(rest)
            else { return nil }
            return .fromEnd(count)
        }
        if text.hasPrefix("@") {
            let rest = String(text.dropFirst())
            guard !rest.isEmpty, rest.allSatisfy({ $0.isASCII && $0.isNumber }), let milliseconds = Int64(rest)
            else { return nil }
            return .timestamp(milliseconds)
        }
        if !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) {
            guard let number = Int64(text) else { return nil }
            return text.count >= 13 ? .timestamp(number) : .offset(number)
        }
        return TimeSyntax.parseRFC3339(text).map { .timestamp($0) }
    }
}
