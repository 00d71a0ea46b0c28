/// The scheduler's changes since its last flush: due entries (and tombstones) by key, and id
/// entries by id hash. A flush writes it out as one due run and one id run (docs/SCHEDULES.md).
///
/// Every due key is in exactly one place: the memtable that took its `scheduled` record, or the
/// run that memtable became. So a tombstone for a key still in the same memtable just removes the
/// entry, and a tombstone in a newer place always means "dead" for the key in an older one.
struct ScheduleMemtable {
    private(set) var due: [DueKey: DueEntry] = [:]
    /// Id entries by hash: most hashes have one, kept inline; the others go to ``moreIDs``.
    private(set) var ids: [UInt64: IDEntry] = [:]
    /// The further entries of hashes with more than one (several schedules of one id, or a collision).
    private(set) var moreIDs: [UInt64: [IDEntry]] = [:]
    private(set) var idEntryCount = 0

    /// Entries held (due entries, tombstones and id entries): what the flush threshold counts.
    var count: Int { due.count + idEntryCount }
    var isEmpty: Bool { count == 0 }

    /// Adds a pending schedule's due entry.
    mutating func insert(_ entry: DueEntry) {
        due[entry.key] = entry
    }

    /// Marks `key` dead: removes its entry if this memtable holds it, else keeps a tombstone for
    /// the older run that does.
    mutating func kill(_ key: DueKey, idHash: UInt64, topicTag: UInt32) {
        if let existing = due[key], !existing.isTombstone {
            due[key] = nil
        } else {
            due[key] = DueEntry(due: key.due, seq: key.seq, idHash: idHash, topicTag: topicTag, isTombstone: true)
        }
    }

    /// Records the state of schedule `entry.seq` (replacing an earlier state of the same seq).
    mutating func set(_ entry: IDEntry) {
        guard let first = ids[entry.idHash] else {
            ids[entry.idHash] = entry
            idEntryCount += 1
            return
        }
        if first.seq == entry.seq {
            ids[entry.idHash] = entry
        } else if let index = moreIDs[entry.idHash]?.firstIndex(where: { $0.seq == entry.seq }) {
            moreIDs[entry.idHash]![index] = entry
        } else {
            moreIDs[entry.idHash, default: []].append(entry)
            idEntryCount += 1
        }
    }

    /// The states recorded here for `hash`.
    func idEntries(forHash hash: UInt64) -> [IDEntry] {
        guard let first = ids[hash] else { return [] }
        return [first] + (moreIDs[hash] ?? [])
    }

    /// Whether this memtable says `key` is dead (a tombstone).
    func isTombstoned(_ key: DueKey) -> Bool { due[key]?.isTombstone ?? false }

    /// The due entries and tombstones with keys in `range`, in key order.
    func dueEntries(in range: Range<DueKey>) -> [DueEntry] {
        due.values.filter { range.contains($0.key) }.sorted { $0.key < $1.key }
    }

    /// The due entries for a flush: sorted, without anything below `watermark` (fired or dead).
    func sortedDueEntries(droppingBelow watermark: DueKey) -> [DueEntry] {
        due.values.filter { $0.key >= watermark }.sorted { $0.key < $1.key }
    }

    /// The id entries for a flush, sorted by (hash, seq).
    func sortedIDEntries() -> [IDEntry] {
        var entries: [IDEntry] = []
        entries.reserveCapacity(idEntryCount)
        entries.append(contentsOf: ids.values)
        for list in moreIDs.values { entries.append(contentsOf: list) }
        entries.sort { ($0.idHash, $0.seq) < ($1.idHash, $1.seq) }
        return entries
    }
}
