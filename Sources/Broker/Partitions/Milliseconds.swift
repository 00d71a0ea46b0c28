/// Time arithmetic that cannot trap: timestamps come from producers and disks, and any of them
/// may be near either end of `Int64`.
enum Milliseconds {
    /// `to - from`, saturated to `Int64.min ... Int64.max` instead of overflowing.
    static func elapsed(from: Int64, to: Int64) -> Int64 {
        let (difference, overflow) = to.subtractingReportingOverflow(from)
        guard overflow else { return difference }
        return to < from ? .min : .max
    }

    /// `time + amount`, saturated instead of overflowing.
    static func adding(_ amount: Int64, to time: Int64) -> Int64 {
        let (sum, overflow) = time.addingReportingOverflow(amount)
        guard overflow else { return sum }
        return amount < 0 ? .min : .max
    }
}
