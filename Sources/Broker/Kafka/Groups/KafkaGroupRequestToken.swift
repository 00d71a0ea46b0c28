/// An opaque name, chosen by the caller, for one JoinGroup or SyncGroup request whose answer may come later.
///
/// The coordinator returns each answer as a `KafkaClassicGroupOutput` carrying the token of the request it answers;
/// the listener maps the token back to its connection and correlation id. Every token given to `join` or `sync`
/// receives exactly one answer (immediately, later, or when the group shuts down).
public struct KafkaGroupRequestToken: Hashable, Sendable, CustomStringConvertible {
    /// The caller's value (for example a connection number and a correlation id packed together).
    public var rawValue: UInt64

    /// A token with the caller's value.
    public init(_ rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// `#rawValue`, for logs.
    public var description: String { "#\(rawValue)" }
}
