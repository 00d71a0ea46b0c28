/// Orders due entries: by due time, then seq (the schedule log offset of the `scheduled` record).
struct DueKey: Hashable, Comparable, Sendable {
    /// When the schedule is due, in milliseconds since the epoch.
    var due: Int64
    /// The schedule log offset of the schedule's `scheduled` record.
    var seq: Int64

    /// The smallest key: every key is at or above it.
    static let minimum = DueKey(due: .min, seq: .min)

    static func < (lhs: DueKey, rhs: DueKey) -> Bool {
        lhs.due != rhs.due ? lhs.due < rhs.due : lhs.seq < rhs.seq
    }
}

/// One entry of a due run (32 bytes on disk): a pending schedule, or a tombstone that cancels the
/// entry with the same key in an older run.
///
/// On disk, big-endian:
/// ```
/// offset size field
///      0    8 due       int64, epoch ms
///      8    8 seq       int64
///     16    8 idHash    uint64
///     24    4 topicTag  uint32
///     28    1 flags     bit 0: tombstone; the other bits are 0
///     29    3 reserved  0
/// ```
struct DueEntry: Hashable, Sendable {
    /// When the schedule is due, in milliseconds since the epoch.
    var due: Int64
    /// The schedule log offset of the schedule's `scheduled` record.
    var seq: Int64
    /// The hash of the schedule's (topic, id).
    var idHash: UInt64
    /// The caller's tag for the schedule's topic.
    var topicTag: UInt32
    /// Whether this entry cancels the entry with the same key in an older run.
    var isTombstone: Bool

    /// The entry's sort key.
    var key: DueKey { DueKey(due: due, seq: seq) }
}
