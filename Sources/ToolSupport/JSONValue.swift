/// A JSON value written on one line, for the tools' `--json` output (no Foundation).
public indirect enum JSONValue: Sendable, Equatable {
    /// A string, escaped as RFC 8259 says.
    case string(String)
    /// A whole number.
    case integer(Int64)
    /// `true` or `false`.
    case bool(Bool)
    /// `null`.
    case null
    /// An array.
    case array([JSONValue])
    /// Fields in the order given.
    case object([(String, JSONValue)])

    /// An integer, or `null` for `nil`.
    public static func integer(_ value: Int64?) -> JSONValue { value.map { .integer($0) } ?? .null }

    /// The value as compact JSON text.
    public var text: String {
        var text = ""
        write(to: &text)
        return text
    }

    private func write(to text: inout String) {
        switch self {
        case .string(let value): JSONText.appendString(value, to: &text)
        case .integer(let value): text += "\(value)"
        case .bool(let value): text += value ? "true" : "false"
        case .null: text += "null"
        case .array(let values):
            text += "["
            for (index, value) in values.enumerated() {
                if index > 0 { text += "," }
                value.write(to: &text)
            }
            text += "]"
        case .object(let fields):
            text += "{"
            for (index, (name, value)) in fields.enumerated() {
                if index > 0 { text += "," }
                JSONText.appendString(name, to: &text)
                text += ":"
                value.write(to: &text)
            }
            text += "}"
        }
    }

    /// Equal when the texts are equal.
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool { lhs.text == rhs.text }
}
