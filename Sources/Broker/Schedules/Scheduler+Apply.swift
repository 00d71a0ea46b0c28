import LogStore

extension Scheduler {
    /// What applying a record changed that the window must hear about (live path only).
    struct Applied {
        /// A new pending entry.
        var added: DueEntry?
        /// Entries that became dead while pending (cancelled, replaced); fired ones are not listed.
        var killed: [DueKey] = []
    }

    /// Applies one record of the schedule log at `offset` to the index and the counters: the same
    /// code for a change just written and for one replayed at start-up, so both give one state.
    @discardableResult
    func apply(_ record: ScheduleRecord, at offset: Int64, now: Int64) -> Applied {
        var applied = Applied()
        switch record {
        case .scheduled(let scheduled):
            let hash = scheduled.idHash
            let tag = ScheduleIDHash.tag(topic: scheduled.topic)
            let key = DueKey(due: scheduled.due, seq: offset)
            let entry = DueEntry(due: key.due, seq: key.seq, idHash: hash, topicTag: tag, isTombstone: false)
            index.active.insert(entry)
            index.active.set(IDEntry(idHash: hash, seq: offset, due: key.due, state: .pending, changedAt: now))
            adjustLive(seq: offset, by: 1)
            if let replaced = scheduled.replaced {
                index.active.kill(replaced, idHash: hash, topicTag: tag)
                index.active.set(
                    IDEntry(idHash: hash, seq: replaced.seq, due: replaced.due, state: .superseded, changedAt: now)
                )
                adjustLive(seq: replaced.seq, by: -1)
                applied.killed.append(replaced)
            } else {
                adjustPending(scheduled.topic, by: 1)
            }
            applied.added = entry
        case .cancelled(let cancelled):
            let tag = ScheduleIDHash.tag(topic: cancelled.topic)
            index.active.kill(cancelled.key, idHash: cancelled.idHash, topicTag: tag)
            index.active.set(
                IDEntry(
                    idHash: cancelled.idHash,
                    seq: cancelled.key.seq,
                    due: cancelled.key.due,
                    state: .cancelled,
                    changedAt: now
                )
            )
            adjustLive(seq: cancelled.key.seq, by: -1)
            adjustPending(cancelled.topic, by: -1)
            applied.killed.append(cancelled.key)
        case .firing:
            break
        case .fired(let fired):
            let tag = ScheduleIDHash.tag(topic: fired.topic)
            for entry in fired.entries {
                index.active.kill(entry.key, idHash: entry.idHash, topicTag: tag)
                index.active.set(
                    IDEntry(
                        idHash: entry.idHash,
                        seq: entry.key.seq,
                        due: entry.key.due,
                        state: entry.offset >= 0 ? .fired : .cancelled,
                        changedAt: now
                    )
                )
                adjustLive(seq: entry.key.seq, by: -1)
            }
            adjustPending(fired.topic, by: -Int64(fired.entries.count))
        }
        return applied
    }

    private func adjustPending(_ topic: String, by delta: Int64) {
        let count = (pendingByTopic[topic] ?? 0) + delta
        pendingByTopic[topic] = count > 0 ? count : nil
        pendingTotal += delta
    }

    private func adjustLive(seq: Int64, by delta: Int64) {
        // A segment already deleted had nothing pending when it went; a start-up may replay the
        // end of a schedule whose manifest count is older than the deletion.
        guard seq >= log.logStartOffset else { return }
        let base = segmentBase(of: seq)
        let count = (liveBySegment[base] ?? 0) + delta
        liveBySegment[base] = count > 0 ? count : nil
    }

    /// The base offset of the schedule log segment holding `seq`.
    func segmentBase(of seq: Int64) -> Int64 {
        if segmentBases.count != log.segmentCount || segmentBases.first != log.logStartOffset {
            segmentBases = log.segmentBaseOffsets
        }
        let bases = segmentBases
        var low = 0
        var high = bases.count - 1
        var found = bases.first ?? 0
        while low <= high {
            let middle = (low + high) / 2
            if bases[middle] <= seq {
                found = bases[middle]
                low = middle + 1
            } else {
                high = middle - 1
            }
        }
        return found
    }
}
