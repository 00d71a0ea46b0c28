/// Byte counts as the tools write them: a whole number with an optional unit, `1048576`,
/// `512KiB`, `64MiB`, `1GiB`, `2TiB` (powers of 1024) or `500KB`, `64MB`, `1GB`, `2TB` (powers of
/// 1000). Units are case-insensitive; `B` is bytes.
public enum ByteSizeSyntax {
    /// What a valid size looks like, for error messages.
    public static let expected = "a number of bytes, optionally with a unit: 1048576, 512KiB, 64MiB, 1GiB, 500KB, 1GB"

    private static let units: [String: Int64] = [
        "": 1, "b": 1,
        "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
        "kb": 1000, "mb": 1_000_000, "gb": 1_000_000_000, "tb": 1_000_000_000_000,
    ]

    /// Parses a size in bytes; `nil` if `text` is not one or does not fit in an `Int64`.
    public static func parse(_ text: String) -> Int64? {
        let digits = text.prefix(while: { $0.isASCII && $0.isNumber })
        guard !digits.isEmpty, digits.count <= 18, let amount = Int64(digits),
            let unit = units[text.dropFirst(digits.count).lowercased()]
        else { return nil }
        let (bytes, overflow) = amount.multipliedReportingOverflow(by: unit)
        return overflow ? nil : bytes
    }

    /// Writes a size in the largest binary unit that divides it exactly (`64MiB`), else in bytes.
    public static func format(_ bytes: Int64) -> String {
        for (unit, size) in [("TiB", Int64(1) << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
        where bytes != 0 && bytes % size == 0 {
            return "\(bytes / size)\(unit)"
        }
        return "\(bytes)"
    }
}
