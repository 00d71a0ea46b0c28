/// A cursor over entries sorted by key, read once.
protocol SortedCursor {
    associatedtype Entry
    /// The next entry, or `nil` after the last.
    mutating func next() throws -> Entry?
}

extension DueRunCursor: SortedCursor {}
extension IDRunCursor: SortedCursor {}

/// A k-way merge of sorted cursors given oldest first: for each key, in key order, the entry of the
/// newest cursor holding it (the run merges, and the scheduler's scan of its runs and memtables).
/// Holds one entry per cursor.
struct NewestWinsMerge<Cursor: SortedCursor, Key: Comparable> {
    private var cursors: [Cursor]
    private var heads: [Cursor.Entry?] = []
    private let key: (Cursor.Entry) -> Key

    init(_ cursors: [Cursor], key: @escaping (Cursor.Entry) -> Key) {
        self.cursors = cursors
        self.key = key
    }

    /// The smallest remaining key's newest entry, and how many cursors held that key (all of them
    /// move past it); `nil` at the end.
    /// - Throws: what a cursor throws (a damaged block).
    mutating func next() throws -> (entry: Cursor.Entry, holders: Int)? {
        if heads.isEmpty && !cursors.isEmpty {
            heads.reserveCapacity(cursors.count)
            for index in cursors.indices { heads.append(try cursors[index].next()) }
        }
        var smallest: Key?
        var newest = -1
        for (index, head) in heads.enumerated() {
            guard let head else { continue }
            let headKey = key(head)
            if smallest == nil || headKey <= smallest! {
                smallest = headKey
                newest = index
            }
        }
        guard let smallest else { return nil }
        let winner = heads[newest]!
        var holders = 0
        for index in heads.indices {
            guard let head = heads[index], key(head) == smallest else { continue }
            holders += 1
            heads[index] = try cursors[index].next()
        }
        return (winner, holders)
    }
}
