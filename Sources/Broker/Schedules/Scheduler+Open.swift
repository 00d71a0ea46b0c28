import BrokerProtocol
import LogStore
import Logging
import NIOCore
import RecordCodec

extension Scheduler {
    /// The directory of the schedule log.
    static let logDirectoryName = "log/0"

    /// Opens the scheduler in `directory` (normally `<data dir>/__schedules`), creating it if
    /// needed: the manifest, the runs it names (footers and Bloom filters only), and the schedule
    /// log from the manifest's flushed offset on, replayed into the memtable. The work is bounded
    /// by the memtable's size and the number of runs, not by the schedules pending or ever made.
    /// Blocks on the disk: call it on a thread pool. Then ``settle()`` before serving.
    static func open(
        directory: String,
        settings: ScheduleSettings,
        limits: BrokerLimits,
        registry: TopicRegistry,
        issued: @escaping @Sendable () -> IssuedProducers,
        loop: any EventLoop,
        flushScheduler: FlushScheduler,
        io: any FileIO = PosixFileIO.shared,
        logger: Logger,
        clock: @escaping @Sendable () -> Int64 = currentTimeMilliseconds
    ) throws -> Scheduler {
        let configuration = LogConfiguration.internalLog(
            segmentBytes: settings.logSegmentBytes,
            maxBatchBytes: 64 << 20
        )
        // Each directory created is synced into its parent: the log's own creation syncs only the
        // directories it creates, so without this a power cut could take `__schedules` (and every
        // durable schedule in it) away.
        for path in [directory, directory + "/log"] where !io.exists(path) {
            let parent = path.lastIndex(of: "/").map { String(path[..<$0]) }.map { $0.isEmpty ? "/" : $0 } ?? "."
            do {
                try io.mkdir(path)
                try io.syncDirectory(parent)
            } catch {
                throw BrokerError(.storageError, "\(path): \(error)")
            }
        }
        let log: PartitionLog
        do {
            log = try PartitionLog.open(
                directory: directory + "/" + logDirectoryName,
                configuration: configuration,
                scheduler: flushScheduler,
                clock: clock,
                fileIO: io
            )
        } catch {
            throw BrokerError(error)
        }
        do {
            let manifest = try ScheduleManifest.read(directory: directory, io: io) ?? ScheduleManifest()
            guard manifest.flushedOffset >= log.logStartOffset, manifest.flushedOffset <= log.logEndOffset else {
                throw BrokerError(
                    .storageError,
                    "\(directory): the manifest's flushed offset \(manifest.flushedOffset) is not in the schedule log "
                        + "(\(log.logStartOffset)...\(log.logEndOffset)): durable schedules were lost"
                )
            }
            var index = ScheduleIndex()
            let runs = directory + "/runs"
            index.dueRuns = try manifest.dueRuns.map { try DueRun.open(path: runs + "/" + $0, io: io) }
            index.idRuns = try manifest.idRuns.map { try IDRun.open(path: runs + "/" + $0, io: io) }
            // Runs of a flush or merge cut short, which no manifest names.
            if io.exists(runs) {
                let named = Set(manifest.dueRuns + manifest.idRuns)
                for name in (try? io.contentsOfDirectory(runs)) ?? [] where !named.contains(name) {
                    try? io.unlink(runs + "/" + name)
                }
            }
            let scheduler = Scheduler(
                loop: loop,
                directory: directory,
                settings: settings,
                limits: limits,
                registry: registry,
                issued: issued,
                io: io,
                logger: logger,
                clock: clock,
                log: log,
                index: index,
                manifest: manifest
            )
            try scheduler.replay(from: manifest.flushedOffset)
            return scheduler
        } catch {
            try? log.close()
            throw error
        }
    }

    /// Applies the schedule log from `start` to its end, and keeps the `firing` records whose
    /// `fired` is missing for ``settle()``.
    private func replay(from start: Int64) throws {
        var offset = start
        var firings: [ScheduleRecord.Firing] = []
        var fired: Set<Int64> = []
        while offset < log.logEndOffset {
            let result: LogReadResult
            do {
                result = try log.read(from: offset, maxBytes: ScheduleLogReader.readBytes)
            } catch {
                throw BrokerError(error)
            }
            if let lost = result.lostOffsets {
                logger.error(
                    "schedule log damaged on disk: the changes in these offsets are lost",
                    metadata: ["directory": "\(directory)", "offsets": "\(lost)"]
                )
                offset = max(offset + 1, lost.upperBound)
                continue
            }
            guard let last = result.batches.last else { break }
            for batch in result.batches {
                let records: [Record]
                do {
                    records = try batch.records()
                } catch {
                    throw BrokerError(
                        .storageError,
                        "schedule log batch at \(batch.baseOffset) does not decode: \(error)"
                    )
                }
                for record in records where record.offset >= offset {
                    guard let value = record.value else {
                        throw BrokerError(.storageError, "schedule log offset \(record.offset) has no value")
                    }
                    let change: ScheduleRecord
                    do {
                        change = try ScheduleRecord(decoding: value)
                    } catch {
                        throw BrokerError(
                            .storageError,
                            "schedule log offset \(record.offset) does not decode: \(error)"
                        )
                    }
                    switch change {
                    case .firing(let firing): firings.append(firing)
                    case .fired(let done): for entry in done.entries { fired.insert(entry.key.seq) }
                    default: break
                    }
                    apply(change, at: record.offset, now: record.timestamp)
                    statistics.recordsReplayedAtOpen += 1
                }
            }
            offset = last.lastOffset + 1
        }
        // Schedules replayed with a key below the manifest's watermark (due in the past when they
        // were taken) are not in any run's scanned range: they join the window directly, as they
        // did when they were taken.
        for entry in index.active.due.values where !entry.isTombstone && entry.key < loadedKey {
            window.insert(entry)
        }
        unsettled = firings.compactMap { firing in
            var firing = firing
            firing.entries.removeAll { fired.contains($0.key.seq) }
            return firing.entries.isEmpty ? nil : firing
        }
        for firing in unsettled {
            for entry in firing.entries { firingSeqs[entry.key.seq] = entry.key }
        }
        isSettling = !unsettled.isEmpty
    }

    /// Settles the fires a crash interrupted (a `firing` without `fired`): each target partition
    /// is read from the end offset the `firing` recorded for the schedules' messages (header
    /// ``ScheduleHeader/seq``). Found: `fired` is written with their offsets. Not found: they fire
    /// again. Then the window is loaded and firing starts.
    func settle() async {
        let firings = (try? await loop.submit { self.unsettled }.get()) ?? []
        for firing in firings {
            let seqs = Set(firing.entries.map(\.key.seq))
            var found: [Int64: Int64] = [:]
            if let partition = registry.topic(named: firing.topic)?.partition(firing.partition) {
                do {
                    found = try await Self.find(seqs, in: partition, from: firing.endOffset)
                } catch {
                    logger.error(
                        "could not read a partition to settle an interrupted fire; its schedules fire again",
                        metadata: ["topic": "\(firing.topic)", "partition": "\(firing.partition)", "error": "\(error)"]
                    )
                }
            }
            let settled = found
            _ = try? await loop.submit {
                let entries = firing.entries.filter { settled[$0.key.seq] != nil }
                self.statistics.settledFound += entries.count
                self.statistics.settledRefired += firing.entries.count - entries.count
                guard !entries.isEmpty else { return }
                let fired = ScheduleRecord.fired(
                    .init(
                        topic: firing.topic,
                        partition: firing.partition,
                        entries: entries.map { .init(key: $0.key, idHash: $0.idHash, offset: settled[$0.key.seq]!) }
                    )
                )
                let now = self.clock()
                var offset: Int64 = -1
                do {
                    offset = try self.append([fired], now: now)
                } catch {
                    self.logger.error("a settled fire could not be recorded", metadata: ["error": "\(error)"])
                }
                self.apply(fired, at: offset, now: now)
                // Found in their partition: if the window took them at the open, they must not fire.
                for entry in entries where entry.key < self.loadedKey { self.deadInWindow.insert(entry.key.seq) }
            }.get()
        }
        _ = try? await loop.submit {
            self.unsettled = []
            self.isSettling = false
            var waiting: [() -> Void] = []
            for firing in firings {
                for entry in firing.entries {
                    self.firingSeqs[entry.key.seq] = nil
                    waiting += self.firingWaiters.removeValue(forKey: entry.key.seq) ?? []
                }
            }
            for waiter in waiting { waiter() }
            self.requestFlushIfFull()
            self.pump()
        }.get()
    }

    /// The offsets of the messages of `seqs` in `partition` from `start` on.
    private static func find(
        _ seqs: Set<Int64>,
        in partition: Partition,
        from start: Int64
    ) async throws -> [Int64: Int64] {
        var found: [Int64: Int64] = [:]
        var offset = start
        while found.count < seqs.count {
            let data = try await partition.read(from: offset, maxBytes: 1 << 20).get()
            if data.errorCode == .offsetOutOfRange, offset < data.logStartOffset {
                offset = data.logStartOffset
                continue
            }
            guard data.errorCode == .none else {
                throw BrokerError(data.errorCode, data.errorMessage ?? "\(data.errorCode)")
            }
            var bytes = data.records
            var last: Int64?
            while let batch = try RecordBatch.next(from: &bytes) {
                for record in try batch.records() {
                    for header in record.headers where header.key == ScheduleHeader.seq {
                        if let value = header.value, let seq = Int64(String(buffer: value)), seqs.contains(seq) {
                            found[seq] = record.offset
                        }
                    }
                }
                last = batch.lastOffset
            }
            guard let last, last + 1 < data.logEndOffset else { break }
            offset = last + 1
        }
        return found
    }
}
