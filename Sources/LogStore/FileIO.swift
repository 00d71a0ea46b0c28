/// The file-system calls the log makes, and nothing else: positional reads and writes, truncation,
/// `fdatasync`, size, advisory locks, and the directory operations (create, list, rename, unlink,
/// fsync of a directory).
///
/// Production uses ``PosixFileIO``, a thin wrapper over the system calls. Tests use a simulated
/// disk (the `LogStoreTesting` library's `SimulatedDisk`) that remembers which bytes were synced,
/// can cut the power, and injects `ENOSPC`/`EIO` where a test asks.
///
/// Every method reports a failure by throwing ``FileIOError`` with the `errno` value; `EINTR` is
/// retried by the implementation and never thrown. Callers inside LogStore turn it into a
/// ``LogStoreError`` with code `ioFailure` naming the file and position. A descriptor is whatever
/// number ``open(_:create:)`` returned; it is only ever passed back to the same instance.
public protocol FileIO: AnyObject, Sendable {
    /// Opens `path` for reading and writing (`O_RDWR | O_CLOEXEC`, plus `O_CREAT` with mode 0644
    /// if `create`).
    func open(_ path: String, create: Bool) throws(FileIOError) -> Int32
    /// Closes a descriptor; errors are ignored (as `close(2)`'s are on Linux).
    func close(_ descriptor: Int32)
    /// Reads up to `buffer.count` bytes at `position`. Returns the bytes read; 0 at the end.
    func pread(
        _ descriptor: Int32,
        into buffer: UnsafeMutableRawBufferPointer,
        at position: Int64
    ) throws(FileIOError)
        -> Int
    /// Writes `buffer` at `position`. Returns the bytes written, which may be fewer (a short write).
    func pwrite(_ descriptor: Int32, _ buffer: UnsafeRawBufferPointer, at position: Int64) throws(FileIOError) -> Int
    /// Writes `head` then `body` at `position` as one call. Returns the bytes written, which may be
    /// fewer than both together.
    func pwritev(
        _ descriptor: Int32,
        _ head: UnsafeRawBufferPointer,
        _ body: UnsafeRawBufferPointer,
        at position: Int64
    ) throws(FileIOError) -> Int
    /// Sets the file's size.
    func ftruncate(_ descriptor: Int32, to size: Int64) throws(FileIOError)
    /// Forces the file's written data (and the size) to stable storage.
    func fdatasync(_ descriptor: Int32) throws(FileIOError)
    /// The file's size in bytes.
    func fileSize(_ descriptor: Int32) throws(FileIOError) -> Int64
    /// When the file's data last changed, in milliseconds since the epoch, or `nil` if this file
    /// system does not keep it (the default).
    func modificationTimeMilliseconds(_ descriptor: Int32) throws(FileIOError) -> Int64?
    /// Takes an exclusive advisory lock without waiting; `false` if another open file holds it.
    func tryLock(_ descriptor: Int32) throws(FileIOError) -> Bool
    /// Releases the lock taken by ``tryLock(_:)``.
    func unlock(_ descriptor: Int32)

    /// Creates the directory `path` (one level, mode 0755); throws `EEXIST` if it exists.
    func mkdir(_ path: String) throws(FileIOError)
    /// The names in the directory `path`, without `.` and `..`, in no particular order.
    func contentsOfDirectory(_ path: String) throws(FileIOError) -> [String]
    /// Whether `path` exists.
    func exists(_ path: String) -> Bool
    /// Removes the file `path`; throws `ENOENT` if it does not exist.
    func unlink(_ path: String) throws(FileIOError)
    /// Renames `from` to `to`, replacing `to`.
    func rename(_ from: String, to: String) throws(FileIOError)
    /// fsyncs the directory `path`, making creations, renames and removals in it durable.
    func syncDirectory(_ path: String) throws(FileIOError)
}

/// A failed system call of a ``FileIO``: its name and `errno`.
public struct FileIOError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The system call, for example `"pwritev"`.
    public var call: String
    /// The `errno` value it failed with.
    public var errno: Int32

    /// A failure of `call` with `errno`.
    public init(_ call: String, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    public var description: String { "\(call) failed: \(LogStoreError.errnoText(errno)) (errno \(errno))" }
}

extension FileIO {
    /// No modification times: age retention treats a segment without record timestamps as not
    /// yet expired.
    public func modificationTimeMilliseconds(_ descriptor: Int32) throws(FileIOError) -> Int64? { nil }
}
