/// What opening a log found and did.
public struct RecoveryReport: Sendable {
    /// Whether the previous run closed the log cleanly (recovery was skipped).
    public var wasCleanShutdown: Bool
    /// The checkpointed recovery point, if a valid checkpoint was found.
    public var recoveryPoint: Int64?
    /// Base offsets of the segments whose every batch was validated.
    public var validatedSegments: [Int64] = []
    /// Bytes of `.log` data validated batch by batch.
    public var validatedBytes: Int64 = 0
    /// The damage recovery cut off (file and position), if any.
    public var damage: LogStoreError?
    /// Bytes removed from the end of the damaged segment.
    public var truncatedBytes: Int64 = 0
    /// Base offsets of segments deleted because they followed the damage.
    public var deletedSegments: [Int64] = []
    /// Stray temporary and orphan index files that were removed.
    public var removedFiles: [String] = []
}

extension PartitionLog {
    /// Opens the log in `directory`, creating the directory and a first segment if needed.
    ///
    /// After a clean shutdown (the marker is present), indexes are loaded and checked, and only the
    /// bytes after each segment's last index entry are read. After an unclean stop, every segment
    /// from the one holding the recovery point onwards is validated batch by batch (length, magic,
    /// CRC-32C, contiguous offsets), its indexes are rebuilt, a torn or garbage tail is truncated,
    /// and segments after the damage are deleted. A missing or damaged index is rebuilt in either
    /// case. Stray `.tmp` files and index files without a `.log` are removed.
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
        let fileLimiter = OpenFileLimiter(limit: configuration.openSealedSegmentsLimit)
        for (position, base) in sortedBases.enumerated() {
            // Only the segment being opened and the last one keep their files open.
            if segments.count >= 2 { segments[segments.count - 2].closeFiles(limiter: fileLimiter) }
            let logPath = directory + "/" + Segment.fileName(baseOffset: base, suffix: ".log")
            if let previous = segments.last, previous.nextOffset > base,
                try LogFile.open(logPath, create: false, io: io).size() > 0
            {
                // A roll starts the new segment at the log end the log knew, so bytes of the previous
                // segment past that point were never part of the log: an append that failed and
                // could not be undone. The later segment holds what was acknowledged: keep it and
                // cut the stale tail.
                let sizeBefore = previous.size
                try previous.truncate(before: base)
                try previous.log.sync()
                for file in previous.indexFiles { try file.sync() }
                report.damage = LogStoreError(
                    .invalidBatch,
                    "segment \(previous.baseOffset) ran past the start of segment \(base); its bytes from offset \(base) on (never acknowledged) were cut",
                    path: previous.log.path,
                    position: previous.size
                )
                report.truncatedBytes += sizeBefore - previous.size
            }
            if let previous = segments.last, previous.nextOffset > base {
                report.damage = LogStoreError(
                    .invalidBatch,
                    "segment \(base) starts before the previous segment ends at \(previous.nextOffset)",
                    path: logPath
                )
                try deleteSegments(sortedBases[position...], in: directory, io: io, report: &report)
                break
            }
            let mustRecover = base >= recoverFrom
            let sizeBefore = try LogFile.open(
                directory + "/" + Segment.fileName(baseOffset: base, suffix: ".log"),
                create: false,
                io: io
            ).size()
            let (segment, damage) = try Segment.open(
                directory: directory,
                baseOffset: base,
                configuration: configuration,
                recover: mustRecover,
                io: io
            )
            segments.append(segment)
            if mustRecover || damage != nil {
                report.validatedSegments.append(base)
                report.validatedBytes += segment.size
                // Make the recovered bytes (written by a process that may have died before its
                // fsync) durable before anything is acknowledged on top of them.
                try segment.log.sync()
                for file in segment.indexFiles { try file.sync() }
            }
            if let damage {
                report.damage = damage
                report.truncatedBytes = sizeBefore - segment.size
                try deleteSegments(sortedBases[(position + 1)...], in: directory, io: io, report: &report)
                break
            }
        }

        if segments.isEmpty {
            let base = report.recoveryPoint ?? 0
            segments.append(
                try Segment.create(directory: directory, baseOffset: base, configuration: configuration, io: io)
            )
        }
        // Recovery cut the log short of the checkpoint: move the checkpoint back, or a later
        // recovery would trust the segment that then holds unsynced bytes past the old point.
        // Everything before the last segment is now synced (trusted or validated and fsynced).
        if let recoveryPoint = report.recoveryPoint, recoveryPoint > segments[segments.count - 1].nextOffset {
            try RecoveryCheckpoint(offset: segments[segments.count - 1].baseOffset).write(directory: directory, io: io)
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

    private static func deleteSegments(
        _ bases: ArraySlice<Int64>,
        in directory: String,
        io: any FileIO,
        report: inout RecoveryReport
    ) throws {
        for base in bases {
            for suffix in [".log", ".index", ".timeindex"] {
                try FileSystem.remove(directory + "/" + Segment.fileName(baseOffset: base, suffix: suffix), io: io)
            }
            report.deletedSegments.append(base)
        }
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
