import HeapModule

/// The next deadline of every group, in a min-heap, so that the earliest one across all groups is found in
/// O(log groups) instead of a scan of every group and member.
///
/// Each group has at most one current entry (`current`); a group whose deadline changes gets a new heap entry and
/// its old one becomes stale, skipped when it reaches the top. Stale entries are bounded: when the heap holds more
/// than twice the current entries (plus a little), it is rebuilt from `current`.
struct KafkaGroupDeadlineIndex: Sendable {
    private struct Entry: Comparable, Sendable {
        var deadline: Int64
        var groupID: String

        static func < (lhs: Entry, rhs: Entry) -> Bool {
            (lhs.deadline, lhs.groupID) < (rhs.deadline, rhs.groupID)
        }
    }

    private var heap = Heap<Entry>()
    private var current: [String: Int64] = [:]

    /// Records `deadline` (nil: none) as the group's next deadline.
    /// - Complexity: O(log groups) amortized.
    mutating func update(_ groupID: String, deadline: Int64?) {
        guard current[groupID] != deadline else { return }
        current[groupID] = deadline
        if let deadline {
            heap.insert(Entry(deadline: deadline, groupID: groupID))
        }
        if heap.count > 2 * current.count + 16 {
            heap = Heap(current.map { Entry(deadline: $0.value, groupID: $0.key) })
        }
    }

    /// The earliest deadline and its group (stale entries on top are dropped on the way).
    /// - Complexity: O(log groups) amortized.
    mutating func earliest() -> (deadline: Int64, groupID: String)? {
        while let top = heap.min {
            if current[top.groupID] == top.deadline { return (top.deadline, top.groupID) }
            heap.removeMin()
        }
        return nil
    }

    /// The number of heap entries, current and stale (for tests of the bound).
    var entryCount: Int { heap.count }
}
