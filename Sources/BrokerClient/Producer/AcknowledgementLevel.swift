import BrokerProtocol

/// How far a produced batch must get before the broker answers.
public enum AcknowledgementLevel: String, Hashable, Sendable, CaseIterable {
    /// No answer at all: fire and forget. Offsets are not known.
    case none
    /// Answered once appended to the log (in the OS page cache).
    case written
    /// Answered once fsynced. The default.
    case durable

    var wireValue: Acks {
        switch self {
        case .none: .none
        case .written: .written
        case .durable: .durable
        }
    }
}
