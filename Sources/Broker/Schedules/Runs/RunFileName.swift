/// Run file names: the run's number in 20 decimal digits (zero-padded, so that names sort by
/// number), a dot and the kind, `due` or `ids`: `00000000000000000042.due`.
enum RunFileName {
    /// The digits of a run number.
    static let digits = 20

    /// The name of run `number` of kind `suffix`.
    static func make(number: UInt64, suffix: String) -> String {
        let text = String(number)
        return String(repeating: "0", count: digits - text.count) + text + "." + suffix
    }

    /// The number and kind in `name`, or `nil` if it is not a run file name.
    static func parse(_ name: String) -> (number: UInt64, suffix: String)? {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].utf8.count == digits, parts[0].utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
            parts[1] == "due" || parts[1] == "ids", let number = UInt64(parts[0])
        else { return nil }
        return (number, String(parts[1]))
    }
}
