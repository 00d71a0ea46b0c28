import LogStore
import NIOCore

extension Scheduler {
    /// A memtable on its way to disk, with what the manifest says about the moment it was taken.
    struct FlushJob: Sendable {
        var memtable: ScheduleMemtable
        var flushedOffset: Int64
        var watermark: DueKey
        var pendingByTopic: [String: Int64]
        var liveBySegment: [Int64: Int64]
        var now: Int64
    }

    /// The runs a background job leaves in use, and the files it made obsolete.
    struct InstalledRuns: @unchecked Sendable {
        var due: [DueRun]
        var ids: [IDRun]
        var obsolete: [String]
        var merges: Int
    }

    /// The directory of the run files.
    var runsDirectory: String { directory + "/runs" }

    /// Asks for a flush once the active memtable holds ``ScheduleSettings/memtableEntries``
    /// (and no flush is under way). It starts once no fire batch is in flight, so that every
    /// `firing` before the flushed offset has its `fired` before it too.
    func requestFlushIfFull() {
        guard !flushRequested, index.flushing == nil, index.active.count >= settings.memtableEntries else { return }
        flushRequested = true
        pumpSoon()
    }

    /// Takes the active memtable for writing; called on the loop with no fire batch in flight.
    func startFlush() {
        flushRequested = false
        guard index.flushing == nil, !index.active.isEmpty else { return }
        let job = FlushJob(
            memtable: index.active,
            flushedOffset: log.logEndOffset,
            watermark: liveFloor(),
            pendingByTopic: pendingByTopic,
            liveBySegment: liveBySegment,
            now: clock()
        )
        index.flushing = index.active
        index.active = ScheduleMemtable()
        runFlush(job)
    }

    private func runFlush(_ job: FlushJob) {
        background.async {
            guard !self.halted.withLockedValue({ $0 }) else { return }
            do {
                let installed = try self.writeRuns(job)
                self.loop.execute { self.install(installed, job: job) }
            } catch {
                self.logger.error(
                    "schedule runs could not be written; trying again in a second",
                    metadata: ["error": "\(error)"]
                )
                guard !self.halted.withLockedValue({ $0 }) else { return }
                self.loop.scheduleTask(in: .seconds(1)) { self.runFlush(job) }
            }
        }
    }

    /// Writes the job's runs, merges runs of a kind once there are more than
    /// ``ScheduleSettings/runsBeforeMerge``, and writes the manifest. On ``background`` only.
    private func writeRuns(_ job: FlushJob) throws -> InstalledRuns {
        var manifest = self.manifest
        var due = backgroundDueRuns
        var ids = backgroundIDRuns
        var obsolete: [String] = []
        var merges = 0
        if !io.exists(runsDirectory) {
            do { try io.mkdir(runsDirectory) } catch { throw BrokerError(.storageError, "\(runsDirectory): \(error)") }
            do { try io.syncDirectory(directory) } catch { throw BrokerError(.storageError, "\(directory): \(error)") }
        }
        func nextName(_ suffix: String) -> String {
            defer { manifest.nextRunNumber += 1 }
            return suffix == "due"
                ? DueRun.fileName(number: manifest.nextRunNumber) : IDRun.fileName(number: manifest.nextRunNumber)
        }
        // Everything, tombstones included: the watermark can come down again (a schedule due in the
        // past), so a dead entry of an older run must keep its tombstone until a full merge drops
        // both.
        let dueEntries = job.memtable.sortedDueEntries(droppingBelow: .minimum)
        if !dueEntries.isEmpty {
            let name = nextName("due")
            due.append(try DueRun.write(dueEntries, to: runsDirectory + "/" + name, io: io))
            manifest.dueRuns.append(name)
        }
        let idEntries = job.memtable.sortedIDEntries()
        if !idEntries.isEmpty {
            let name = nextName("ids")
            ids.append(try IDRun.write(idEntries, to: runsDirectory + "/" + name, io: io))
            manifest.idRuns.append(name)
        }
        if due.count > settings.runsBeforeMerge {
            let name = nextName("due")
            let merged = try DueRun.merge(due, droppingBelow: job.watermark, to: runsDirectory + "/" + name, io: io)
            obsolete += manifest.dueRuns
            due = [merged]
            manifest.dueRuns = [name]
            merges += 1
        }
        if ids.count > settings.runsBeforeMerge {
            let name = nextName("ids")
            let merged = try IDRun.merge(
                ids,
                now: job.now,
                firedRetentionMilliseconds: settings.firedIDRetentionMilliseconds,
                to: runsDirectory + "/" + name,
                io: io
            )
            obsolete += manifest.idRuns
            ids = [merged]
            manifest.idRuns = [name]
            merges += 1
        }
        do { try io.syncDirectory(runsDirectory) } catch {
            throw BrokerError(.storageError, "\(runsDirectory): \(error)")
        }
        manifest.flushedOffset = job.flushedOffset
        manifest.watermark = job.watermark
        manifest.pendingByTopic = job.pendingByTopic
        manifest.liveBySegment = job.liveBySegment
        guard !halted.withLockedValue({ $0 }) else { throw BrokerError(.shuttingDown, "the scheduler was halted") }
        try manifest.write(directory: directory, io: io)
        self.manifest = manifest
        backgroundDueRuns = due
        backgroundIDRuns = ids
        return InstalledRuns(due: due, ids: ids, obsolete: obsolete, merges: merges)
    }

    /// Puts the written runs in use (on the loop), then reclaims what they made unnecessary:
    /// obsolete run files, and the schedule log's first segments once nothing in them is pending
    /// or needed by a start-up.
    private func install(_ installed: InstalledRuns, job: FlushJob) {
        // Closed (or crashed, in tests) meanwhile: the log is not this scheduler's any more.
        guard !isClosed else { return }
        index.dueRuns = installed.due
        index.idRuns = installed.ids
        index.flushing = nil
        statistics.flushes += 1
        statistics.merges += installed.merges
        if !installed.obsolete.isEmpty {
            let directory = runsDirectory
            let io = self.io
            background.async {
                for name in installed.obsolete { try? io.unlink(directory + "/" + name) }
            }
        }
        reclaimLogSegments(below: job.flushedOffset)
        relocateIfWorthIt(flushedOffset: job.flushedOffset)
        requestFlushIfFull()
        pumpSoon()
    }

    /// Deletes the schedule log's first segments while they end at or below `offset` and hold no
    /// pending schedule.
    func reclaimLogSegments(below offset: Int64) {
        let bases = log.segmentBaseOffsets
        var keepFrom: Int64?
        for (position, base) in bases.enumerated() {
            guard position + 1 < bases.count, bases[position + 1] <= offset, (liveBySegment[base] ?? 0) == 0 else {
                keepFrom = base
                break
            }
        }
        guard let keepFrom, keepFrom > log.logStartOffset else { return }
        logger.debug(
            "deleting schedule log segments",
            metadata: ["before": "\(keepFrom)", "live": "\(liveBySegment)", "bases": "\(bases)"]
        )
        do {
            _ = try log.deleteSegments(before: keepFrom)
            reader.reset()
            for base in liveBySegment.keys where base < keepFrom { liveBySegment[base] = nil }
        } catch {
            logger.warning("schedule log segments not deleted", metadata: ["error": "\(error)"])
        }
    }
}
