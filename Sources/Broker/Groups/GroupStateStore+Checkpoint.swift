import LogStore
import Logging
import NIOCore
import RecordCodec

/// Checkpoints: the whole view written as snapshot records, then a marker; once the marker is
/// durable, the `checkpoint` file names the checkpoint's first offset and the segments before it
/// are deleted.
///
/// The `checkpoint` file is 18 bytes, big-endian, replaced atomically (temporary file, fsync,
/// rename, fsync of the directory):
/// ```
/// offset size field
///      0    4 magic    ASCII "SLGC"
///      4    2 version  1
///      6    8 offset   the first offset of the last complete checkpoint
///     14    4 crc      CRC-32C of bytes 0..<14
/// ```
extension GroupStateStore {
    /// The file naming where start-up begins reading.
    public static let checkpointFileName = "checkpoint"
    static let checkpointMagic: [UInt8] = Array("SLGC".utf8)
    static let checkpointVersion: UInt16 = 1
    static let checkpointFileSize = 18

    /// Starts a checkpoint if enough changes were appended since the last one began (whether or
    /// not that one is complete yet). Call with the lock held; complete the result with
    /// ``completeWhenDurable(_:)`` after releasing it. A failure is logged and counted, not
    /// thrown (the changes are written); the next checkpoint is tried after another
    /// `snapshotEveryEvents` changes, so that a failing one (a full disk, a snapshot over
    /// `maxBatchBytes`) does not rewrite the view at every append.
    func startCheckpointIfDue() -> PendingCheckpoint? {
        guard statistics.changesSinceCheckpoint >= configuration.snapshotEveryEvents else { return nil }
        do {
            return try writeCheckpointRecordsLocked()
        } catch {
            statistics.changesSinceCheckpoint = 0
            statistics.checkpointsFailed += 1
            logger.warning(
                "group state checkpoint failed; the previous one stays the start point",
                metadata: ["error": "\(error)", "directory": "\(directory)"]
            )
            return nil
        }
    }

    /// Writes the view as a checkpoint at the log end, in a new segment, and remembers it as
    /// pending. Call with the lock held.
    ///
    /// A checkpoint cut short (by a failure or a crash) is harmless: each snapshot record replaces
    /// its partition's state with the state at that point of the log, so replaying some of them
    /// after the previous checkpoint changes nothing; only the marker makes it the start point.
    func writeCheckpointRecordsLocked() throws -> PendingCheckpoint {
        do { try log.startNewSegment() } catch { throw BrokerError(error) }
        let firstOffset = log.logEndOffset
        let now = configuration.clock()
        var batch: [Record] = []
        var batchBytes = 0
        func add(_ record: GroupStateRecord) {
            let value = record.encodedValue()
            batch.append(Record(key: record.encodedKey(), value: value, timestamp: now))
            // The value, the key and about the record's own overhead.
            batchBytes += value.readableBytes + (record.group?.utf8.count ?? 0) + 32
        }
        for record in view.checkpointRecords() {
            add(record)
            if batchBytes >= configuration.checkpointBatchBytes {
                _ = try appendLocked(RecordBatch(records: batch))
                batch.removeAll(keepingCapacity: true)
                batchBytes = 0
            }
        }
        add(.checkpointMarker(firstOffset: firstOffset))
        let marker = try appendLocked(RecordBatch(records: batch))
        let pending = PendingCheckpoint(firstOffset: firstOffset, markerOffset: marker.lastOffset)
        pendingCheckpoint = pending
        statistics.changesSinceCheckpoint = 0
        statistics.checkpointsWritten += 1
        return pending
    }

    /// Once the checkpoint's marker is durable, writes the `checkpoint` file and deletes the
    /// segments before the checkpoint. Call without the lock; the work runs on the flush thread
    /// (two fsyncs, once per checkpoint), or here if the marker is durable already.
    func completeWhenDurable(_ pending: PendingCheckpoint) {
        requestDurable(pending.markerOffset) { result in
            do {
                _ = try result.get()
                try self.writeCheckpointFile(pending)
            } catch {
                self.logger.warning(
                    "group state checkpoint not completed; the previous one stays the start point",
                    metadata: ["error": "\(error)", "directory": "\(self.directory)"]
                )
                self.lock.withLock {
                    self.statistics.checkpointsFailed += 1
                    if self.pendingCheckpoint?.firstOffset == pending.firstOffset { self.pendingCheckpoint = nil }
                }
            }
        }
    }

    /// Writes the `checkpoint` file naming `pending` (whose marker is durable), then deletes the
    /// segments before it unless the store is closed.
    func writeCheckpointFile(_ pending: PendingCheckpoint) throws {
        try checkpointFileLock.withLock {
            guard writtenCheckpointOffset.map({ $0 < pending.firstOffset }) ?? true else { return }
            do {
                try FileSystem.writeAtomically(
                    Self.encodeCheckpoint(pending.firstOffset),
                    to: directory + "/" + Self.checkpointFileName,
                    directory: directory,
                    io: io
                )
            } catch {
                throw BrokerError(error)
            }
            writtenCheckpointOffset = pending.firstOffset
        }
        lock.withLock {
            statistics.checkpointOffset = pending.firstOffset
            statistics.checkpointsCompleted += 1
            if pendingCheckpoint?.firstOffset == pending.firstOffset { pendingCheckpoint = nil }
            guard !isClosed else { return }
            do {
                try log.deleteSegments(before: pending.firstOffset)
            } catch {
                // Left for the next checkpoint or open, which delete them again.
                logger.warning(
                    "group state segments before the checkpoint not deleted",
                    metadata: ["error": "\(error)", "directory": "\(directory)"]
                )
            }
        }
    }

    /// The `checkpoint` file's bytes for `offset`.
    static func encodeCheckpoint(_ offset: Int64) -> [UInt8] {
        var bytes = checkpointMagic
        withUnsafeBytes(of: checkpointVersion.bigEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: offset.bigEndian) { bytes.append(contentsOf: $0) }
        let crc = CRC32C.checksum(bytes)
        withUnsafeBytes(of: crc.bigEndian) { bytes.append(contentsOf: $0) }
        return bytes
    }

    /// The offset the `checkpoint` file in `directory` names, or `nil` if there is none.
    /// - Throws: ``BrokerError`` (`storageError`) if it is damaged or cannot be read.
    static func readCheckpoint(directory: String, io: any FileIO) throws -> Int64? {
        let path = directory + "/" + checkpointFileName
        guard io.exists(path) else { return nil }
        var bytes = [UInt8](repeating: 0, count: checkpointFileSize + 1)
        let count: Int
        do {
            let descriptor = try io.open(path, create: false)
            defer { io.close(descriptor) }
            count = try bytes.withUnsafeMutableBytes { buffer throws(FileIOError) in
                var total = 0
                while total < buffer.count {
                    let read = try io.pread(
                        descriptor,
                        into: UnsafeMutableRawBufferPointer(rebasing: buffer[total...]),
                        at: Int64(total)
                    )
                    if read == 0 { break }
                    total += read
                }
                return total
            }
        } catch {
            throw BrokerError(.storageError, "\(path): \(error)")
        }
        guard count == checkpointFileSize, Array(bytes[0..<4]) == checkpointMagic else {
            throw BrokerError(.storageError, "\(path) is not an \(checkpointFileSize)-byte SLGC checkpoint")
        }
        func integer<T: FixedWidthInteger>(_ type: T.Type, at position: Int) -> T {
            bytes[position..<(position + MemoryLayout<T>.size)].reduce(T.zero) { $0 << 8 | T($1) }
        }
        guard integer(UInt32.self, at: 14) == CRC32C.checksum(bytes[0..<14]) else {
            throw BrokerError(.storageError, "\(path) is damaged (CRC mismatch)")
        }
        let version = integer(UInt16.self, at: 4)
        guard version == checkpointVersion else {
            throw BrokerError(.storageError, "\(path) has unknown version \(version)")
        }
        let offset = integer(Int64.self, at: 6)
        guard offset >= 0 else { throw BrokerError(.storageError, "\(path) names a negative offset \(offset)") }
        return offset
    }
}
