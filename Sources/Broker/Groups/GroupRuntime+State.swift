import BrokerProtocol
import NIOCore

/// Writing the dispatchers' events to the group state log, and keeping those it refuses.
///
/// The dispatcher applies a change (an ack, a failure, a delivery) before its event is written.
/// If the log refuses the append (a full disk, an I/O error), the change stays applied in memory
/// and its events are kept in the slot's `unwritten` list: the slot's next append writes them
/// first, and a timer tries every ``unwrittenRetryInterval`` until one succeeds. Until then the
/// slot hands out no deliveries and writes no dead letters (a dead letter must not be written
/// before the failure marks that decided it). A restart before they are written loses them, and
/// what they recorded comes back (docs/DURABILITY.md, "Consumer-group state").
extension GroupRuntime {
    /// How often the events the log refused are tried again.
    static let unwrittenRetryInterval = TimeAmount.seconds(1)
    /// Writes the events `key`'s dispatcher recorded, after those the log refused earlier; `nil` if
    /// there were none. If the log refuses them, they are kept for the next append.
    func persistThrowing(_ key: SlotKey) throws -> Int64? {
        let events = takeEvents(key)
        guard !events.isEmpty else { return nil }
        do {
            return try store.append(
                events: events,
                for: GroupPartitionID(group: name, topic: key.topic, partition: key.partition)
            )
        } catch {
            keepUnwritten(events, of: key, after: error)
            throw error
        }
    }

    /// Writes the events the dispatchers of `keys` recorded (after those the log refused), in one
    /// append; `nil` if there were none. If the log refuses them, each slot keeps its own.
    func persistThrowing(_ keys: [SlotKey]) throws -> Int64? {
        guard keys.count > 1 else { return try keys.first.flatMap { try persistThrowing($0) } }
        var taken: [(key: SlotKey, events: [GroupStateEvent])] = []
        var records: [GroupStateRecord] = []
        for key in keys {
            let events = takeEvents(key)
            guard !events.isEmpty else { continue }
            taken.append((key, events))
            let id = GroupPartitionID(group: name, topic: key.topic, partition: key.partition)
            for event in events { records.append(.partitionEvent(id, event)) }
        }
        guard !records.isEmpty else { return nil }
        do {
            return try store.append(records)
        } catch {
            for (key, events) in taken { keepUnwritten(events, of: key, after: error) }
            throw error
        }
    }

    /// ``persistThrowing(_:)``, logging a failure (the events are kept and tried again).
    @discardableResult
    func persist(_ key: SlotKey) -> Bool {
        do {
            _ = try persistThrowing(key)
            return true
        } catch {
            logger.error(
                "group state not written",
                metadata: ["group": "\(name)", "partition": "\(key.topic)/\(key.partition)", "error": "\(error)"]
            )
            return false
        }
    }

    /// The slot's unwritten events, then its dispatcher's new ones.
    private func takeEvents(_ key: SlotKey) -> [GroupStateEvent] {
        let new = slots[key]!.dispatch.takeEvents()
        guard !slots[key]!.unwritten.isEmpty else { return new }
        defer { slots[key]!.unwritten = [] }
        return slots[key]!.unwritten + new
    }

    /// Keeps `events`, which the log refused with `error`, for the slot's next append, unless the
    /// log refused them as invalid (no retry can write them; their group is gone).
    private func keepUnwritten(_ events: [GroupStateEvent], of key: SlotKey, after error: any Error) {
        guard BrokerError(error).code != .invalidRequest, slots[key] != nil else { return }
        var kept = events
        if kept.count > maxUnwrittenEvents {
            let dropped = kept.count - maxUnwrittenEvents
            kept.removeFirst(dropped)
            logger.error(
                "unwritten group state dropped (maxUnwrittenGroupEventsPerPartition)",
                metadata: ["group": "\(name)", "partition": "\(key.topic)/\(key.partition)", "events": "\(dropped)"]
            )
        }
        slots[key]!.unwritten = kept
        scheduleUnwrittenRetry()
    }

    /// Tries the unwritten events again after ``unwrittenRetryInterval`` (once, however many ask).
    private func scheduleUnwrittenRetry() {
        guard !unwrittenRetryScheduled, !isClosed else { return }
        unwrittenRetryScheduled = true
        loop.scheduleTask(in: Self.unwrittenRetryInterval) { [weak self] in self?.retryUnwritten() }
    }

    /// Writes the slots' unwritten events; once a slot's are written, its deliveries and dead
    /// letters resume.
    private func retryUnwritten() {
        unwrittenRetryScheduled = false
        guard !isClosed else { return }
        var written = false
        for key in slots.keys where !slots[key]!.unwritten.isEmpty {
            if persist(key) { written = true }
        }
        if written {
            startDeadLetters(retrying: true)
            scheduleRound()
        }
    }
}
