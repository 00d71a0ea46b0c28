import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An open file of the log, addressed by explicit positions (`pread`/`pwrite`), closed when the
/// last reference goes away. Every call goes through the log's ``FileIO`` (the real file system,
/// or a simulated disk in tests); a failure is thrown as ``LogStoreError`` `ioFailure` naming the
/// file, the position and the `errno`.
///
/// A file is either *pinned* (opened once, its descriptor kept until the object goes: the active
/// segment's files, the lock) or *on demand* (opened when used and closed again by an
/// ``OpenFileLimiter``: the files of sealed segments, so that they do not pin descriptors).
///
/// Sendable: a pinned descriptor never changes, an on-demand one is guarded by its limiter, and
/// positional reads, writes and `fdatasync` may run on different threads at once. The flush thread
/// keeps a reference while it syncs, so a segment that rolls or is deleted meanwhile does not close
/// the descriptor under it.
final class LogFile: Sendable {
    let path: String
    let io: any FileIO
    /// The descriptor of a pinned file; -1 for an on-demand one.
    private let pinnedDescriptor: Int32
    /// The limiter of an on-demand file.
    private let limiter: OpenFileLimiter?

    private init(path: String, descriptor: Int32, io: any FileIO, limiter: OpenFileLimiter?) {
        self.path = path
        self.pinnedDescriptor = descriptor
        self.io = io
        self.limiter = limiter
    }

    deinit {
        if let limiter {
            limiter.forget(self)
        } else {
            io.close(pinnedDescriptor)
        }
    }

    /// An existing file that is opened only while it is used, within `limiter`'s limit.
    static func onDemand(_ path: String, io: any FileIO, limiter: OpenFileLimiter) -> LogFile {
        LogFile(path: path, descriptor: -1, io: io, limiter: limiter)
    }

    /// Whether the file is opened on demand rather than pinned.
    var isOnDemand: Bool { limiter != nil }

    /// Runs `body` with the file's descriptor: a direct call for a pinned file.
    @inline(__always)
    private func withDescriptor<T>(_ body: (Int32) throws -> T) throws -> T {
        if pinnedDescriptor >= 0 { return try body(pinnedDescriptor) }
        return try limiter!.withDescriptor(of: self, body)
    }

    /// Opens `path` for reading and writing, creating it if `create` is set.
    static func open(_ path: String, create: Bool, io: any FileIO) throws -> LogFile {
        do throws(FileIOError) {
            return LogFile(path: path, descriptor: try io.open(path, create: create), io: io, limiter: nil)
        } catch {
            throw LogStoreError(error, path: path)
        }
    }

    /// The file's size in bytes.
    func size() throws -> Int64 {
        try withDescriptor { descriptor in
            do throws(FileIOError) { return try io.fileSize(descriptor) } catch {
                throw LogStoreError(error, path: path)
            }
        }
    }

    /// When the file's data last changed (milliseconds since the epoch), if the file system says.
    func modificationTimeMilliseconds() throws -> Int64? {
        try withDescriptor { descriptor in
            do throws(FileIOError) { return try io.modificationTimeMilliseconds(descriptor) } catch {
                throw LogStoreError(error, path: path)
            }
        }
    }

    /// Writes all readable bytes of `buffer` at `position`.
    func write(_ buffer: ByteBuffer, at position: Int64) throws {
        try buffer.withUnsafeReadableBytes { try write($0, at: position) }
    }

    /// Writes `buffer` at `position` with its first 8 bytes replaced by `prefix` (big-endian), in
    /// one `pwritev` and without copying or modifying the buffer: how a batch gets its offset.
    func write(_ buffer: ByteBuffer, at position: Int64, replacingFirst8BytesWith prefix: Int64) throws {
        precondition(buffer.readableBytes >= 8)
        var header = prefix.bigEndian
        let written = try withUnsafeBytes(of: &header) { head in
            try withDescriptor { descriptor in
                try buffer.withUnsafeReadableBytes { body in
                    do throws(FileIOError) {
                        return try io.pwritev(
                            descriptor,
                            head,
                            UnsafeRawBufferPointer(rebasing: body[8...]),
                            at: position
                        )
                    } catch {
                        throw LogStoreError(error, path: path, position: position)
                    }
                }
            }
        }
        guard written < buffer.readableBytes else { return }
        // A short write (rare: signals, a nearly full disk): finish piece by piece.
        if written < 8 {
            try withUnsafeBytes(of: &header) {
                try write(UnsafeRawBufferPointer(rebasing: $0[written...]), at: position + Int64(written))
            }
        }
        let from = max(written, 8)
        try buffer.withUnsafeReadableBytes { body in
            try write(UnsafeRawBufferPointer(rebasing: body[from...]), at: position + Int64(from))
        }
    }

    /// Writes all of `bytes` at `position`, retrying short writes.
    func write(_ bytes: UnsafeRawBufferPointer, at position: Int64) throws {
        try withDescriptor { descriptor in try write(bytes, at: position, descriptor: descriptor) }
    }

    private func write(_ bytes: UnsafeRawBufferPointer, at position: Int64, descriptor: Int32) throws {
        var written = 0
        while written < bytes.count {
            let at = position + Int64(written)
            do throws(FileIOError) {
                let result = try io.pwrite(descriptor, UnsafeRawBufferPointer(rebasing: bytes[written...]), at: at)
                // A write that makes no progress would loop forever: report it as a full disk.
                guard result > 0 else { throw FileIOError("pwrite", errno: ENOSPC) }
                written += result
            } catch {
                throw LogStoreError(error, path: path, position: at)
            }
        }
    }

    /// Reads up to `count` bytes at `position` into `buffer`'s writable space.
    /// - Returns: the bytes read; fewer than `count` only at the end of the file.
    @discardableResult
    func read(into buffer: inout ByteBuffer, at position: Int64, count: Int) throws -> Int {
        buffer.reserveCapacity(minimumWritableBytes: count)
        return try withDescriptor { descriptor in
            try read(into: &buffer, at: position, count: count, descriptor: descriptor)
        }
    }

    private func read(into buffer: inout ByteBuffer, at position: Int64, count: Int, descriptor: Int32) throws -> Int {
        try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { space in
            var total = 0
            while total < count {
                let at = position + Int64(total)
                let result: Int
                do throws(FileIOError) {
                    result = try io.pread(
                        descriptor,
                        into: UnsafeMutableRawBufferPointer(rebasing: space[total..<count]),
                        at: at
                    )
                } catch {
                    throw LogStoreError(error, path: path, position: at)
                }
                if result == 0 { break }
                total += result
            }
            return total
        }
    }

    /// Reads exactly `count` bytes at `position` into a new buffer, or fewer at the end of the file.
    func read(at position: Int64, count: Int) throws -> ByteBuffer {
        var buffer = ByteBuffer()
        try read(into: &buffer, at: position, count: count)
        return buffer
    }

    /// Cuts the file to `size` bytes.
    func truncate(to size: Int64) throws {
        try withDescriptor { descriptor in
            do throws(FileIOError) { try io.ftruncate(descriptor, to: size) } catch {
                throw LogStoreError(error, path: path, position: size)
            }
        }
    }

    /// Takes an exclusive advisory lock (`flock`) without waiting.
    /// - Returns: `false` if another open file description holds it.
    func tryLock() throws -> Bool {
        precondition(!isOnDemand, "only a pinned file can hold a lock")
        do throws(FileIOError) { return try io.tryLock(pinnedDescriptor) } catch {
            throw LogStoreError(error, path: path)
        }
    }

    /// Releases the lock taken by ``tryLock()`` (closing the file releases it too).
    func unlock() {
        if !isOnDemand { io.unlock(pinnedDescriptor) }
    }

    /// Forces written data to disk (`fdatasync`).
    func sync() throws {
        try withDescriptor { descriptor in
            do throws(FileIOError) { try io.fdatasync(descriptor) } catch { throw LogStoreError(error, path: path) }
        }
    }
}

/// Directory and path operations the log needs, each throwing ``LogStoreError``.
public enum FileSystem {
    /// Creates `path` (one level) if it does not exist.
    /// - Returns: whether it created the directory.
    @discardableResult
    static func createDirectory(_ path: String, io: any FileIO) throws -> Bool {
        do throws(FileIOError) {
            try io.mkdir(path)
            return true
        } catch  where error.errno == EEXIST {
            return false
        } catch {
            throw LogStoreError(error, path: path)
        }
    }

    /// The names in `path`, without `.` and `..`.
    static func contents(of path: String, io: any FileIO) throws -> [String] {
        do throws(FileIOError) { return try io.contentsOfDirectory(path) } catch {
            throw LogStoreError(error, path: path)
        }
    }

    static func exists(_ path: String, io: any FileIO) -> Bool {
        io.exists(path)
    }

    /// Removes a file; a file that is already gone is not an error.
    static func remove(_ path: String, io: any FileIO) throws {
        do throws(FileIOError) { try io.unlink(path) } catch  where error.errno == ENOENT {} catch {
            throw LogStoreError(error, path: path)
        }
    }

    static func rename(_ from: String, to: String, io: any FileIO) throws {
        do throws(FileIOError) { try io.rename(from, to: to) } catch { throw LogStoreError(error, path: from) }
    }

    /// fsyncs a directory, making creations, renames and removals in it durable.
    static func syncDirectory(_ path: String, io: any FileIO) throws {
        do throws(FileIOError) { try io.syncDirectory(path) } catch { throw LogStoreError(error, path: path) }
    }

    /// Writes `bytes` to `path` atomically: a temporary file, fsync, rename, fsync of the directory.
    /// The broker's small metadata files (`topic.json`, `producer-ids`) use it too.
    ///
    /// If a step fails, `path` keeps its previous contents and the temporary file is removed (if
    /// that fails too, the next ``PartitionLog/open(directory:configuration:scheduler:clock:fileIO:)``
    /// of a log directory removes it).
    public static func writeAtomically(
        _ bytes: [UInt8],
        to path: String,
        directory: String,
        io: any FileIO = PosixFileIO.shared
    ) throws {
        let temporary = path + ".tmp"
        do {
            let file = try LogFile.open(temporary, create: true, io: io)
            try file.truncate(to: 0)
            try bytes.withUnsafeBytes { try file.write($0, at: 0) }
            try file.sync()
        } catch {
            try? remove(temporary, io: io)
            throw error
        }
        try rename(temporary, to: path, io: io)
        try syncDirectory(directory, io: io)
    }
}

extension LogStoreError {
    /// An `ioFailure` for a failed system call, with `errno`'s text.
    init(
        _ failure: FileIOError,
        path: String,
        position: Int64? = nil,
        file: StaticString = #fileID,
        line: UInt = #line
    ) {
        self.init(
            .ioFailure,
            "\(failure.call) failed: \(Self.errnoText(failure.errno)) (errno \(failure.errno))",
            path: path,
            position: position,
            errno: failure.errno,
            file: file,
            line: line
        )
    }

    /// `strerror`'s text for `code`.
    static func errnoText(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
