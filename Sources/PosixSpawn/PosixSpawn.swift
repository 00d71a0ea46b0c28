#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Starting and waiting for child processes with `posix_spawn` and `waitpid`, without Foundation's
/// `Process`: `consumer --exec` handlers and the tests' child processes use it.
///
/// What Foundation's `Process` does on Linux and this avoids: it lists `/proc/self/fd` to close
/// descriptors in the child, copying each directory entry whole (a read past glibc's directory
/// buffer once a process has about 1,360 descriptors open: a crash); it learns of the child's end
/// through a socket every descendant inherits (a grandchild that outlives the child hides the end
/// for ever) watched with `select` (descriptors above 1,023 are never seen); and its waits run a
/// run loop on the calling thread. Here the child closes every descriptor from 3 with glibc's
/// `posix_spawn_file_actions_addclosefrom_np`, and `waitpid` on a thread of its own reports the end.
public enum PosixSpawn {
    /// Starts `executable` with `arguments` (the whole `argv`, `argv[0]` first) and `environment`
    /// (`NAME=VALUE` entries): each `(source, target)` of `redirections` is `dup2`ed in the child
    /// in order, then every descriptor from 3 is closed (glibc 2.34 and later). The child gets every signal at its default
    /// action and none blocked (the parent's ignored SIGPIPE or handled SIGINT must not leak into
    /// it); with `newProcessGroup`, its own process group (its pid), so that a signal to the group
    /// reaches what it starts and a Ctrl-C at the parent's terminal does not reach it.
    /// - Throws: ``Failure`` when the process cannot be started (the executable is missing or not
    ///   executable, no memory, no process slot).
    public static func spawn(
        executable: String,
        arguments: [[UInt8]],
        environment: [[UInt8]],
        redirections: [(source: Int32, target: Int32)],
        newProcessGroup: Bool
    ) throws(Failure) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (source, target) in redirections {
            posix_spawn_file_actions_adddup2(&actions, source, target)
        }
        // Without it (glibc before 2.34), only descriptors opened close-on-exec stay out of the
        // child: SwiftNIO's and ``pipe()``'s are.
        _ = closeFrom?(&actions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var everySignal = sigset_t()
        sigfillset(&everySignal)
        var noSignal = sigset_t()
        sigemptyset(&noSignal)
        posix_spawnattr_setsigdefault(&attributes, &everySignal)
        posix_spawnattr_setsigmask(&attributes, &noSignal)
        var flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK
        if newProcessGroup {
            posix_spawnattr_setpgroup(&attributes, 0)
            flags |= POSIX_SPAWN_SETPGROUP
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        var pid = pid_t()
        let result = withCStrings(arguments) { argv in
            withCStrings(environment) { envp in
                posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
            }
        }
        guard result == 0 else { throw Failure("cannot start \(executable)", result) }
        return pid
    }

    /// Waits for `pid` to end (retrying interrupted waits) and returns its raw wait status.
    /// Blocks until `pid` has ended, leaving it unreaped (a zombie whose pid no other process can
    /// get), so that whoever reaps it next can do so while holding a lock that signal senders take.
    /// Returns at once if it cannot wait (the reap that follows then reports the error).
    public static func waitForEndWithoutReaping(_ pid: pid_t) {
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) < 0 {
            if errno != EINTR { return }
        }
    }

    /// Blocks the calling thread: call it on a thread of its own (``detachThread(stackBytes:_:)``).
    public static func waitStatus(of pid: pid_t) throws(Failure) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno == EINTR { continue }
            throw Failure("cannot wait for pid \(pid)", errno)
        }
        return status
    }

    /// A pipe whose two ends are close-on-exec and numbered 3 or above (descriptors 0-2 may be
    /// closed in the parent; a `dup2` onto them would then not clear close-on-exec).
    public static func pipe() throws(Failure) -> (readEnd: Int32, writeEnd: Int32) {
        var ends: [Int32] = [-1, -1]
        guard systemPipe(&ends) == 0 else { throw Failure("cannot make a pipe", errno) }
        for index in 0..<2 {
            let moved = fcntl(ends[index], F_DUPFD_CLOEXEC, 3)
            close(ends[index])
            ends[index] = moved
        }
        guard ends[0] >= 0, ends[1] >= 0 else {
            let error = errno
            for end in ends where end >= 0 { close(end) }
            throw Failure("cannot make a pipe", error)
        }
        return (ends[0], ends[1])
    }

    /// Runs `body` on a new detached thread with a stack of `stackBytes`; `false` if none could
    /// be made.
    public static func detachThread(stackBytes: Int, _ body: @escaping @Sendable () -> Void) -> Bool {
        final class Body {
            let run: @Sendable () -> Void
            init(_ run: @escaping @Sendable () -> Void) { self.run = run }
        }
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, stackBytes)
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        let argument = Unmanaged.passRetained(Body(body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(
            &thread,
            &attributes,
            { argument in
                Unmanaged<Body>.fromOpaque(argument!).takeRetainedValue().run()
                return nil
            },
            argument
        )
        if result != 0 {
            Unmanaged<Body>.fromOpaque(argument).release()
            return false
        }
        return true
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), looked up at run time:
    /// Swift does not see it without `_GNU_SOURCE`.
    private static let closeFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? =
        {
            #if canImport(Glibc)
            guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return nil }
            return unsafeBitCast(
                symbol,
                to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self
            )
            #else
            return nil
            #endif
        }()

    /// Calls `body` with a NULL-terminated array of C strings.
    private static func withCStrings<Result>(
        _ strings: [[UInt8]],
        _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> Result
    ) -> Result {
        let pointers = strings.map { bytes -> UnsafeMutablePointer<CChar>? in
            let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
            bytes.withUnsafeBytes { source in
                if let base = source.baseAddress {
                    UnsafeMutableRawPointer(pointer).copyMemory(from: base, byteCount: bytes.count)
                }
            }
            pointer[bytes.count] = 0
            return pointer
        }
        defer { for pointer in pointers { pointer?.deallocate() } }
        return (pointers + [nil]).withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    /// A process could not be started or waited for: what failed and the system's reason.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String

        public init(_ what: String, _ error: Int32) {
            description = "\(what): \(Self.describe(error))"
        }

        /// `strerror` text for `error`.
        public static func describe(_ error: Int32) -> String {
            strerror(error).map { String(cString: $0) } ?? "error \(error)"
        }
    }
}

/// The C library's `pipe`, which ``PosixSpawn/pipe()`` hides inside the enum.
private func systemPipe(_ ends: UnsafeMutablePointer<Int32>) -> Int32 {
    pipe(ends)
}
