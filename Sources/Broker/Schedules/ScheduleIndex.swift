/// Where the scheduler finds its entries: the active memtable, the memtable being flushed (if
/// any), and the runs on disk, newest last (docs/SCHEDULES.md, "What is in memory").
struct ScheduleIndex {
    var active = ScheduleMemtable()
    /// The memtable whose runs are being written: still consulted until they are installed.
    var flushing: ScheduleMemtable?
    /// Due runs, oldest first.
    var dueRuns: [DueRun] = []
    /// Id runs, oldest first.
    var idRuns: [IDRun] = []

    /// The latest state of every schedule whose id hashes to `hash`, newest seq first: the
    /// memtables' states win over the runs', newer runs' over older ones'.
    func idStates(forHash hash: UInt64) throws -> [IDEntry] {
        var latest: [Int64: IDEntry] = [:]
        func take(_ entries: [IDEntry]) {
            for entry in entries where latest[entry.seq] == nil { latest[entry.seq] = entry }
        }
        take(active.idEntries(forHash: hash))
        if let flushing { take(flushing.idEntries(forHash: hash)) }
        for run in idRuns.reversed() where run.mayContain(hash) {
            take(try run.entries(forHash: hash))
        }
        return latest.values.sorted { $0.seq > $1.seq }
    }

    /// The live due entries from `start` on, in key order (tombstoned keys left out). Entries at
    /// or above `end` may be left out (the memtables' are not sorted beyond it).
    func scan(from start: DueKey, below end: DueKey = DueKey(due: .max, seq: .max)) -> DueScan {
        var sources: [DueScan.Source] = dueRuns.map { .run($0.entries(from: start)) }
        let range = start..<max(start, end)
        if let flushing { sources.append(.memory(flushing.dueEntries(in: range)[...])) }
        sources.append(.memory(active.dueEntries(in: range)[...]))
        return DueScan(sources: sources)
    }
}

/// A k-way merge of due entries from several places, oldest first, yielding each live key once, in
/// key order. A key is live in one place only and a tombstone is only ever newer than the entry it
/// hides, so the newest entry of a key decides: a tombstone means the key is dead.
struct DueScan {
    enum Source: SortedCursor {
        case run(DueRunCursor)
        case memory(ArraySlice<DueEntry>)

        mutating func next() throws -> DueEntry? {
            switch self {
            case .run(var cursor):
                let entry = try cursor.next()
                self = .run(cursor)
                return entry
            case .memory(var slice):
                let entry = slice.popFirst()
                self = .memory(slice)
                return entry
            }
        }
    }

    private var merge: NewestWinsMerge<Source, DueKey>

    init(sources: [Source]) {
        merge = NewestWinsMerge(sources, key: \.key)
    }

    /// Entries looked at, tombstones included (what a listing's work bound counts).
    private(set) var examined = 0

    /// The next live entry, or `nil` at the end.
    /// - Throws: `storageError` if a run's block is damaged.
    mutating func next() throws -> DueEntry? {
        while let (newest, holders) = try merge.next() {
            examined += holders
            if !newest.isTombstone { return newest }
        }
        return nil
    }
}
