import BrokerClient

/// Durations as the tools write them: a whole number and a unit, `500ms`, `30s`, `5m`, `2h`, `7d`.
public enum DurationSyntax {
    /// What a valid duration looks like, for error messages.
    public static let expected = "a number and a unit: 500ms, 30s, 5m, 2h or 7d"

    /// Parses a duration; `nil` if `text` is not one.
    public static func parse(_ text: String) -> Duration? {
        let digits = text.prefix(while: { $0.isASCII && $0.isNumber })
        let unit = text.dropFirst(digits.count)
        guard !digits.isEmpty, digits.count <= 15, let amount = Int64(digits) else { return nil }
        let millisecondsPerUnit: Int64
        switch unit {
        case "ms": millisecondsPerUnit = 1
        case "s": millisecondsPerUnit = 1000
        case "m": millisecondsPerUnit = 60_000
        case "h": millisecondsPerUnit = 3_600_000
        case "d": millisecondsPerUnit = 86_400_000
        default: return nil
        }
        // Refused rather than trapping: the tools send durations as Int64 milliseconds.
        let (milliseconds, overflow) = amount.multipliedReportingOverflow(by: millisecondsPerUnit)
        return overflow ? nil : .milliseconds(milliseconds)
    }

    /// Writes a duration the way ``parse(_:)`` reads it, in the largest exact unit.
    public static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        for (unit, size) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60_000), ("s", 1000)]
        where milliseconds != 0 && milliseconds % size == 0 {
            return "\(milliseconds / size)\(unit)"
        }
        return "\(milliseconds)ms"
    }
}
