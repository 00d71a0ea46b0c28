/// What a `cancelSchedule` did with one id, on the wire (`int8`).
public enum CancelOutcome: Int8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The schedule was pending and is cancelled: its message will never be delivered.
    case cancelled = 0
    /// The schedule fired already: its message was appended to its partition, once.
    case alreadyDelivered = 1
    /// No pending or fired schedule has this id (never scheduled, cancelled already, or fired
    /// longer ago than the broker remembers).
    case unknown = 2

    /// The outcome as `brokerctl schedules cancel` prints it: `cancelled`, `already delivered`,
    /// `unknown`.
    public var description: String {
        switch self {
        case .cancelled: "cancelled"
        case .alreadyDelivered: "already delivered"
        case .unknown: "unknown"
        }
    }
}
