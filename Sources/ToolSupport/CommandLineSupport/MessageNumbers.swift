/// Which input messages (numbered from 1: the line of standard input, or the VALUE argument)
/// were acknowledged, for `producer`'s closing error line. Kept as ranges, so an endless run
/// does not grow it.
struct MessageNumbers: Sendable {
    /// The most ranges written out before "…".
    static let maxRangesShown = 8

    /// Acknowledged numbers as closed ranges, in increasing order.
    private(set) var acknowledged: [ClosedRange<Int>] = []
    /// The highest number handed to the client library.
    var lastSent = 0

    /// Notes that message `number` was acknowledged (numbers arrive in increasing order).
    mutating func acknowledge(_ number: Int) {
        if let last = acknowledged.last, last.upperBound + 1 == number {
            acknowledged[acknowledged.count - 1] = last.lowerBound...number
        } else {
            acknowledged.append(number...number)
        }
    }

    /// The numbers up to ``lastSent`` that were not acknowledged, as ranges.
    var missing: [ClosedRange<Int>] {
        var ranges: [ClosedRange<Int>] = []
        var next = 1
        for range in acknowledged {
            if range.lowerBound > next { ranges.append(next...(range.lowerBound - 1)) }
            next = range.upperBound + 1
        }
        if next <= lastSent { ranges.append(next...lastSent) }
        return ranges
    }

    /// `1-4, 7, 9-12`, at most ``maxRangesShown`` ranges.
    static func text(_ ranges: [ClosedRange<Int>]) -> String {
        var parts = ranges.prefix(maxRangesShown).map {
            $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)"
        }
        if ranges.count > maxRangesShown { parts.append("…") }
        return parts.joined(separator: ", ")
    }

    /// What was and was not acknowledged, for the end of an error line: empty if nothing was sent.
    var summary: String {
        guard lastSent > 0 else { return "" }
        var parts: [String] = []
        let count = acknowledged.reduce(0) { $0 + $1.count }
        if count == 0 {
            parts.append("no message was acknowledged")
        } else {
            parts.append("acknowledged and printed: message\(count == 1 ? "" : "s") \(Self.text(acknowledged))")
        }
        let missing = self.missing
        if missing.isEmpty {
            parts.append("nothing after message \(lastSent) was sent")
        } else {
            parts.append("not acknowledged: \(Self.text(missing))")
        }
        return " (" + parts.joined(separator: "; ") + ")"
    }
}
