/// The state of a schedule in the id index.
enum ScheduleIDState: UInt8, Sendable {
    /// Waiting for its due time.
    case pending = 0
    /// Cancelled before it fired.
    case cancelled = 1
    /// Fired: its message was appended to its partition.
    case fired = 2
    /// Replaced by a newer schedule with the same id.
    case superseded = 3
}

/// Orders id entries: by id hash, then seq.
struct IDKey: Hashable, Comparable, Sendable {
    /// The hash of the schedule's (topic, id).
    var idHash: UInt64
    /// The schedule log offset of the schedule's `scheduled` record.
    var seq: Int64

    static func < (lhs: IDKey, rhs: IDKey) -> Bool {
        lhs.idHash != rhs.idHash ? lhs.idHash < rhs.idHash : lhs.seq < rhs.seq
    }
}

/// One entry of an id run (32 bytes on disk): the state of schedule `seq` whose (topic, id) hashes to `idHash`.
///
/// On disk, big-endian:
/// ```
/// offset size field
///      0    8 idHash     uint64
///      8    8 seq        int64
///     16    8 due        int64, epoch ms
///     24    1 state      ScheduleIDState (0-3)
///     25    7 changedAt  56-bit two's complement, epoch ms
/// ```
struct IDEntry: Hashable, Sendable {
    /// The hash of the schedule's (topic, id).
    var idHash: UInt64
    /// The schedule log offset of the schedule's `scheduled` record.
    var seq: Int64
    /// When the schedule is (or was) due, in milliseconds since the epoch.
    var due: Int64
    /// The schedule's state.
    var state: ScheduleIDState
    /// When the state changed, in milliseconds since the epoch (fits in 56 bits: see ``changedAtRange``).
    var changedAt: Int64

    /// The `changedAt` values an entry can hold on disk: 56-bit two's complement.
    static let changedAtRange: ClosedRange<Int64> = -(1 << 55)...((1 << 55) - 1)

    /// The entry's sort key.
    var key: IDKey { IDKey(idHash: idHash, seq: seq) }
}
