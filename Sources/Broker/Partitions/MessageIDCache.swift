import DequeModule

/// Message ids seen by one partition within the duplicate window, with the offset each got.
///
/// Owned by the partition's event loop. Bounded: at most `capacity` ids; when full, the oldest id
/// is forgotten early (the window shrinks under pressure rather than memory growing).
struct MessageIDCache: Sendable {
    let windowMilliseconds: Int64
    let capacity: Int
    private var offsets: [String: Int64] = [:]
    private var order: Deque<(id: String, seenAt: Int64)> = []

    init(windowMilliseconds: Int64, capacity: Int) {
        self.windowMilliseconds = windowMilliseconds
        self.capacity = capacity
    }

    var count: Int { offsets.count }

    /// The offset of an earlier record with this id, if it is within the window.
    mutating func offset(of id: String, now: Int64) -> Int64? {
        expire(now: now)
        return offsets[id]
    }

    /// Remembers that `id` was appended at `offset`.
    mutating func insert(_ id: String, offset: Int64, now: Int64) {
        guard offsets[id] == nil else { return }
        offsets[id] = offset
        order.append((id, now))
        while order.count > capacity, let oldest = order.popFirst() { offsets[oldest.id] = nil }
    }

    private mutating func expire(now: Int64) {
        while let oldest = order.first, now - oldest.seenAt > windowMilliseconds {
            order.removeFirst()
            offsets[oldest.id] = nil
        }
    }
}
