import BrokerProtocol

/// When a scheduled message is due: at a time, or after a delay from when the broker takes it.
public enum DeliveryTime: Hashable, Sendable, CustomStringConvertible {
    /// At this time, in milliseconds since the Unix epoch (on the broker's clock).
    case at(epochMilliseconds: Int64)
    /// This long after the broker takes the request (whole milliseconds; less is rounded down).
    case after(Duration)

    /// The wire form; throws `invalidArgument` for a negative time or delay.
    func wireTime() throws -> ScheduleRequest.Time {
        switch self {
        case .at(let milliseconds):
            guard milliseconds >= 0 else {
                throw ClientError(.invalidArgument, "a delivery time of \(milliseconds) ms is before the epoch")
            }
            return .at(epochMilliseconds: milliseconds)
        case .after(let delay):
            guard delay >= .zero else { throw ClientError(.invalidArgument, "a delay of \(delay) is negative") }
            return .after(milliseconds: Admin.milliseconds(delay))
        }
    }

    public var description: String {
        switch self {
        case .at(let milliseconds): "at \(milliseconds) ms since the epoch"
        case .after(let delay): "after \(delay)"
        }
    }
}
