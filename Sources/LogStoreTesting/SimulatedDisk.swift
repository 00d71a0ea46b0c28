import LogStore
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// FOR TESTS ONLY: an in-memory file system that knows what a power cut would keep.
///
/// It implements ``FileIO`` and remembers, per file, the bytes as the last `fdatasync` left them,
/// and per directory, the entries as the last directory fsync left them. ``powerCut(seed:)``
/// returns the disk a machine would find after losing power at this instant: synced bytes and
/// synced directory entries survive exactly; everything else is kept, dropped or torn at random,
/// from `seed`:
/// - file data: each 512-byte sector written since the last sync keeps its old bytes, takes the
///   new ones, or takes a prefix of the new ones (a torn sector); an unsynced size change may or
///   may not stick, and a file that grew without its data reaching the disk reads zeros there;
/// - directories: the operations since the directory's last fsync (create, unlink, rename) reach
///   the disk as a prefix in their order (as a journaling file system replays them); a directory
///   whose own entry was lost takes everything under it along.
///
/// It also injects faults (``Fault``): a chosen system call fails with a chosen `errno` on its Nth
/// matching call, for files whose path ends with a chosen suffix, once or persistently; a failing
/// write may first write some of its bytes (as a short write before `ENOSPC` would).
///
/// Thread-safe: one lock around the whole state, so a flush thread and a test may use it at once.
public final class SimulatedDisk: FileIO {
    /// A system call the disk can make fail.
    public enum Operation: String, Sendable, Hashable, CaseIterable {
        case open, read, write, truncate, sync, stat, lock, mkdir, list, unlink, rename, syncDirectory
    }

    /// A failure to inject: the `skip + 1`th call of `operation` on a path ending with
    /// `pathSuffix` (any path if `nil`) fails with `errno`, and so do the following ones up to
    /// `times` failures in all.
    public struct Fault: Sendable, Hashable {
        /// The system call that fails.
        public var operation: Operation
        /// Only paths ending with this (for example `".index"`, `".log"`, `"recovery-point.tmp"`).
        public var pathSuffix: String?
        /// The `errno` the call fails with, for example `ENOSPC` or `EIO`.
        public var errno: Int32
        /// How many matching calls succeed before the first failure.
        public var skip: Int
        /// How many matching calls fail, from the first failure on; `Int.max` for "from now on".
        public var times: Int
        /// For a write: how many of its bytes reach the file before it fails.
        public var bytesWrittenBeforeFailing: Int

        /// A fault; see the properties.
        public init(
            _ operation: Operation,
            pathSuffix: String? = nil,
            errno: Int32,
            skip: Int = 0,
            times: Int = 1,
            bytesWrittenBeforeFailing: Int = 0
        ) {
            self.operation = operation
            self.pathSuffix = pathSuffix
            self.errno = errno
            self.skip = skip
            self.times = times
            self.bytesWrittenBeforeFailing = bytesWrittenBeforeFailing
        }
    }

    struct Inode {
        var isDirectory: Bool
        /// The bytes as the program sees them.
        var data: [UInt8] = []
        /// The bytes as the last `fdatasync` left them on the disk.
        var synced: [UInt8] = []
    }

    enum DirectoryOperation {
        case link(String, Int)
        case unlink(String)
        case rename(String, String)
    }

    struct State {
        var inodes: [Int: Inode] = [0: Inode(isDirectory: true)]
        var nextInode = 1
        /// Full path to inode, as the program sees the tree; `/` is inode 0.
        var names: [String: Int] = ["/": 0]
        /// The tree as the last directory fsyncs left it on the disk.
        var durableNames: [String: Int] = ["/": 0]
        /// Per directory, the operations not yet made durable by an fsync of it, in order.
        var pending: [String: [DirectoryOperation]] = [:]
        var descriptors: [Int32: (inode: Int, path: String)] = [:]
        var nextDescriptor: Int32 = 3
        var locks: [Int: Int32] = [:]
        var faults: [(fault: Fault, seen: Int, failed: Int)] = []
        var counts: [Operation: Int] = [:]
    }

    let state: Mutex<State>

    /// An empty disk holding only the root directory `/`.
    public convenience init() {
        self.init(state: State())
    }

    init(state: consuming State) {
        self.state = Mutex(state)
    }

    // MARK: Test controls

    /// Adds a fault; faults are checked in the order they were added.
    public func inject(_ fault: Fault) {
        state.withLock { $0.faults.append((fault, 0, 0)) }
    }

    /// Removes every fault.
    public func clearFaults() {
        state.withLock { $0.faults.removeAll() }
    }

    /// How many times `operation` was called (failed calls included).
    public func count(_ operation: Operation) -> Int {
        state.withLock { $0.counts[operation, default: 0] }
    }

    /// How many descriptors are open now.
    public var openDescriptorCount: Int {
        state.withLock { $0.descriptors.count }
    }

    /// The bytes of the file at `path` as the program sees them, or `nil` if there is none.
    public func contents(of path: String) -> [UInt8]? {
        state.withLock { state in state.names[path].flatMap { state.inodes[$0]?.data } }
    }

    /// Replaces the bytes of the existing file at `path` and marks them synced (for damaging a
    /// file as a test would with a hex editor).
    public func overwrite(_ path: String, with bytes: [UInt8]) {
        state.withLock { state in
            guard let inode = state.names[path] else { preconditionFailure("no file \(path)") }
            state.inodes[inode]!.data = bytes
            state.inodes[inode]!.synced = bytes
        }
    }

    /// The bytes of `path` not yet covered by an `fdatasync` (0 for a fully synced file).
    public func unsyncedByteCount(of path: String) -> Int {
        state.withLock { state in
            guard let inode = state.names[path].flatMap({ state.inodes[$0] }) else { return 0 }
            let common = min(inode.data.count, inode.synced.count)
            var count = abs(inode.data.count - inode.synced.count)
            for index in 0..<common where inode.data[index] != inode.synced[index] { count += 1 }
            return count
        }
    }

    // MARK: Fault injection

    /// Counts the call and throws if a fault says so; a write's fault may let bytes through first.
    private static func check(
        _ operation: Operation,
        _ path: String,
        _ state: inout State
    ) throws(FileIOError) -> (fault: Fault, partial: Int)? {
        state.counts[operation, default: 0] += 1
        for index in state.faults.indices {
            let fault = state.faults[index].fault
            guard fault.operation == operation, fault.pathSuffix.map({ path.hasSuffix($0) }) ?? true else { continue }
            state.faults[index].seen += 1
            guard state.faults[index].seen > fault.skip, state.faults[index].failed < fault.times else { continue }
            state.faults[index].failed += 1
            if operation == .write && fault.bytesWrittenBeforeFailing > 0 {
                return (fault, fault.bytesWrittenBeforeFailing)
            }
            throw FileIOError(systemCall(operation, errno: fault.errno), errno: fault.errno)
        }
        return nil
    }

    /// The system call a real file system would report: a directory fsync that runs out of
    /// descriptors fails at its `open`, one that fails later at its `fsync`.
    private static func systemCall(_ operation: Operation, errno: Int32) -> String {
        switch operation {
        case .open, .mkdir, .unlink, .rename: return operation.rawValue
        case .read: return "pread"
        case .write: return "pwrite"
        case .truncate: return "ftruncate"
        case .sync: return "fdatasync"
        case .stat: return "fstat"
        case .lock: return "flock"
        case .list: return "opendir"
        case .syncDirectory: return [EMFILE, ENFILE, ENOMEM].contains(errno) ? "open" : "fsync"
        }
    }

    private static func file(_ descriptor: Int32, _ state: State) throws(FileIOError) -> (inode: Int, path: String) {
        guard let entry = state.descriptors[descriptor] else { throw FileIOError("descriptor", errno: EBADF) }
        return entry
    }

    // MARK: FileIO

    public func open(_ path: String, create: Bool) throws(FileIOError) -> Int32 {
        try state.withLock { state throws(FileIOError) in
            _ = try Self.check(.open, path, &state)
            let inode: Int
            if let existing = state.names[path] {
                guard !state.inodes[existing]!.isDirectory else { throw FileIOError("open", errno: EISDIR) }
                inode = existing
            } else {
                guard create else { throw FileIOError("open", errno: ENOENT) }
                let parent = Self.parentDirectory(of: path)
                guard let parentInode = state.names[parent], state.inodes[parentInode]!.isDirectory else {
                    throw FileIOError("open", errno: ENOENT)
                }
                inode = state.nextInode
                state.nextInode += 1
                state.inodes[inode] = Inode(isDirectory: false)
                state.names[path] = inode
                state.pending[parent, default: []].append(.link(path, inode))
            }
            let descriptor = state.nextDescriptor
            state.nextDescriptor += 1
            state.descriptors[descriptor] = (inode, path)
            return descriptor
        }
    }

    public func close(_ descriptor: Int32) {
        state.withLock { state in
            guard let entry = state.descriptors.removeValue(forKey: descriptor) else { return }
            if state.locks[entry.inode] == descriptor { state.locks.removeValue(forKey: entry.inode) }
        }
    }

    public func pread(
        _ descriptor: Int32,
        into buffer: UnsafeMutableRawBufferPointer,
        at position: Int64
    )
        throws(FileIOError) -> Int
    {
        try state.withLock { state throws(FileIOError) in
            let (inode, path) = try Self.file(descriptor, state)
            _ = try Self.check(.read, path, &state)
            let data = state.inodes[inode]!.data
            guard position < data.count else { return 0 }
            let count = min(buffer.count, data.count - Int(position))
            data.withUnsafeBytes { source in
                buffer.baseAddress!.copyMemory(from: source.baseAddress! + Int(position), byteCount: count)
            }
            return count
        }
    }

    public func pwrite(
        _ descriptor: Int32,
        _ buffer: UnsafeRawBufferPointer,
        at position: Int64
    ) throws(FileIOError)
        -> Int
    {
        try write(descriptor, [buffer], at: position)
    }

    public func pwritev(
        _ descriptor: Int32,
        _ head: UnsafeRawBufferPointer,
        _ body: UnsafeRawBufferPointer,
        at position: Int64
    ) throws(FileIOError) -> Int {
        try write(descriptor, [head, body], at: position)
    }

    private func write(
        _ descriptor: Int32,
        _ buffers: [UnsafeRawBufferPointer],
        at position: Int64
    )
        throws(FileIOError) -> Int
    {
        try state.withLock { state throws(FileIOError) in
            let (inode, path) = try Self.file(descriptor, state)
            var bytes: [UInt8] = []
            for buffer in buffers { bytes.append(contentsOf: buffer) }
            let partial = try Self.check(.write, path, &state)
            if let partial { bytes = Array(bytes.prefix(partial.partial)) }
            let start = Int(position)
            let end = start + bytes.count
            if state.inodes[inode]!.data.count < end {
                state.inodes[inode]!.data.append(
                    contentsOf: repeatElement(0, count: end - state.inodes[inode]!.data.count)
                )
            }
            state.inodes[inode]!.data.replaceSubrange(start..<end, with: bytes)
            if let partial { throw FileIOError("write", errno: partial.fault.errno) }
            return bytes.count
        }
    }

    public func ftruncate(_ descriptor: Int32, to size: Int64) throws(FileIOError) {
        try state.withLock { state throws(FileIOError) in
            let (inode, path) = try Self.file(descriptor, state)
            _ = try Self.check(.truncate, path, &state)
            let count = state.inodes[inode]!.data.count
            if Int(size) < count {
                state.inodes[inode]!.data.removeLast(count - Int(size))
            } else {
                state.inodes[inode]!.data.append(contentsOf: repeatElement(0, count: Int(size) - count))
            }
        }
    }

    public func fdatasync(_ descriptor: Int32) throws(FileIOError) {
        try state.withLock { state throws(FileIOError) in
            let (inode, path) = try Self.file(descriptor, state)
            _ = try Self.check(.sync, path, &state)
            state.inodes[inode]!.synced = state.inodes[inode]!.data
        }
    }

    public func fileSize(_ descriptor: Int32) throws(FileIOError) -> Int64 {
        try state.withLock { state throws(FileIOError) in
            let (inode, path) = try Self.file(descriptor, state)
            _ = try Self.check(.stat, path, &state)
            return Int64(state.inodes[inode]!.data.count)
        }
    }

    public func tryLock(_ descriptor: Int32) throws(FileIOError) -> Bool {
        try state.withLock { state throws(FileIOError) in
            let (inode, path) = try Self.file(descriptor, state)
            _ = try Self.check(.lock, path, &state)
            if let holder = state.locks[inode], holder != descriptor { return false }
            state.locks[inode] = descriptor
            return true
        }
    }

    public func unlock(_ descriptor: Int32) {
        state.withLock { state in
            guard let entry = state.descriptors[descriptor], state.locks[entry.inode] == descriptor else { return }
            state.locks.removeValue(forKey: entry.inode)
        }
    }

    public func mkdir(_ path: String) throws(FileIOError) {
        try state.withLock { state throws(FileIOError) in
            _ = try Self.check(.mkdir, path, &state)
            guard state.names[path] == nil else { throw FileIOError("mkdir", errno: EEXIST) }
            let parent = Self.parentDirectory(of: path)
            guard let parentInode = state.names[parent], state.inodes[parentInode]!.isDirectory else {
                throw FileIOError("mkdir", errno: ENOENT)
            }
            let inode = state.nextInode
            state.nextInode += 1
            state.inodes[inode] = Inode(isDirectory: true)
            state.names[path] = inode
            state.pending[parent, default: []].append(.link(path, inode))
        }
    }

    public func contentsOfDirectory(_ path: String) throws(FileIOError) -> [String] {
        try state.withLock { state throws(FileIOError) in
            _ = try Self.check(.list, path, &state)
            guard let inode = state.names[path], state.inodes[inode]!.isDirectory else {
                throw FileIOError("opendir", errno: ENOENT)
            }
            let prefix = path == "/" ? "/" : path + "/"
            return state.names.keys.compactMap { name in
                guard name != "/", name.hasPrefix(prefix) else { return nil }
                let rest = name.dropFirst(prefix.count)
                return rest.contains("/") ? nil : String(rest)
            }
        }
    }

    public func exists(_ path: String) -> Bool {
        state.withLock { $0.names[path] != nil }
    }

    public func unlink(_ path: String) throws(FileIOError) {
        try state.withLock { state throws(FileIOError) in
            _ = try Self.check(.unlink, path, &state)
            guard let inode = state.names[path] else { throw FileIOError("unlink", errno: ENOENT) }
            guard !state.inodes[inode]!.isDirectory else { throw FileIOError("unlink", errno: EISDIR) }
            state.names.removeValue(forKey: path)
            state.pending[Self.parentDirectory(of: path), default: []].append(.unlink(path))
        }
    }

    public func rename(_ from: String, to: String) throws(FileIOError) {
        try state.withLock { state throws(FileIOError) in
            _ = try Self.check(.rename, to, &state)
            let parent = Self.parentDirectory(of: from)
            precondition(parent == Self.parentDirectory(of: to), "the simulated disk renames within a directory")
            guard let inode = state.names.removeValue(forKey: from) else { throw FileIOError("rename", errno: ENOENT) }
            state.names[to] = inode
            state.pending[parent, default: []].append(.rename(from, to))
        }
    }

    public func syncDirectory(_ path: String) throws(FileIOError) {
        try state.withLock { state throws(FileIOError) in
            _ = try Self.check(.syncDirectory, path, &state)
            guard let inode = state.names[path], state.inodes[inode]!.isDirectory else {
                throw FileIOError("open", errno: ENOENT)
            }
            for operation in state.pending.removeValue(forKey: path) ?? [] {
                Self.apply(operation, to: &state.durableNames)
            }
        }
    }
}

/// SplitMix64, seedable, so that a power cut can be replayed from its seed.
