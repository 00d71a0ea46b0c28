import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The part of a ``PartitionLog`` that the flush thread touches: which files have unsynced
/// writes, how far the log is durable, and the recovery point to checkpoint.
///
/// The log's owner records what it wrote (``noteAppend(to:endOffset:)``, ``noteRoll(sealed:newBaseOffset:)``);
/// the flush thread calls ``flush()``. Everything shared sits behind one lock, held only to copy
/// or update a few fields — never across a system call.
final class LogFlusher: Sendable {
    struct State {
        /// Files with writes not yet synced.
        var dirtyFiles: [LogFile] = []
        /// A segment file was created, so the directory entry must be synced.
        var isDirectoryDirty = false
        /// One past the last appended offset.
        var appendedEndOffset: Int64
        /// One past the last offset known to be on disk.
        var durableEndOffset: Int64
        /// A recovery point to checkpoint once the files before it are synced.
        var pendingCheckpoint: Int64?
        /// The first failed `fdatasync`/`fsync`; after one, the log refuses appends until it is
        /// reopened (the kernel may have dropped the unsynced pages and a later sync would succeed
        /// without them, so "durable" can no longer be promised).
        var failure: LogStoreError?
    }

    let directory: String
    let io: any FileIO
    private let state: NIOLockedValueBox<State>
    /// Serialises whole flushes (the flush thread's and a closing owner's), so that a flush that
    /// finds nothing dirty never returns while another is still syncing what it took.
    private let flushing = NIOLock()

    init(directory: String, endOffset: Int64, io: any FileIO) {
        self.directory = directory
        self.io = io
        self.state = NIOLockedValueBox(State(appendedEndOffset: endOffset, durableEndOffset: endOffset))
    }

    var durableEndOffset: Int64 { state.withLockedValue { $0.durableEndOffset } }
    var failure: LogStoreError? { state.withLockedValue { $0.failure } }

    /// Records a write to `file` that brought the log end to `endOffset`.
    func noteAppend(to file: LogFile, endOffset: Int64) {
        state.withLockedValue { state in
            state.appendedEndOffset = endOffset
            if !state.dirtyFiles.contains(where: { $0 === file }) { state.dirtyFiles.append(file) }
        }
    }

    /// Records that a new segment file exists (its directory entry must be synced).
    func noteFileCreated() {
        state.withLockedValue { $0.isDirectoryDirty = true }
    }

    /// Records a roll: the sealed segment's files must be synced, then the recovery point may
    /// move to `newBaseOffset`.
    func noteRoll(sealed files: [LogFile], newBaseOffset: Int64) {
        state.withLockedValue { state in
            for file in files where !state.dirtyFiles.contains(where: { $0 === file }) {
                state.dirtyFiles.append(file)
            }
            state.isDirectoryDirty = true
            state.pendingCheckpoint = newBaseOffset
        }
    }

    /// Whether there are writes a flush would sync.
    var hasUnsyncedWrites: Bool {
        state.withLockedValue { !$0.dirtyFiles.isEmpty || $0.isDirectoryDirty || $0.pendingCheckpoint != nil }
    }

    /// Syncs every dirty file (one `fdatasync` each), then the directory if needed, then writes
    /// a pending checkpoint. Blocks: runs on the flush thread, or at close.
    /// - Returns: the durable end offset after the flush.
    @discardableResult
    func flush() throws -> Int64 {
        try flushing.withLock { try flushLocked() }
    }

    /// The `errno` values of a call that failed for want of a resource before touching any data
    /// (opening the directory or the checkpoint's temporary file): the next flush may succeed.
    static let resourceErrors: Set<Int32> = [EMFILE, ENFILE, ENOMEM, ENOSPC, EDQUOT]

    private func flushLocked() throws -> Int64 {
        if let failure = self.failure { throw failure }
        let (files, syncDirectory, endOffset, checkpoint) = state.withLockedValue { state in
            defer {
                state.dirtyFiles.removeAll(keepingCapacity: true)
                state.isDirectoryDirty = false
                state.pendingCheckpoint = nil
            }
            return (state.dirtyFiles, state.isDirectoryDirty, state.appendedEndOffset, state.pendingCheckpoint)
        }
        // Which failures are final: a failed `fdatasync` of a segment file, or a failed `fsync` of
        // the directory (not its `open`). Anything else leaves the data as it was, so the flush's
        // work is handed back to the next flush, which must succeed before anything it covers is
        // reported durable.
        var isFinal = true
        do {
            for file in files { try file.sync() }
            if syncDirectory {
                do throws(FileIOError) {
                    try io.syncDirectory(directory)
                } catch {
                    isFinal = !(error.call == "open" && Self.resourceErrors.contains(error.errno))
                    throw LogStoreError(error, path: directory)
                }
            }
            if let checkpoint {
                // The checkpoint is its own temporary file, written after the data is synced.
                isFinal = false
                try RecoveryCheckpoint(offset: checkpoint).write(directory: directory, io: io)
            }
        } catch let error as LogStoreError {
            state.withLockedValue { state in
                if isFinal {
                    if state.failure == nil { state.failure = error }
                    return
                }
                for file in files where !state.dirtyFiles.contains(where: { $0 === file }) {
                    state.dirtyFiles.append(file)
                }
                state.isDirectoryDirty = state.isDirectoryDirty || syncDirectory
                if let checkpoint { state.pendingCheckpoint = max(state.pendingCheckpoint ?? checkpoint, checkpoint) }
            }
            throw error
        }
        return state.withLockedValue { state in
            state.durableEndOffset = max(state.durableEndOffset, endOffset)
            return state.durableEndOffset
        }
    }
}
