import DequeModule
import LogStore

/// Message ids seen by one partition within the duplicate window, with the offset each got.
///
/// Ids are bytes and compare byte for byte (`80 01` and `FE 01` are different ids). The times are
/// the broker's clock when the id was remembered, never a producer's timestamp.
///
/// Owned by the partition's event loop. Bounded by bytes: at most `capacityBytes`, counting each
/// id's length plus ``overheadBytesPerID``; when full, the oldest ids are forgotten early (the
/// window shrinks under pressure rather than memory growing). Expired ids are dropped on every
/// lookup and insert and by ``expire(now:)``, which the partition also calls on a timer so that an
/// idle partition lets go of its ids.
struct MessageIDCache: Sendable {
    /// Memory accounted per id on top of its bytes: the dictionary slot, the queue slot and the
    /// array header.
    static let overheadBytesPerID = 96

    let windowMilliseconds: Int64
    let capacityBytes: Int
    private var offsets: [[UInt8]: Int64] = [:]
    private var order: Deque<(id: [UInt8], seenAt: Int64)> = []
    private(set) var bytes = 0

    init(windowMilliseconds: Int64, capacityBytes: Int) {
        self.windowMilliseconds = windowMilliseconds
        self.capacityBytes = capacityBytes
    }

    /// How many ids are remembered.
    var count: Int { offsets.count }

    /// The offset of an earlier record with this id, if it is within the window.
    mutating func offset(of id: [UInt8], now: Int64) -> Int64? {
        expire(now: now)
        return offsets[id]
    }

    /// The offset remembered for `id`, without expiring anything (call ``expire(now:)`` first).
    func lookup(_ id: [UInt8]) -> Int64? { offsets[id] }

    /// Remembers that `id` was appended at `offset`, seen at `now` (the broker's clock).
    mutating func insert(_ id: [UInt8], offset: Int64, now: Int64) {
        expire(now: now)
        guard offsets[id] == nil else { return }
        offsets[id] = offset
        order.append((id, now))
        bytes += id.count + Self.overheadBytesPerID
        while bytes > capacityBytes, let oldest = order.popFirst() { forget(oldest.id) }
    }

    /// Forgets the ids seen more than the window before `now`.
    mutating func expire(now: Int64) {
        while let oldest = order.first, now.saturatingSubtract(oldest.seenAt) > windowMilliseconds {
            order.removeFirst()
            forget(oldest.id)
        }
    }

    private mutating func forget(_ id: [UInt8]) {
        offsets[id] = nil
        bytes -= id.count + Self.overheadBytesPerID
    }
}
