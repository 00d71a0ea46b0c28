extension Int64 {
    /// `self - other`, or `Int64.max` / `Int64.min` where the difference does not fit.
    ///
    /// Timestamps come from disk and from producers and may be anywhere in `Int64` (written by an
    /// older version, or damaged); an elapsed time computed from them must never trap.
    public func saturatingSubtract(_ other: Int64) -> Int64 {
        let (difference, overflow) = subtractingReportingOverflow(other)
        guard overflow else { return difference }
        return other < 0 ? .max : .min
    }

    /// `self + other`, or `Int64.max` / `Int64.min` where the sum does not fit.
    public func saturatingAdd(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other < 0 ? .min : .max
    }
}
