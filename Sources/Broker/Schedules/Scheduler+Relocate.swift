import LogStore
import NIOCore

extension Scheduler {
    /// A pass over the schedule log's first segments that moves their pending schedules to the
    /// log's end, so that the segments can be deleted (docs/SCHEDULES.md, "Relocating long
    /// schedules").
    struct Relocation {
        /// The segments (first offset ..< the next segment's) that hold pending schedules, in
        /// order; the first is the one being read.
        var segments: [Range<Int64>]
        /// The next offset to look at in the first of ``segments``.
        var next: Int64
        /// The flushed offset the pass started from: the segments end below it.
        var flushedOffset: Int64
        /// The last offset written by the pass, if any.
        var lastWritten: Int64 = -1
    }

    /// How much of a segment one turn of the loop reads.
    static let relocationReadBytes = 1 << 20

    /// Starts a relocation when a few pending schedules keep the schedule log's first segments on
    /// disk: of the segments that end at or below `flushedOffset`, the pending schedules are at
    /// most ``ScheduleSettings/relocateLiveRatio`` of the records. Moving them frees all these
    /// segments; segments without pending schedules are not even read.
    func relocateIfWorthIt(flushedOffset: Int64) {
        // Not while schedules fire: what keeps the segments then is mostly about to fire anyway,
        // and the pass would compete with the drain for the loop.
        guard relocation == nil, !isClosed, settings.relocateLiveRatio > 0, !isFiring else { return }
        let bases = log.segmentBaseOffsets
        var pinned: [Range<Int64>] = []
        var records: Int64 = 0
        var live: Int64 = 0
        for position in bases.indices.dropLast() where bases[position + 1] <= flushedOffset {
            let segment = bases[position]..<bases[position + 1]
            records += Int64(segment.count)
            if let count = liveBySegment[segment.lowerBound], count > 0 {
                live += count
                pinned.append(segment)
            }
        }
        guard let first = pinned.first, Double(live) <= settings.relocateLiveRatio * Double(records) else { return }
        logger.debug(
            "relocating the pending schedules of the schedule log's first segments",
            metadata: ["segments": "\(pinned)", "pending": "\(live)", "records": "\(records)"]
        )
        relocation = Relocation(segments: pinned, next: first.lowerBound, flushedOffset: flushedOffset)
        loop.execute { self.relocateStep() }
    }

    /// Moves the pending schedules of the next part of the segments (about 1 MiB): each is written
    /// again at the log's end as a reschedule to the same due time (same id, message and produce
    /// time), which kills the old entry exactly as a client's reschedule does. Fires in progress
    /// are left where they are: they end soon, and with them the segments' last pending entries.
    func relocateStep() {
        guard var pass = relocation else { return }
        guard !isClosed else {
            relocation = nil
            return
        }
        guard !isSettling, !isFiring else {
            // Paused while a start-up settles or schedules fire; the pass resumes after.
            loop.scheduleTask(in: .milliseconds(100)) { self.relocateStep() }
            return
        }
        let now = clock()
        do {
            var moved: [ScheduleRecord.Scheduled] = []
            if let segment = pass.segments.first {
                pass.next = max(pass.next, log.logStartOffset)
                let result =
                    pass.next < segment.upperBound
                    ? try log.read(from: pass.next, maxBytes: Self.relocationReadBytes) : nil
                for batch in result?.batches ?? [] where batch.lastOffset >= pass.next {
                    for record in try batch.records() where segment.contains(record.offset) {
                        // Due below the loaded horizon: fired, dead, or firing within the window
                        // anyway; not worth a lookup, let alone a move.
                        guard record.offset >= pass.next, let value = record.value,
                            case .scheduled(var scheduled) = try ScheduleRecord(decoding: value),
                            DueKey(due: scheduled.due, seq: record.offset) >= loadedKey,
                            try isIdlePending(seq: record.offset, idHash: scheduled.idHash)
                        else { continue }
                        scheduled.replaced = DueKey(due: scheduled.due, seq: record.offset)
                        moved.append(scheduled)
                    }
                    pass.next = batch.lastOffset + 1
                }
                if result?.batches.isEmpty ?? true || pass.next >= segment.upperBound {
                    pass.segments.removeFirst()
                    pass.next = pass.segments.first?.lowerBound ?? pass.next
                }
            }
            // Each batch is applied once written: a later batch's failure leaves these moved.
            var applied = 0
            let base = log.logEndOffset
            try appendScheduled(moved, now: now) { written, lastOffset in
                for number in applied..<written {
                    noteApplied(apply(.scheduled(moved[number]), at: base + Int64(number), now: now))
                }
                statistics.relocated += written - applied
                applied = written
                pass.lastWritten = lastOffset
            }
        } catch {
            logger.error(
                "pending schedules could not be relocated; the schedule log keeps their segments",
                metadata: ["segments": "\(pass.segments)", "error": "\(error)"]
            )
            relocation = nil
            return
        }
        guard pass.segments.isEmpty else {
            relocation = pass
            loop.execute { self.relocateStep() }
            return
        }
        // The moved records must be on disk before the segments that held them go.
        let done: EventLoopFuture<Void> =
            pass.lastWritten >= 0 ? whenDurable(pass.lastWritten) : loop.makeSucceededVoidFuture()
        done.whenComplete { result in
            self.relocation = nil
            guard case .success = result, !self.isClosed else { return }
            self.reclaimLogSegments(below: pass.flushedOffset)
            self.requestFlushIfFull()
            self.pumpSoon()
        }
    }

    /// Schedules are being fired or wait for their partitions.
    private var isFiring: Bool { !busy.isEmpty || queuedCount > 0 }

    /// Whether the schedule whose `scheduled` record is at `seq` is pending and not being fired.
    private func isIdlePending(seq: Int64, idHash: UInt64) throws -> Bool {
        guard firingSeqs[seq] == nil, !queuedSeqs.contains(seq) else { return false }
        return try index.idStates(forHash: idHash).first { $0.seq == seq }?.state == .pending
    }
}
