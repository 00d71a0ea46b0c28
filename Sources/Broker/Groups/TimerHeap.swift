/// A binary min-heap of `(due, offset)` timers (ack deadlines or backoff ends) ordered by due
/// time, then offset, so that equal times pop in a reproducible order.
///
/// Entries are never removed from the middle: the dispatcher checks an entry against the message's
/// current state when it pops it (a stale entry is skipped) and rebuilds the heap when stale
/// entries outnumber live ones, so its size stays proportional to the live timers.
struct TimerHeap: Sendable, Hashable {
    /// One timer.
    struct Entry: Sendable, Hashable {
        var due: Int64
        var offset: Int64

        static func < (left: Entry, right: Entry) -> Bool {
            (left.due, left.offset) < (right.due, right.offset)
        }
    }

    private(set) var entries: [Entry] = []

    /// The number of entries, stale ones included.
    var count: Int { entries.count }

    /// The earliest entry.
    var first: Entry? { entries.first }

    /// Adds a timer.
    /// - Complexity: O(log n).
    mutating func insert(due: Int64, offset: Int64) {
        entries.append(Entry(due: due, offset: offset))
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child] < entries[parent] else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest timer.
    /// - Complexity: O(log n).
    mutating func removeFirst() -> Entry? {
        guard !entries.isEmpty else { return nil }
        entries.swapAt(0, entries.count - 1)
        let first = entries.removeLast()
        siftDown(from: 0)
        return first
    }

    /// Removes the entries for which `isStale` is true.
    /// - Complexity: O(n).
    mutating func removeAll(where isStale: (Entry) -> Bool) {
        entries.removeAll(where: isStale)
        var index = entries.count / 2
        while index > 0 {
            index -= 1
            siftDown(from: index)
        }
    }

    private mutating func siftDown(from start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < entries.count, entries[left] < entries[smallest] { smallest = left }
            if right < entries.count, entries[right] < entries[smallest] { smallest = right }
            guard smallest != parent else { return }
            entries.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
