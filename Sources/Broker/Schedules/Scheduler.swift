import DequeModule
import Dispatch
import HeapModule
import LogStore
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Delayed delivery: takes schedules, cancels them, lists them, and appends each message to its
/// partition once, at its due time (docs/SCHEDULES.md).
///
/// ```
/// <data dir>/__schedules/
///   log/0/        the schedule log: every change (scheduled, cancelled, firing, fired)
///   runs/         due runs (*.due) and id runs (*.ids), immutable
///   manifest      the runs in use and the log offset they reach
/// ```
///
/// All state is confined to ``loop``: requests hop there, the timer runs there, and cancel and
/// fire are decided there, one after the other. Writing runs and merging them happens on a
/// background queue; the loop installs the result.
final class Scheduler: @unchecked Sendable {
    /// The name of the scheduler's directory in the data directory.
    static let directoryName = "__schedules"

    let loop: any EventLoop
    let directory: String
    let settings: ScheduleSettings
    let limits: BrokerLimits
    let registry: TopicRegistry
    let issued: @Sendable () -> IssuedProducers
    let io: any FileIO
    let logger: Logger
    let clock: @Sendable () -> Int64
    /// Writes runs and the manifest, merges runs: one job at a time.
    let background = DispatchQueue(label: "sluice.schedules.background")

    // Loop-confined state.
    let log: PartitionLog
    var index: ScheduleIndex
    /// What the last manifest written says; touched on ``background`` only after start-up.
    var manifest: ScheduleManifest
    /// The runs in use as ``background`` sees them (the loop's are in ``index``).
    var backgroundDueRuns: [DueRun]
    var backgroundIDRuns: [IDRun]
    /// Due entries loaded ahead: every live entry with a key below ``loadedKey`` is here, queued,
    /// firing, or fired.
    var window = Heap<DueEntry>()
    var loadedKey: DueKey
    /// Seqs of entries in the window or queued that were cancelled or replaced.
    var deadInWindow: Set<Int64> = []
    /// Due schedules read and waiting for their partition, per partition, in due order.
    var queued: [FireTarget: Deque<ReadyFire>] = [:]
    var queuedCount = 0
    var queuedSeqs: Set<Int64> = []
    var pumpScheduled = false
    /// Start-up is settling fires that were in progress at a crash: nothing fires meanwhile.
    var isSettling = false
    /// Seqs whose `firing` is written and whose `fired` is not: a cancel waits for them.
    var firingSeqs: [Int64: DueKey] = [:]
    /// Cancels waiting for a fire in progress, by seq.
    var firingWaiters: [Int64: [() -> Void]] = [:]
    /// Fire batches whose partition append has been started and has not answered.
    var appendsInFlight = 0
    /// Partitions with a fire batch in flight.
    var busy: Set<FireTarget> = []
    /// Partitions whose last batch failed: not tried again before this time, with the next backoff.
    var retry: [FireTarget: (at: Int64, backoff: Int64)] = [:]
    var pendingByTopic: [String: Int64]
    var pendingTotal: Int64
    var liveBySegment: [Int64: Int64]
    var roundRobin: [String: Int32] = [:]
    /// The schedule log's segment base offsets, as last seen.
    var segmentBases: [Int64] = []
    var flushRequested = false
    var timer: Scheduled<Void>?
    var timerDeadline: NIODeadline?
    var isClosed = false
    var reader = ScheduleLogReader()
    var idGenerator = ScheduleIDGenerator()
    /// The relocation pass under way, if any.
    var relocation: Relocation?
    /// Firings found without `fired` at start-up, settled before anything fires.
    var unsettled: [ScheduleRecord.Firing] = []
    /// Counters for tests and metrics.
    var statistics = Statistics()
    /// Set by ``crashForTesting()``: the background queue writes nothing more.
    let halted = NIOLockedValueBox(false)

    /// Counters for operators and tests.
    struct Statistics: Hashable, Sendable {
        var recordsReplayedAtOpen = 0
        var fired = 0
        /// The fired schedules' lateness (due time to durable append, never negative), added up
        /// and the largest, since the broker started.
        var latenessTotalMilliseconds: Int64 = 0
        var latenessMaxMilliseconds: Int64 = 0
        var dropped = 0
        var fireBatchesFailed = 0
        var flushes = 0
        var merges = 0
        var settledFound = 0
        var settledRefired = 0
        var relocated = 0
    }

    init(
        loop: any EventLoop,
        directory: String,
        settings: ScheduleSettings,
        limits: BrokerLimits,
        registry: TopicRegistry,
        issued: @escaping @Sendable () -> IssuedProducers,
        io: any FileIO,
        logger: Logger,
        clock: @escaping @Sendable () -> Int64,
        log: PartitionLog,
        index: ScheduleIndex,
        manifest: ScheduleManifest
    ) {
        self.loop = loop
        self.directory = directory
        self.settings = settings
        self.limits = limits
        self.registry = registry
        self.issued = issued
        self.io = io
        self.logger = logger
        self.clock = clock
        self.log = log
        self.index = index
        self.manifest = manifest
        self.backgroundDueRuns = index.dueRuns
        self.backgroundIDRuns = index.idRuns
        self.loadedKey = manifest.watermark
        self.pendingByTopic = manifest.pendingByTopic
        self.pendingTotal = manifest.pendingByTopic.values.reduce(0, +)
        self.liveBySegment = manifest.liveBySegment.filter { $0.key >= log.logStartOffset }
    }

    /// The counters now.
    var currentStatistics: EventLoopFuture<Statistics> { loop.submit { self.statistics } }

    /// The pending schedules of every topic.
    var pendingCounts: EventLoopFuture<[String: Int64]> { loop.submit { self.pendingByTopic } }

    /// The entries the memtables hold (the active one and the one being written out, due entries,
    /// tombstones and id entries): memory that grows until a flush at
    /// ``ScheduleSettings/memtableEntries`` and then starts again.
    var memtableEntryCount: Int { index.active.count + (index.flushing?.count ?? 0) }

    // MARK: Closing

    /// Stops firing, waits (up to `timeout`) for fire batches in flight, and closes the schedule
    /// log cleanly. What is pending stays pending for the next start.
    func close(timeout: TimeAmount = .seconds(10)) async {
        let deadline = NIODeadline.now() + timeout
        _ = try? await loop.submit {
            self.isClosed = true
            self.timer?.cancel()
            self.timer = nil
        }.get()
        while NIODeadline.now() < deadline {
            let idle = (try? await loop.submit { self.busy.isEmpty }.get()) ?? true
            if idle { break }
            try? await Task.sleep(for: .milliseconds(5))
        }
        // The background queue finishes the run it is writing, then writes nothing more.
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            background.async { continuation.resume() }
        }
        halted.withLockedValue { $0 = true }
        _ = try? await loop.submit {
            do {
                try self.log.close()
            } catch {
                self.logger.error("schedule log not closed cleanly", metadata: ["error": "\(error)"])
            }
        }.get()
    }
}

extension DueEntry: Comparable {
    static func < (lhs: DueEntry, rhs: DueEntry) -> Bool { lhs.key < rhs.key }
}

extension Scheduler {
    /// Leaves the scheduler as `kill -9` would: nothing more is written, the schedule log is not
    /// flushed or closed (what it wrote stays, as in the page cache), fires in flight stop where
    /// they are. For tests that reopen the directory as a restarted broker would.
    func crashForTesting() async {
        _ = try? await loop.submit {
            self.isClosed = true
            self.halted.withLockedValue { $0 = true }
            self.timer?.cancel()
            self.timer = nil
            self.log.abandon()
        }.get()
        // A process killed cannot append any more; here, an append already handed to its partition
        // lands before the scheduler counts as gone.
        while (try? await loop.submit({ self.appendsInFlight }).get()) ?? 0 > 0 {
            try? await Task.sleep(for: .milliseconds(1))
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            background.async { continuation.resume() }
        }
    }
}

extension Scheduler {
    /// The scheduler's state in a few lines, for failing tests and debugging.
    var stateDescription: String {
        let window = self.window.unordered.map(\.key).sorted().prefix(20)
        return """
            loadedKey \(loadedKey) watermark(manifest) \(manifest.watermark) flushed \(manifest.flushedOffset) \
            logEnd \(log.logEndOffset) segments \(log.segmentBaseOffsets) live \(liveBySegment.sorted { $0.key < $1.key })
            window \(self.window.count): \(Array(window))
            deadInWindow \(deadInWindow.sorted()) queued \(queuedCount) firing \(firingSeqs.keys.sorted()) busy \(busy.count)
            memtable \(index.active.count) due: \(index.active.due.values.map { "\($0.key)\($0.isTombstone ? "†" : "")" }.sorted())
            runs due \(index.dueRuns.map(\.path)) ids \(index.idRuns.count) pending \(pendingByTopic)
            \(index.dueRuns.map { run in
                var cursor = run.entries(from: .minimum)
                var keys: [String] = []
                while let entry = try? cursor.next() { keys.append("\(entry.due)/\(entry.seq)\(entry.isTombstone ? "†" : "")") }
                return keys.joined(separator: " ")
            }.joined(separator: "\n"))
            """
    }
}
