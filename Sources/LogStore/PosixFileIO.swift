#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The real file system: each ``FileIO`` method is one system call, retried on `EINTR`, with a
/// failure's `errno` thrown as ``FileIOError``.
///
/// A final class with no state: every log in a process shares ``shared``.
public final class PosixFileIO: FileIO {
    /// The instance every log uses unless given another ``FileIO``.
    public static let shared = PosixFileIO()

    private init() {}

    /// Runs `call` until it does not fail with `EINTR`; a negative result throws its `errno`.
    @inline(__always)
    private func retrying<T: BinaryInteger>(_ name: String, _ call: () -> T) throws(FileIOError) -> T {
        while true {
            let result = call()
            if result >= 0 { return result }
            let code = errno
            if code != EINTR { throw FileIOError(name, errno: code) }
        }
    }

    public func open(_ path: String, create: Bool) throws(FileIOError) -> Int32 {
        let flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0)
        return try retrying("open") { Glibc.open(path, flags, 0o644) }
    }

    public func close(_ descriptor: Int32) {
        _ = Glibc.close(descriptor)
    }

    public func pread(
        _ descriptor: Int32,
        into buffer: UnsafeMutableRawBufferPointer,
        at position: Int64
    )
        throws(FileIOError) -> Int
    {
        try retrying("pread") { Glibc.pread(descriptor, buffer.baseAddress, buffer.count, off_t(position)) }
    }

    public func pwrite(
        _ descriptor: Int32,
        _ buffer: UnsafeRawBufferPointer,
        at position: Int64
    ) throws(FileIOError)
        -> Int
    {
        try retrying("pwrite") { Glibc.pwrite(descriptor, buffer.baseAddress, buffer.count, off_t(position)) }
    }

    public func pwritev(
        _ descriptor: Int32,
        _ head: UnsafeRawBufferPointer,
        _ body: UnsafeRawBufferPointer,
        at position: Int64
    ) throws(FileIOError) -> Int {
        var vectors = (
            iovec(iov_base: UnsafeMutableRawPointer(mutating: head.baseAddress), iov_len: head.count),
            iovec(iov_base: UnsafeMutableRawPointer(mutating: body.baseAddress), iov_len: body.count)
        )
        return try withUnsafeMutableBytes(of: &vectors) { raw throws(FileIOError) in
            let pointer = raw.baseAddress!.assumingMemoryBound(to: iovec.self)
            return try retrying("pwritev") { Glibc.pwritev(descriptor, pointer, 2, off_t(position)) }
        }
    }

    public func ftruncate(_ descriptor: Int32, to size: Int64) throws(FileIOError) {
        _ = try retrying("ftruncate") { Glibc.ftruncate(descriptor, off_t(size)) }
    }

    public func fdatasync(_ descriptor: Int32) throws(FileIOError) {
        _ = try retrying("fdatasync") { Glibc.fdatasync(descriptor) }
    }

    public func fileSize(_ descriptor: Int32) throws(FileIOError) -> Int64 {
        var info = stat()
        _ = try retrying("fstat") { fstat(descriptor, &info) }
        return Int64(info.st_size)
    }

    public func modificationTimeMilliseconds(_ descriptor: Int32) throws(FileIOError) -> Int64? {
        var info = stat()
        _ = try retrying("fstat") { fstat(descriptor, &info) }
        return Int64(info.st_mtim.tv_sec) * 1000 + Int64(info.st_mtim.tv_nsec) / 1_000_000
    }

    public func tryLock(_ descriptor: Int32) throws(FileIOError) -> Bool {
        do {
            _ = try retrying("flock") { flock(descriptor, LOCK_EX | LOCK_NB) }
            return true
        } catch  where error.errno == EWOULDBLOCK {
            return false
        }
    }

    public func unlock(_ descriptor: Int32) {
        _ = flock(descriptor, LOCK_UN)
    }

    public func mkdir(_ path: String) throws(FileIOError) {
        _ = try retrying("mkdir") { Glibc.mkdir(path, 0o755) }
    }

    public func contentsOfDirectory(_ path: String) throws(FileIOError) -> [String] {
        guard let directory = opendir(path) else { throw FileIOError("opendir", errno: errno) }
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

    public func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    public func unlink(_ path: String) throws(FileIOError) {
        _ = try retrying("unlink") { Glibc.unlink(path) }
    }

    public func rename(_ from: String, to: String) throws(FileIOError) {
        _ = try retrying("rename") { Glibc.rename(from, to) }
    }

    public func syncDirectory(_ path: String) throws(FileIOError) {
        let descriptor = try retrying("open") { Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { Glibc.close(descriptor) }
        _ = try retrying("fsync") { fsync(descriptor) }
    }
}
