/// What opening a log found and did.
///
/// ``summary`` is one line for a log; the broker logs it, and one line per entry of ``repairs``.
public struct RecoveryReport: Sendable {
    /// Whether the previous run closed the log cleanly (recovery was skipped).
    public var wasCleanShutdown: Bool
    /// The checkpointed recovery point, if a valid checkpoint was found.
    public var recoveryPoint: Int64?
    /// Every segment opened, oldest first: validated batch by batch, or only index-checked.
    public var segments: [SegmentRecoveryReport] = []
    /// The first damage found (file and position), if any.
    public var damage: LogStoreError?
    /// Offset ranges that no valid batch holds any more, found by this open. A reader is told
    /// about them (``LogReadResult/lostOffsets``).
    public var lostOffsets: [Range<Int64>] = []
    /// Stray temporary and orphan index files that were removed.
    public var removedFiles: [String] = []
    /// Set when the log ended below the checkpointed recovery point (fsynced data was lost): the
    /// new active segment starts at the recovery point, so that no offset is handed out twice.
    public var resumedAtRecoveryPoint: Int64?

    /// Base offsets of the segments whose every batch was validated.
    public var validatedSegments: [Int64] { segments.filter(\.wasValidated).map(\.baseOffset) }
    /// Bytes of `.log` data validated batch by batch.
    public var validatedBytes: Int64 { segments.reduce(0) { $0 + $1.validatedBytes } }
    /// Batches validated one by one.
    public var validatedBatches: Int { segments.reduce(0) { $0 + $1.validatedBatches } }
    /// Bytes removed because no valid batch held them.
    public var truncatedBytes: Int64 { segments.reduce(0) { $0 + $1.cutBytes } }
    /// Segments deleted by recovery: always empty, since recovery never deletes a segment (kept so
    /// that code written against the earlier report still compiles).
    @available(*, deprecated, message: "recovery never deletes segments; see lostOffsets and repairs")
    public var deletedSegments: [Int64] { [] }
    /// How many offsets ``lostOffsets`` covers.
    public var lostOffsetCount: Int64 { lostOffsets.reduce(0) { $0 + Int64($1.count) } }
    /// The segments recovery changed (cut, split or damaged).
    public var repairs: [SegmentRecoveryReport] {
        segments.filter { $0.damage != nil || $0.cutBytes > 0 || $0.movedTo != nil }
    }

    /// One line: what was checked, and what was cut and lost.
    public var summary: String {
        var text = wasCleanShutdown ? "clean shutdown" : "unclean stop"
        text += "; \(segments.count) segments checked, \(validatedSegments.count) validated"
        text += " (\(validatedBatches) batches, \(validatedBytes) bytes)"
        text += "; \(truncatedBytes) bytes cut; \(lostOffsetCount) offsets lost"
        if !lostOffsets.isEmpty {
            text += " (" + lostOffsets.map { "\($0.lowerBound)..\($0.upperBound - 1)" }.joined(separator: ", ") + ")"
        }
        if let resumedAtRecoveryPoint { text += "; appends resume at the recovery point \(resumedAtRecoveryPoint)" }
        if !removedFiles.isEmpty { text += "; \(removedFiles.count) stray files removed" }
        return text
    }
}

/// What opening one segment found and did.
public struct SegmentRecoveryReport: Sendable {
    /// The segment's base offset.
    public var baseOffset: Int64
    /// Whether every batch was validated (otherwise only the indexes and the tail after the last
    /// index entry were checked).
    public var wasValidated: Bool
    /// Batches that passed every check, before any damage.
    public var validatedBatches = 0
    /// Bytes of those batches.
    public var validatedBytes: Int64 = 0
    /// The first bad batch (file and byte position), if any.
    public var damage: LogStoreError?
    /// Bytes removed from the `.log` because no valid batch holds them.
    public var cutBytes: Int64 = 0
    /// The offsets the damage took, when the next valid batch (or the next segment) says where they
    /// end; `nil` if none were lost or the end is unknown (a torn tail of the last segment).
    public var lostOffsets: Range<Int64>?
    /// The base offset of the new segment that took the valid batches found after the damage.
    public var movedTo: Int64?
    /// Bytes moved to that segment.
    public var movedBytes: Int64 = 0

    /// One line: what was validated, cut, lost and moved.
    public var summary: String {
        var text = "segment \(baseOffset): "
        text += wasValidated ? "\(validatedBatches) batches (\(validatedBytes) bytes) validated" : "indexes checked"
        if let damage { text += "; damage: \(damage)" }
        text += "; \(cutBytes) bytes cut"
        if let lostOffsets {
            text += "; offsets \(lostOffsets.lowerBound)..\(lostOffsets.upperBound - 1) lost"
        }
        if let movedTo { text += "; \(movedBytes) bytes of valid batches after the damage moved to segment \(movedTo)" }
        return text
    }
}

extension PartitionLog {
    /// Opens the log in `directory`, creating the directory and a first segment if needed.
    ///
    /// After a clean shutdown (the marker is present), indexes are loaded and checked, and only the
    /// bytes after each segment's last index entry are read. After an unclean stop, every segment
    /// from the one holding the recovery point onwards is validated batch by batch (length, magic,
    /// CRC-32C, contiguous offsets) and its indexes are rebuilt. A missing or damaged index, or a
    /// damaged tail, makes a segment validated in either case.
    ///
    /// Damage never costs a batch that validates: the valid batches after damaged bytes move to a
    /// new segment named after their base offset, and the damaged segment is cut where the damage
    /// starts. The offsets in between become a gap that reads report (``LogReadResult/lostOffsets``).
    /// Bytes after a segment's last valid batch that cannot be part of the log (the next segment
    /// already holds their offsets, or nothing valid follows) are cut. Later segments are never
    /// deleted. If the log then ends below the checkpointed recovery point, appends resume at that
    /// point, so that offsets that may have been acknowledged are never handed out again. Stray
    /// `.tmp` files and index files without a `.log` are removed. ``recoveryReport`` says what
    /// was checked, cut, moved and lost, per segment.
    ///
    /// Blocks on the disk (it reads, truncates and fsyncs): call it off any event loop.
    /// - Parameters:
    ///   - directory: the partition's directory.
    ///   - configuration: roll, retention and flush settings; validated here.
    ///   - scheduler: the flush thread this log's fsyncs run on.
    ///   - clock: epoch milliseconds, for rolling by age.
    public static func open(
        directory: String,
        configuration: LogConfiguration = LogConfiguration(),
        scheduler: FlushScheduler,
        clock: @escaping @Sendable () -> Int64 = currentTimeMilliseconds,
        fileIO io: any FileIO = PosixFileIO.shared
    ) throws -> PartitionLog {
        try configuration.validate()
        try FileSystem.createDirectories(directory, io: io)
        // One owner per directory, as Kafka's `.lock`: a second broker (or a second open in this
        // process) on the same data would interleave appends.
        let lock = try LogFile.open(directory + "/" + lockFileName, create: true, io: io)
        guard try lock.tryLock() else {
            throw LogStoreError(
                .directoryInUse,
                "the log is already open (another process or log holds \(lockFileName))",
                path: directory
            )
        }
        let markerPath = directory + "/" + cleanShutdownFileName
        let names = try FileSystem.contents(of: directory, io: io)
        var report = RecoveryReport(wasCleanShutdown: names.contains(cleanShutdownFileName))

        let logBases = Set(names.compactMap(Segment.baseOffset(fromLogName:)))
        for name in names where isStray(name, logBases: logBases) {
            try FileSystem.remove(directory + "/" + name, io: io)
            report.removedFiles.append(name)
        }

        report.recoveryPoint = try? RecoveryCheckpoint.read(directory: directory, io: io)?.offset
        let sortedBases = logBases.sorted()
        // Recovery starts at the segment holding the recovery point (the first, if unknown).
        let recoverFrom: Int64 =
            report.wasCleanShutdown
            ? .max : sortedBases.last { $0 <= (report.recoveryPoint ?? 0) } ?? .min

        var segments: [Segment] = []
        // Sealed segments trade their descriptors for on-demand ones as soon as the next one is
        // open; recovery's reads and copies of them go through the limiter then.
        let fileLimiter = OpenFileLimiter(limit: configuration.openSealedSegmentsLimit)
        var bases = sortedBases
        // A segment whose `.log` is empty holds no offsets, so it bounds nothing: a roll that failed
        // (or was cut by a power cut) after creating the new segment's files can leave one behind
        // while appends went on in the previous segment, past its base.
        var emptyBases = Set<Int64>()
        for base in sortedBases {
            let logPath = directory + "/" + Segment.fileName(baseOffset: base, suffix: ".log")
            if try LogFile.open(logPath, create: false, io: io).size() == 0 { emptyBases.insert(base) }
        }
        var position = 0
        while position < bases.count {
            // Only the segment being opened and the last one keep their files open.
            if segments.count >= 2 { segments[segments.count - 2].closeFiles(limiter: fileLimiter) }
            let base = bases[position]
            if emptyBases.contains(base), let previous = segments.last, previous.nextOffset > base {
                // Such a leftover, overtaken by the previous segment: it holds nothing, remove it.
                for suffix in [".log", ".index", ".timeindex"] {
                    let name = Segment.fileName(baseOffset: base, suffix: suffix)
                    try FileSystem.remove(directory + "/" + name, io: io)
                    report.removedFiles.append(name)
                }
                bases.remove(at: position)
                continue
            }
            // The next non-empty segment's base: this one's batches must end before it. Bytes past
            // it are not part of the log (garbage after a sealed segment, a copy a repair left
            // behind, or the tail of an append that failed and could not be undone before a roll):
            // they are cut, and the later segment, which holds what was acknowledged, is kept.
            let offsetLimit = bases[(position + 1)...].first { !emptyBases.contains($0) } ?? .max
            let mustRecover = base >= recoverFrom
            let (segment, recovery) = try Segment.open(
                directory: directory,
                baseOffset: base,
                configuration: configuration,
                recover: mustRecover,
                offsetLimit: offsetLimit,
                io: io
            )
            precondition(segment.nextOffset <= offsetLimit, "segment \(base) runs into segment \(offsetLimit)")
            segments.append(segment)
            report.segments.append(recovery ?? SegmentRecoveryReport(baseOffset: base, wasValidated: false))
            if let recovery {
                // Make the recovered bytes (written by a process that may have died before its
                // fsync) durable before anything is acknowledged on top of them.
                try segment.log.sync()
                for file in segment.indexFiles { try file.sync() }
                if report.damage == nil { report.damage = recovery.damage }
                if let lost = recovery.lostOffsets { report.lostOffsets.append(lost) }
                // The valid batches after the damage now form a segment of their own: open it next.
                // (The move may have replaced an empty leftover of the same name.)
                if let movedTo = recovery.movedTo {
                    emptyBases.remove(movedTo)
                    bases.removeAll { $0 == movedTo }
                    bases.insert(movedTo, at: position + 1)
                }
            }
            position += 1
        }

        if segments.isEmpty {
            let base = report.recoveryPoint ?? 0
            segments.append(
                try Segment.create(directory: directory, baseOffset: base, configuration: configuration, io: io)
            )
        }
        // The log ends below the checkpointed recovery point: fsynced batches were lost to damage.
        // Their offsets may have been acknowledged, so they are never handed out again: appends go
        // to a new segment at the recovery point, and the lost range stays a gap.
        if let recoveryPoint = report.recoveryPoint, recoveryPoint > segments[segments.count - 1].nextOffset {
            let end = segments[segments.count - 1].nextOffset
            try segments[segments.count - 1].sealTimeIndex()
            segments.append(
                try Segment.create(
                    directory: directory,
                    baseOffset: recoveryPoint,
                    configuration: configuration,
                    io: io
                )
            )
            report.lostOffsets.append(end..<recoveryPoint)
            report.resumedAtRecoveryPoint = recoveryPoint
            for file in [segments[segments.count - 2].log] + segments[segments.count - 2].indexFiles {
                try file.sync()
            }
        }
        if report.wasCleanShutdown { try FileSystem.remove(markerPath, io: io) }
        // The new first segment, the removed marker and any deletions must reach the disk before
        // an append is acknowledged on top of them.
        try FileSystem.syncDirectory(directory, io: io)

        let scheduler = scheduler
        return PartitionLog(
            directory: directory,
            configuration: configuration,
            segments: segments,
            scheduler: scheduler,
            clock: clock,
            recoveryReport: report,
            lock: lock,
            io: io,
            fileLimiter: fileLimiter
        )
    }

    private static func isStray(_ name: String, logBases: Set<Int64>) -> Bool {
        if name.hasSuffix(".tmp") { return true }
        for suffix in [".index", ".timeindex"] where name.hasSuffix(suffix) {
            let stem = name.dropLast(suffix.count)
            guard let base = Segment.baseOffset(fromLogName: stem + ".log") else { return false }
            return !logBases.contains(base)
        }
        return false
    }
}

extension FileSystem {
    /// Creates `path` and any missing parents, and fsyncs the parent of each directory it
    /// creates: without that, a power cut could take a new partition directory (and every
    /// acknowledged batch in it) away.
    static func createDirectories(_ path: String, io: any FileIO) throws {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            let parent = prefix.isEmpty ? "." : (prefix == "/" ? "/" : String(prefix.dropLast()))
            prefix += component
            if try createDirectory(prefix, io: io) { try syncDirectory(parent, io: io) }
            prefix += "/"
        }
    }
}
