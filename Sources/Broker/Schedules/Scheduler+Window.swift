import NIOCore

extension Scheduler {
    /// Tells the window about a change just applied: dead entries it may hold are skipped, a new
    /// entry below ``loadedKey`` joins it.
    func noteApplied(_ applied: Applied) {
        for key in applied.killed where key < loadedKey { deadInWindow.insert(key.seq) }
        if let added = applied.added, added.key < loadedKey {
            window.insert(added)
            trimWindow()
            if let deadline = timerDeadline, deadline <= wallDeadline(added.due) { return }
            pumpSoon()
        }
    }

    /// Keeps the window within twice ``ScheduleSettings/windowEntries`` (schedules due before the
    /// loaded horizon join it directly): the latest entries leave it and ``loadedKey`` comes down
    /// to them, so that they are loaded again when their time comes.
    func trimWindow() {
        while window.count > 2 * settings.windowEntries, let last = window.popMax() {
            deadInWindow.remove(last.seq)
            loadedKey = min(loadedKey, last.key)
        }
    }

    /// Every due entry below this is fired or dead: the smallest key in the window, queued,
    /// being fired, or not loaded yet.
    func liveFloor() -> DueKey {
        var floor = loadedKey
        if let first = window.min { floor = min(floor, first.key) }
        for queue in queued.values { if let first = queue.first { floor = min(floor, first.entry.key) } }
        for key in firingSeqs.values { floor = min(floor, key) }
        return floor
    }

    /// Loads due entries of the next ``ScheduleSettings/windowMilliseconds`` into the window
    /// when it runs low, at most ``ScheduleSettings/windowEntries``.
    func fillWindowIfNeeded(now: Int64) throws {
        let end = now.addingReportingOverflow(settings.windowMilliseconds)
        let horizon = DueKey(due: end.overflow ? .max : end.partialValue, seq: .max)
        // Loaded when the window runs low and the loaded horizon comes within half a window: what
        // the window holds is all due before what is not loaded yet, so it fires first anyway.
        let halfway = now.addingReportingOverflow(settings.windowMilliseconds / 2)
        guard loadedKey < horizon, window.count < settings.windowEntries / 2,
            halfway.overflow || loadedKey.due <= halfway.partialValue
        else { return }
        var scan = index.scan(from: loadedKey, below: horizon)
        var loaded = horizon
        while let entry = try scan.next() {
            if entry.key >= horizon { break }
            if window.count >= settings.windowEntries {
                loaded = entry.key
                break
            }
            if firingSeqs[entry.seq] == nil && !queuedSeqs.contains(entry.seq) { window.insert(entry) }
        }
        loadedKey = loaded
    }

    /// Due entries one ``pump()`` moves to the partitions' queues at most.
    static let entriesPerPump = 4_096

    /// Runs ``pump()`` soon, once however often it is asked.
    func pumpSoon() {
        guard !pumpScheduled, !isClosed else { return }
        pumpScheduled = true
        loop.execute { self.pump() }
    }

    /// Moves due entries from the window to their partitions' queues, starts fire batches, starts
    /// a flush when one is waiting for fires in flight, and arms the timer for what comes next.
    func pump() {
        pumpScheduled = false
        guard !isClosed, !isSettling else { return }
        let now = clock()
        do {
            try fillWindowIfNeeded(now: now)
            // At most 4,096 per turn of the loop, so that the loop's connections are served between.
            var taken = 0
            while !queuesAreFull, let first = window.min, first.due <= now {
                taken += 1
                if taken > Self.entriesPerPump {
                    pumpSoon()
                    break
                }
                _ = window.removeMin()
                if !deadInWindow.isEmpty, deadInWindow.remove(first.seq) != nil { continue }
                guard let scheduled = try reader.scheduled(at: first.seq, in: log) else {
                    logger.error(
                        "a pending schedule's record is missing from the schedule log; it cannot fire",
                        metadata: ["seq": "\(first.seq)"]
                    )
                    continue
                }
                let target = FireTarget(topic: scheduled.topic, partition: scheduled.partition)
                queued[target, default: []].append(ReadyFire(entry: first, scheduled: scheduled))
                queuedSeqs.insert(first.seq)
                queuedCount += 1
                if window.isEmpty { try fillWindowIfNeeded(now: now) }
            }
        } catch {
            logger.error("the scheduler could not read its schedules", metadata: ["error": "\(error)"])
        }
        // A flush waits for the batches in flight; once it has started, batches go on.
        if flushRequested && busy.isEmpty { startFlush() }
        if !flushRequested { startBatches(now: now) }
        armTimer(now: now)
    }

    /// Due schedules taken and waiting for their partitions are at their bound: the next are
    /// taken when a fire batch ends (which pumps), not by the timer.
    var queuesAreFull: Bool { queuedCount >= 2 * settings.fireBatchSize * settings.fireBatchesInFlight }

    /// The deadline of wall-clock time `due` on the loop's monotonic clock.
    func wallDeadline(_ due: Int64) -> NIODeadline {
        let delay = max(0, due.subtractingReportingOverflow(clock()).partialValue)
        return .now() + .milliseconds(min(delay, 1_000))
    }

    /// Arms the timer for the next thing to do: the window's first due entry, a partition's retry,
    /// or the next window load; at most a second away (so that a wall-clock jump is noticed).
    func armTimer(now: Int64) {
        var wake = now + 1_000
        // A due entry the pump could not take yet needs no timer: a pump is already coming
        // (more than one pump's worth was due), or a fire batch ends and pumps (the queues are
        // full). Arming one at `now` would spin the loop through timers until then.
        if let first = window.min, !pumpScheduled, !queuesAreFull { wake = min(wake, first.due) }
        for (target, retry) in retry where queued[target] != nil { wake = min(wake, retry.at) }
        let load = loadedKey.due.subtractingReportingOverflow(settings.windowMilliseconds / 2)
        if window.count < settings.windowEntries / 2, !load.overflow, load.partialValue > now {
            wake = min(wake, load.partialValue)
        }
        let deadline = NIODeadline.now() + .milliseconds(max(0, wake - now))
        if let timerDeadline, timerDeadline <= deadline, timer != nil { return }
        timer?.cancel()
        timerDeadline = deadline
        timer = loop.scheduleTask(deadline: deadline) {
            self.timer = nil
            self.timerDeadline = nil
            self.pump()
        }
    }
}
