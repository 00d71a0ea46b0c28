import LogStore
import LogStoreTesting
import NIOConcurrencyHelpers

/// A ``FileIO`` over a ``SimulatedDisk`` that cuts the power at a chosen instant: just before its
/// Nth changing call (write, truncate, `fdatasync`, directory change or fsync), from whichever
/// thread makes it, it takes the disk a power cut then leaves and calls `onCut` (in the same
/// instant, before the call goes on against the old disk). So the cut falls anywhere in the
/// middle of a write path: between a write and its sync, between a log append and the fsync of
/// another log, in a checkpoint or a run file being written.
///
/// Everything done before the cut and answered as durable was synced before it, so a test reads
/// what was answered in `onCut` and checks it against the disk returned.
final class CuttingDisk: FileIO, @unchecked Sendable {
    let base: SimulatedDisk
    private struct Plan {
        var remaining: Int
        var seed: UInt64
        var onCut: @Sendable () -> Void
    }
    private let state = NIOLockedValueBox<(plan: Plan?, after: SimulatedDisk?)>((nil, nil))

    init(_ base: SimulatedDisk) { self.base = base }

    /// Cuts the power just before the `count`th changing call from now (`count` ≥ 1), with the
    /// disk's randomness from `seed`; `onCut` runs at that instant.
    func arm(after count: Int, seed: UInt64, onCut: @escaping @Sendable () -> Void) {
        state.withLockedValue { $0 = (Plan(remaining: max(1, count), seed: seed, onCut: onCut), nil) }
    }

    /// The disk the cut left, once it has happened.
    var afterCut: SimulatedDisk? { state.withLockedValue { $0.after } }

    /// Cuts now if no changing call has (for a plan whose count was never reached).
    func cutNow(seed: UInt64, onCut: @Sendable () -> Void) -> SimulatedDisk {
        state.withLockedValue { state in
            if let after = state.after { return after }
            onCut()
            let after = base.powerCut(seed: seed)
            state = (nil, after)
            return after
        }
    }

    /// Counts a changing call, cutting if it is the planned one. The lock is held while the cut
    /// is taken, so no other changing call slips in between.
    private func changing() {
        state.withLockedValue { state in
            guard var plan = state.plan else { return }
            plan.remaining -= 1
            if plan.remaining > 0 {
                state.plan = plan
                return
            }
            plan.onCut()
            state = (nil, base.powerCut(seed: plan.seed))
        }
    }

    func open(_ path: String, create: Bool) throws(FileIOError) -> Int32 {
        if create, !base.exists(path) { changing() }
        return try base.open(path, create: create)
    }
    func close(_ descriptor: Int32) { base.close(descriptor) }
    func pread(
        _ descriptor: Int32,
        into buffer: UnsafeMutableRawBufferPointer,
        at position: Int64
    )
        throws(FileIOError) -> Int
    { try base.pread(descriptor, into: buffer, at: position) }
    func pwrite(_ descriptor: Int32, _ buffer: UnsafeRawBufferPointer, at position: Int64) throws(FileIOError) -> Int {
        changing()
        return try base.pwrite(descriptor, buffer, at: position)
    }
    func pwritev(
        _ descriptor: Int32,
        _ head: UnsafeRawBufferPointer,
        _ body: UnsafeRawBufferPointer,
        at position: Int64
    ) throws(FileIOError) -> Int {
        changing()
        return try base.pwritev(descriptor, head, body, at: position)
    }
    func ftruncate(_ descriptor: Int32, to size: Int64) throws(FileIOError) {
        changing()
        try base.ftruncate(descriptor, to: size)
    }
    func fdatasync(_ descriptor: Int32) throws(FileIOError) {
        changing()
        try base.fdatasync(descriptor)
    }
    func fileSize(_ descriptor: Int32) throws(FileIOError) -> Int64 { try base.fileSize(descriptor) }
    func modificationTimeMilliseconds(_ descriptor: Int32) throws(FileIOError) -> Int64? {
        try base.modificationTimeMilliseconds(descriptor)
    }
    func tryLock(_ descriptor: Int32) throws(FileIOError) -> Bool { try base.tryLock(descriptor) }
    func unlock(_ descriptor: Int32) { base.unlock(descriptor) }
    func mkdir(_ path: String) throws(FileIOError) {
        changing()
        try base.mkdir(path)
    }
    func contentsOfDirectory(_ path: String) throws(FileIOError) -> [String] { try base.contentsOfDirectory(path) }
    func exists(_ path: String) -> Bool { base.exists(path) }
    func unlink(_ path: String) throws(FileIOError) {
        changing()
        try base.unlink(path)
    }
    func rename(_ from: String, to: String) throws(FileIOError) {
        changing()
        try base.rename(from, to: to)
    }
    func syncDirectory(_ path: String) throws(FileIOError) {
        changing()
        try base.syncDirectory(path)
    }
}
