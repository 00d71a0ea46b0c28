import NIOCore

extension GroupRuntime {
    /// Raises the read limit of the dead-letter partition `key` to `limit`, adding it as a source
    /// starting at `start` if the group does not read it yet (docs/GROUPS.md, "Redrive").
    ///
    /// Writes the change to the group state log (`reset` to `start` first for a new source, then
    /// `redriven`) and returns the log offset to wait for.
    /// - Throws: What the state log's append throws.
    func redrive(_ key: SlotKey, partition: Partition, start: Int64, upTo limit: Int64) throws -> Int64 {
        loop.preconditionInEventLoop()
        let id = GroupPartitionID(group: name, topic: key.topic, partition: key.partition)
        let offset: Int64
        if slots[key] != nil {
            // Earlier events of the slot go first, so the log keeps the dispatcher's order.
            persist(key)
            offset = try store.append(events: [.redriven(upTo: limit)], for: id)
            slots[key]!.readLimit = max(slots[key]!.readLimit ?? limit, limit)
            slots[key]!.isWaitingForData = false
            slots[key]!.emptyReads = 0
        } else {
            offset = try store.append(events: [.reset(committedOffset: start), .redriven(upTo: limit)], for: id)
            addSlots([(key, partition, store.state(of: id) ?? PersistedPartitionState(committedOffset: start))])
        }
        scheduleRound()
        return offset
    }
}
