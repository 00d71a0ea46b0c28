/// Where a ``Consumer`` starts reading each partition.
public enum StartPosition: Hashable, Sendable {
    /// The first record still kept.
    case earliest
    /// After the last record: only new records.
    case latest
    /// This offset.
    case offset(Int64)
    /// This many records before the log end of each partition (from the first record still kept
    /// if there are fewer): `fromEnd(5)` reads the last five records and then new ones.
    case fromEnd(Int64)
    /// The first record with a timestamp at or after this one (epoch milliseconds); the log end
    /// if there is none.
    case timestamp(Int64)
}
