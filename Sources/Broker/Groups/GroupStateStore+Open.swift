import LogStore
import Logging
import NIOCore
import RecordCodec

extension GroupStateStore {
    /// How much one read of the log asks for while replaying.
    static let replayReadBytes = 1 << 20

    /// Opens the store in `directory` (normally `<data dir>/__group_state`), creating it if
    /// needed, and rebuilds the view.
    ///
    /// LogStore's recovery first cuts a torn tail. Then the store reads the `checkpoint` file and
    /// replays the log from the offset it names (from the log start if there is none): one
    /// checkpoint and the changes after it. If the log lost offsets in that range:
    /// - at or above the log's recovery point (a power cut took unsynced bytes, such as the end
    ///   of a segment whose successor survived: nothing from there on was awaited durable), the
    ///   replay stops there, and a checkpoint of the state before it is written and made durable
    ///   at once, so that the state is always what a prefix of the changes made
    ///   (``Statistics/offsetsDroppedAtOpen``);
    /// - below it (damage to fsynced bytes), the replay reads on after the damage, skipping the
    ///   changes that no longer apply (``Statistics/offsetsDamagedAtOpen``).
    /// - Throws: ``BrokerError`` (`storageError`) naming the offset when a record inside a valid
    ///   batch does not decode or does not apply (acknowledged state is never dropped silently),
    ///   when the `checkpoint` file is damaged, or when the checkpoint it names is not in the log;
    ///   the storage error if the log cannot be opened.
    public static func open(
        directory: String,
        configuration: Configuration = Configuration(),
        fileIO: any FileIO = PosixFileIO.shared,
        flushScheduler: FlushScheduler,
        logger: Logger = Logger(label: "sluice.group-state")
    ) throws -> GroupStateStore {
        try configuration.validate()
        let log: PartitionLog
        do {
            // Creates `directory` too, and syncs each new directory into its parent.
            log = try PartitionLog.open(
                directory: directory + "/" + logDirectoryName,
                configuration: configuration.logConfiguration,
                scheduler: flushScheduler,
                clock: configuration.clock,
                fileIO: fileIO
            )
        } catch {
            throw BrokerError(error)
        }
        do {
            // A checkpoint write cut short leaves its temporary file.
            let temporary = directory + "/" + checkpointFileName + ".tmp"
            if fileIO.exists(temporary) { try fileIO.unlink(temporary) }
        } catch {
            throw BrokerError(.storageError, "\(directory)/\(checkpointFileName).tmp: \(error)")
        }
        let checkpoint = try readCheckpoint(directory: directory, io: fileIO)
        var statistics = Statistics()
        statistics.checkpointOffset = checkpoint
        let start = checkpoint ?? log.logStartOffset
        statistics.replayStartOffset = start
        if let checkpoint {
            guard checkpoint >= log.logStartOffset, checkpoint < log.logEndOffset else {
                throw BrokerError(
                    .storageError,
                    "\(directory): the checkpoint at offset \(checkpoint) is not in the log "
                        + "(\(log.logStartOffset)..<\(log.logEndOffset)): durable records were lost"
                )
            }
        } else if log.logStartOffset > 0 {
            throw BrokerError(
                .storageError,
                "\(directory): no \(checkpointFileName) file, but the log starts at \(log.logStartOffset)"
            )
        }

        let replay = try Self.replay(log, from: start, checkpoint: checkpoint, directory: directory)
        statistics.recordsReadAtOpen = replay.recordsRead
        statistics.changesSinceCheckpoint = replay.changes
        statistics.offsetsDroppedAtOpen = replay.dropped
        statistics.offsetsDamagedAtOpen = replay.damaged
        statistics.recordsSkippedAtOpen = replay.skippedAfterDamage
        let store = GroupStateStore(
            directory: directory,
            configuration: configuration,
            io: fileIO,
            logger: logger,
            log: log,
            view: replay.view,
            statistics: statistics
        )
        store.writtenCheckpointOffset = checkpoint
        if !replay.damaged.isEmpty {
            logger.warning(
                "group state log damaged on disk: changes in these offsets are lost",
                metadata: [
                    "directory": "\(directory)", "damagedOffsets": "\(replay.damaged)",
                    "recordsSkipped": "\(replay.skippedAfterDamage)",
                ]
            )
        }
        if let dropped = replay.dropped {
            logger.warning(
                "group state log lost offsets in a power cut; they and everything after them were not replayed",
                metadata: ["directory": "\(directory)", "droppedOffsets": "\(dropped)"]
            )
            try store.checkpointNow()
        } else if let checkpoint {
            // Segments before the checkpoint that a crash kept (or a power cut brought back).
            _ = try? log.deleteSegments(before: checkpoint)
        }
        logger.debug(
            "group state log opened",
            metadata: [
                "directory": "\(directory)", "groups": "\(replay.view.groups.count)",
                "partitions": "\(replay.view.partitions.count)", "recordsRead": "\(replay.recordsRead)",
            ]
        )
        return store
    }

    /// What a replay rebuilt.
    struct Replay {
        var view = View()
        var recordsRead = 0
        var changes = 0
        /// The offsets from the first lost range to the log end, if the log lost unsynced ones.
        var dropped: Range<Int64>?
        /// Ranges lost to damage below the log's recovery point (read past).
        var damaged: [Range<Int64>] = []
        /// Records after such damage that no longer applied (their group's creation was lost).
        var skippedAfterDamage = 0
    }

    /// Replays the log from `start` (a checkpoint's first offset, or the log start).
    static func replay(_ log: PartitionLog, from start: Int64, checkpoint: Int64?, directory: String) throws -> Replay {
        var replay = Replay()
        // Below the log's recovery point every batch was fsynced before the point moved past it.
        let syncedEnd = log.recoveryReport.recoveryPoint ?? 0
        var isCheckpointComplete = checkpoint == nil
        var position = start
        reading: while position < log.logEndOffset {
            let read: LogReadResult
            do { read = try log.read(from: position, maxBytes: replayReadBytes) } catch { throw BrokerError(error) }
            if let lost = read.lostOffsets {
                if lost.upperBound <= syncedEnd {
                    // Damage to bytes that were fsynced (they may hold acknowledged changes): read on
                    // after it, keeping every later change that still applies.
                    replay.damaged.append(lost)
                    position = lost.upperBound
                    continue reading
                }
                // Bytes that were not yet synced when the power went: nothing from here on was
                // awaited durable. Stop, so that the state is what a prefix of the changes made.
                replay.dropped = lost.lowerBound..<log.logEndOffset
                break reading
            }
            guard !read.batches.isEmpty else { break }
            for batch in read.batches {
                let records: [Record]
                do {
                    records = try batch.records()
                } catch {
                    throw BrokerError(
                        .storageError,
                        "\(directory): group state batch at offset \(batch.baseOffset) does not decode: "
                            + "\(BrokerError(error).message)"
                    )
                }
                for stored in records where stored.offset >= position {
                    let record: GroupStateRecord
                    do {
                        record = try GroupStateRecord.decode(key: stored.key, value: stored.value)
                    } catch {
                        throw BrokerError(
                            .storageError,
                            "\(directory): group state record at offset \(stored.offset): \(BrokerError(error).message)"
                        )
                    }
                    if let problem = replay.view.problem(applying: CollectionOfOne(record)) {
                        // After damage, a change may refer to a group whose creation was lost.
                        if !replay.damaged.isEmpty {
                            replay.skippedAfterDamage += 1
                            continue
                        }
                        throw BrokerError(
                            .storageError,
                            "\(directory): group state record at offset \(stored.offset) does not apply: \(problem)"
                        )
                    }
                    replay.view.apply(record)
                    replay.recordsRead += 1
                    if record.isChange { replay.changes += 1 }
                    if case .checkpointMarker(let firstOffset) = record, firstOffset == checkpoint {
                        isCheckpointComplete = true
                    }
                }
                position = batch.lastOffset + 1
            }
        }
        // (Damage may have taken the marker itself: its checkpoint was complete, or there would
        // be no `checkpoint` file naming it.)
        guard isCheckpointComplete || !replay.damaged.isEmpty else {
            throw BrokerError(
                .storageError,
                "\(directory): the checkpoint at offset \(checkpoint ?? 0) has no marker in the log "
                    + "(read up to \(position)): durable records were lost"
            )
        }
        return replay
    }

    /// Writes a checkpoint of the view and completes it before returning: for the open, after
    /// the log lost offsets. Blocks on the disk.
    func checkpointNow() throws {
        let pending = try lock.withLock { () throws -> PendingCheckpoint in
            let pending = try writeCheckpointRecordsLocked()
            do { try log.flush() } catch { throw BrokerError(error) }
            return pending
        }
        try writeCheckpointFile(pending)
    }
}
