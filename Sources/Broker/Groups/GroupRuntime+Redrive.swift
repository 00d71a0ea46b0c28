import NIOCore

extension GroupRuntime {
    /// Records a redrive of the dead-letter partition `key` (`events`: a `redriven` event, after
    /// a `reset` to where the group starts reading it if it is a new source) and reads the
    /// partition up to the new limit (docs/GROUPS.md, "Redrive").
    /// - Returns: The group state log offset to wait for.
    /// - Throws: What the state log's append throws.
    func redrive(_ key: SlotKey, partition: Partition, events: [GroupStateEvent]) throws -> Int64 {
        loop.preconditionInEventLoop()
        let id = GroupPartitionID(group: name, topic: key.topic, partition: key.partition)
        // Earlier events of the slot go first, so the log keeps the dispatcher's order (if they
        // cannot be written, neither can the redrive).
        if slots[key] != nil { _ = try persistThrowing(key) }
        let offset = try store.append(events: events, for: id)
        let state = store.state(of: id)
        if slots[key] == nil {
            addSlots([(key, partition, state ?? PersistedPartitionState(committedOffset: 0))])
        } else {
            slots[key]!.readLimit = state?.readLimit
            slots[key]!.isWaitingForData = false
            slots[key]!.emptyReads = 0
            scheduleRound()
        }
        return offset
    }
}
