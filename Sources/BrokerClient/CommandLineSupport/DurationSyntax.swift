/// Durations as the tools write them: a whole number and a unit, `500ms`, `30s`, `5m`, `2h`, `7d`.
public enum DurationSyntax {
    /// What a valid duration looks like, for error messages.
    public static let expected = "a number and a unit: 500ms, 30s, 5m, 2h or 7d"

    /// Parses a duration; `nil` if `text` is not one.
    public static func parse(_ text: String) -> Duration? {
        let digits = text.prefix(while: { $0.isASCII && $0.isNumber })
        let unit = text.dropFirst(digits.count)
        guard !digits.isEmpty, digits.count <= 15, let amount = Int64(digits) else { return nil }
        switch unit {
        case "ms": return .milliseconds(amount)
        case "s": return .seconds(amount)
        case "m": return .seconds(amount * 60)
        case "h": return .seconds(amount * 3600)
        case "d": return .seconds(amount * 86400)
        default: return nil
        }
    }

    /// Writes a duration the way ``parse(_:)`` reads it, in the largest exact unit.
    public static func format(_ duration: Duration) -> String {
        let milliseconds = Admin.milliseconds(duration)
        for (unit, size) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60_000), ("s", 1000)]
        where milliseconds != 0 && milliseconds % size == 0 {
            return "\(milliseconds / size)\(unit)"
        }
        return "\(milliseconds)ms"
    }
}
