import LogStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The file-system steps of creating and deleting a topic directory, each durable (the data
/// directory is fsynced after every rename) and each throwing a ``BrokerError`` that names the
/// path and the system's reason, never a Foundation error.
///
/// - A topic is created in a staging directory `.creating-<16 hex digits>` that receives
///   `topic.json` and is then renamed to the topic's name: a topic directory without
///   `topic.json` never appears, and a failed or interrupted create leaves nothing behind.
/// - A topic is deleted by renaming its directory to `.deleted-<16 hex digits>` and removing that.
///   The name does not contain the topic's name, so it fits the file-name limit (255 bytes) for
///   every valid topic name (up to 249 characters).
/// - At start-up, ``TopicRegistry`` removes every leftover `.creating-` and `.deleted-` entry.
enum TopicDirectory {
    /// The prefix of a directory being deleted.
    static let deletedPrefix = ".deleted-"
    /// The prefix of a directory being created.
    static let creatingPrefix = ".creating-"

    /// Whether `name` (an entry of the data directory) is the leftover of an interrupted create or delete.
    static func isLeftover(_ name: String) -> Bool {
        name.hasPrefix(deletedPrefix) || name.hasPrefix(creatingPrefix)
    }

    /// Creates the data directory (and its parents) if needed.
    static func prepareDataDirectory(_ root: String) throws {
        var path = root.hasPrefix("/") ? "/" : ""
        for component in root.split(separator: "/") {
            path += component
            guard mkdir(path, 0o755) == 0 || errno == EEXIST else {
                throw failure("creating the data directory", call: "mkdir", path: path)
            }
            path += "/"
        }
        var status = stat()
        guard stat(root, &status) == 0 else { throw failure("opening the data directory", call: "stat", path: root) }
        guard status.st_mode & S_IFMT == S_IFDIR else {
            throw BrokerError(.storageError, "the data directory \(root) is not a directory")
        }
        guard access(root, R_OK | W_OK | X_OK) == 0 else {
            throw failure("opening the data directory", call: "access", path: root)
        }
    }

    /// Creates the directory of topic `name` under `root` holding `settings`, atomically and durably.
    /// - Throws: ``BrokerError`` `storageError`; nothing is left behind.
    static func create(_ name: String, settings: TopicSettings, in root: String) throws -> String {
        let target = root + "/" + name
        let staging = root + "/" + creatingPrefix + randomSuffix()
        guard mkdir(staging, 0o755) == 0 else {
            throw failure("creating topic '\(name)'", call: "mkdir", path: staging)
        }
        do {
            do {
                try settings.write(to: staging)
            } catch {
                throw BrokerError(.storageError, "creating topic '\(name)' failed: \(BrokerError(error).message)")
            }
            guard rename(staging, target) == 0 else {
                if errno == ENOTEMPTY || errno == EEXIST || errno == ENOTDIR {
                    throw BrokerError(
                        .storageError,
                        "creating topic '\(name)' failed: \(target) already exists and is not a topic "
                            + "(it has no \(TopicSettings.fileName)); move it away first"
                    )
                }
                throw failure("creating topic '\(name)'", call: "rename", path: staging)
            }
        } catch {
            try? removeTree(staging)
            throw error
        }
        do {
            try syncDirectory(root)
        } catch {
            try? discard(target, in: root)
            throw BrokerError(.storageError, "creating topic '\(name)' failed: \(BrokerError(error).message)")
        }
        return target
    }

    /// Renames `directory` out of the way and fsyncs the data directory; returns the new path, to
    /// be removed with ``removeTree(_:)``, and the fsync's failure if it failed.
    /// - Throws: only when the rename fails: `directory` is then unchanged.
    static func moveToTrash(_ directory: String, in root: String) throws -> (path: String, syncFailure: BrokerError?) {
        let trash = root + "/" + deletedPrefix + randomSuffix()
        guard rename(directory, trash) == 0 else {
            throw failure("moving \(directory) away", call: "rename", path: directory)
        }
        // The rename is done: the caller must go on with removing, whatever the fsync says.
        do {
            try syncDirectory(root)
            return (trash, nil)
        } catch {
            return (trash, BrokerError(error))
        }
    }

    /// Moves `directory` away and removes it, then fsyncs the data directory (again, if the first
    /// fsync failed), so that the removal is durable.
    static func discard(_ directory: String, in root: String) throws {
        let (trash, syncFailure) = try moveToTrash(directory, in: root)
        try removeTree(trash)
        if syncFailure != nil { try syncDirectory(root) }
    }

    /// Removes `path` and everything under it, without following symbolic links. A path that is
    /// already gone is not an error.
    static func removeTree(_ path: String) throws {
        var status = stat()
        guard lstat(path, &status) == 0 else {
            if errno == ENOENT { return }
            throw failure("removing \(path)", call: "lstat", path: path)
        }
        if status.st_mode & S_IFMT == S_IFDIR {
            for name in try contents(of: path) { try removeTree(path + "/" + name) }
            guard rmdir(path) == 0 || errno == ENOENT else {
                throw failure("removing \(path)", call: "rmdir", path: path)
            }
        } else {
            guard unlink(path) == 0 || errno == ENOENT else {
                throw failure("removing \(path)", call: "unlink", path: path)
            }
        }
    }

    /// The names in directory `path`, without `.` and `..`.
    static func contents(of path: String) throws -> [String] {
        guard let directory = opendir(path) else { throw failure("listing \(path)", call: "opendir", path: path) }
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

    /// Whether `path` exists (without following a final symbolic link).
    static func exists(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0
    }

    /// fsyncs directory `path`, making creations, renames and removals in it durable.
    static func syncDirectory(_ path: String) throws {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure("syncing \(path)", call: "open", path: path) }
        defer { close(descriptor) }
        while fsync(descriptor) != 0 {
            if errno == EINTR { continue }
            throw failure("syncing \(path)", call: "fsync", path: path)
        }
    }

    private static func randomSuffix() -> String {
        let value = UInt64.random(in: 0...UInt64.max)
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// A `storageError` for a failed system call: what was being done, the call, the path and `errno`'s text.
    static func failure(_ action: String, call: String, path: String) -> BrokerError {
        let code = errno
        return BrokerError(
            .storageError,
            "\(action) failed: \(call) \(path): \(String(cString: strerror(code))) (errno \(code))"
        )
    }
}
