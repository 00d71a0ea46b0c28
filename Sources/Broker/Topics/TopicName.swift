import BrokerProtocol

/// Topic name rules: 1-249 characters of `[A-Za-z0-9._-]`, not `.` or `..` (so a name is always a
/// single, harmless path component under the data directory), and names starting with `__` are
/// reserved for the broker's internal topics. Names starting with `.deleted-` or `.creating-` are
/// the broker's own directories (``TopicDirectory``) and never topics.
public enum TopicName {
    /// The longest allowed name (Kafka's limit).
    public static let maximumLength = 249

    /// Checks `name` for a topic a client may create or use.
    /// - Throws: ``BrokerError`` with `invalidTopicName` or `reservedTopicName`.
    public static func validate(_ name: String, allowInternal: Bool = false) throws {
        let utf8 = name.utf8
        guard !utf8.isEmpty, utf8.count <= maximumLength else {
            throw BrokerError(.invalidTopicName, "topic name must be 1-\(maximumLength) characters, got \(utf8.count)")
        }
        guard name != ".", name != ".." else {
            throw BrokerError(.invalidTopicName, "topic name cannot be '\(name)'")
        }
        for byte in utf8 where !isAllowed(byte) {
            throw BrokerError(
                .invalidTopicName,
                "topic name '\(name)' has a character outside [A-Za-z0-9._-]"
            )
        }
        if TopicDirectory.isLeftover(name) {
            throw BrokerError(
                .reservedTopicName,
                "topic names starting with '\(TopicDirectory.deletedPrefix)' or '\(TopicDirectory.creatingPrefix)' "
                    + "are reserved for the broker's own directories"
            )
        }
        if !allowInternal && name.hasPrefix("__") {
            throw BrokerError(.reservedTopicName, "topic names starting with '__' are reserved for the broker")
        }
    }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }
}
