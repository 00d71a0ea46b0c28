import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An open file of the log, addressed by explicit positions (`pread`/`pwrite`), closed when the
/// last reference goes away.
///
/// Sendable: the descriptor never changes, and positional reads, writes and `fdatasync` may run on
/// different threads at once. The flush thread keeps a reference while it syncs, so a segment that
/// rolls or is deleted meanwhile does not close the descriptor under it.
final class LogFile: Sendable {
    let path: String
    let descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }

    /// Opens `path` for reading and writing, creating it if `create` is set.
    static func open(_ path: String, create: Bool) throws -> LogFile {
        let flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0)
        let descriptor = Glibc.open(path, flags, 0o644)
        guard descriptor >= 0 else { throw LogStoreError.system("open", path: path) }
        return LogFile(path: path, descriptor: descriptor)
    }

    /// The file's size in bytes.
    func size() throws -> Int64 {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw LogStoreError.system("fstat", path: path) }
        return Int64(info.st_size)
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
            try buffer.withUnsafeReadableBytes { body in
                var vectors = [
                    iovec(iov_base: UnsafeMutableRawPointer(mutating: head.baseAddress!), iov_len: 8),
                    iovec(iov_base: UnsafeMutableRawPointer(mutating: body.baseAddress! + 8), iov_len: body.count - 8),
                ]
                while true {
                    let result = pwritev(descriptor, &vectors, 2, off_t(position))
                    if result >= 0 { return result }
                    if errno != EINTR { throw LogStoreError.system("pwritev", path: path, position: position) }
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

    /// Writes all of `bytes` at `position`, retrying short writes and `EINTR`.
    func write(_ bytes: UnsafeRawBufferPointer, at position: Int64) throws {
        var written = 0
        while written < bytes.count {
            let result = pwrite(
                descriptor,
                bytes.baseAddress! + written,
                bytes.count - written,
                off_t(position) + off_t(written)
            )
            if result < 0 {
                if errno == EINTR { continue }
                throw LogStoreError.system("pwrite", path: path, position: position + Int64(written))
            }
            written += result
        }
    }

    /// Reads up to `count` bytes at `position` into `buffer`'s writable space.
    /// - Returns: the bytes read; fewer than `count` only at the end of the file.
    @discardableResult
    func read(into buffer: inout ByteBuffer, at position: Int64, count: Int) throws -> Int {
        buffer.reserveCapacity(minimumWritableBytes: count)
        return try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { space in
            var total = 0
            while total < count {
                let result = pread(
                    descriptor,
                    space.baseAddress! + total,
                    count - total,
                    off_t(position) + off_t(total)
                )
                if result < 0 {
                    if errno == EINTR { continue }
                    throw LogStoreError.system("pread", path: path, position: position + Int64(total))
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
        guard ftruncate(descriptor, off_t(size)) == 0 else {
            throw LogStoreError.system("ftruncate", path: path, position: size)
        }
    }

    /// Takes an exclusive advisory lock (`flock`) without waiting.
    /// - Returns: `false` if another open file description holds it.
    func tryLock() throws -> Bool {
        if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { return true }
        if errno == EWOULDBLOCK { return false }
        throw LogStoreError.system("flock", path: path)
    }

    /// Releases the lock taken by ``tryLock()`` (closing the file releases it too).
    func unlock() {
        flock(descriptor, LOCK_UN)
    }

    /// Forces written data to disk (`fdatasync`).
    func sync() throws {
        while fdatasync(descriptor) != 0 {
            if errno == EINTR { continue }
            throw LogStoreError.system("fdatasync", path: path)
        }
    }
}

/// Directory and path operations the log needs, each throwing ``LogStoreError``.
public enum FileSystem {
    /// Creates `path` (one level) if it does not exist.
    static func createDirectory(_ path: String) throws {
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw LogStoreError.system("mkdir", path: path)
        }
    }

    /// The names in `path`, without `.` and `..`.
    static func contents(of path: String) throws -> [String] {
        guard let directory = opendir(path) else { throw LogStoreError.system("opendir", path: path) }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// Removes a file; a file that is already gone is not an error.
    static func remove(_ path: String) throws {
        if unlink(path) != 0 && errno != ENOENT {
            throw LogStoreError.system("unlink", path: path)
        }
    }

    static func rename(_ from: String, to: String) throws {
        if Glibc.rename(from, to) != 0 {
            throw LogStoreError.system("rename", path: from)
        }
    }

    /// fsyncs a directory, making creations, renames and removals in it durable.
    static func syncDirectory(_ path: String) throws {
        let descriptor = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw LogStoreError.system("open", path: path) }
        defer { close(descriptor) }
        while fsync(descriptor) != 0 {
            if errno == EINTR { continue }
            throw LogStoreError.system("fsync", path: path)
        }
    }

    /// Writes `bytes` to `path` atomically: a temporary file, fsync, rename, fsync of the directory.
    /// The broker's small metadata files (`topic.json`, `producer-ids`) use it too.
    public static func writeAtomically(_ bytes: [UInt8], to path: String, directory: String) throws {
        let temporary = path + ".tmp"
        do {
            let file = try LogFile.open(temporary, create: true)
            try file.truncate(to: 0)
            try bytes.withUnsafeBytes { try file.write($0, at: 0) }
            try file.sync()
        }
        try rename(temporary, to: path)
        try syncDirectory(directory)
    }
}

extension LogStoreError {
    /// An `ioFailure` for a failed system call, with `errno`'s text.
    static func system(
        _ call: String,
        path: String,
        position: Int64? = nil,
        file: StaticString = #fileID,
        line: UInt = #line
    ) -> LogStoreError {
        let code = Glibc.errno
        let reason = String(cString: strerror(code))
        return LogStoreError(
            .ioFailure,
            "\(call) failed: \(reason) (errno \(code))",
            path: path,
            position: position,
            errno: code,
            file: file,
            line: line
        )
    }
}
