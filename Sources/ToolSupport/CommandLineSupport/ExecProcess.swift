#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One run of a `consumer --exec` handler: `/bin/sh -c COMMAND` with the message value on its
/// standard input (then end of file), standard output and error shared with the consumer.
///
/// The child gets its own process group (a Ctrl-C at the terminal reaches the consumer only, which
/// lets the running handlers finish; ``signalGroup(_:)`` reaches the shell and what it started),
/// every signal at its default action and none blocked (the consumer ignores SIGPIPE and handles
/// SIGINT and SIGTERM itself; a handler must not inherit that), and no descriptor of the consumer's
/// other than 0, 1 and 2. Waiting happens on a thread of its own (writing the value, then
/// `waitpid`), never on an event loop or in the concurrency pool.
final class ExecProcess: Sendable {
    /// The shell that runs the command.
    static let shell = "/bin/sh"
    /// The stack of the thread that feeds and waits for one handler.
    static let waiterStackBytes = 256 << 10

    /// The child's process id (also its process group id).
    let pid: pid_t
    private let input: Int32

    private init(pid: pid_t, input: Int32) {
        self.pid = pid
        self.input = input
    }

    /// Starts `/bin/sh -c command` with `environment` (`NAME=VALUE` entries).
    /// - Throws: ``ExecStartFailure`` when the shell cannot be started.
    static func start(command: String, environment: [[UInt8]]) throws(ExecStartFailure) -> ExecProcess {
        var pipeEnds: [Int32] = [-1, -1]
        guard pipe(&pipeEnds) == 0 else { throw ExecStartFailure("cannot make a pipe", errno) }
        // Close-on-exec (Swift does not see pipe2), and above descriptors 0-2, which may be closed
        // in the consumer (dup2 onto standard input would not clear close-on-exec then). Handlers are
        // started one at a time (ExecRunner is an actor), and the child closes every descriptor
        // from 3 where it can, so no other handler keeps this pipe open.
        for index in 0..<2 {
            let moved = fcntl(pipeEnds[index], F_DUPFD_CLOEXEC, 3)
            close(pipeEnds[index])
            pipeEnds[index] = moved
        }
        let (readEnd, writeEnd) = (pipeEnds[0], pipeEnds[1])
        guard readEnd >= 0, writeEnd >= 0 else {
            let error = errno
            if readEnd >= 0 { close(readEnd) }
            if writeEnd >= 0 { close(writeEnd) }
            throw ExecStartFailure("cannot make a pipe", error)
        }
        defer { close(readEnd) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, readEnd, 0)
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
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes,
            Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)
        )

        let arguments = [Array(shell.utf8), Array("-c".utf8), Array(command.utf8)]
        var pid = pid_t()
        let result = withCStrings(arguments) { argv in
            withCStrings(environment) { envp in
                posix_spawn(&pid, shell, &actions, &attributes, argv, envp)
            }
        }
        guard result == 0 else {
            close(writeEnd)
            throw ExecStartFailure("cannot start \(shell)", result)
        }
        return ExecProcess(pid: pid, input: writeEnd)
    }

    /// Writes `value` to the handler's standard input and closes it (a handler that does not
    /// read it all just ends it early), then waits for the handler to end. Runs on a thread of its
    /// own.
    func finish(writing value: [UInt8]) async -> ExecTermination {
        await withCheckedContinuation { (done: CheckedContinuation<ExecTermination, Never>) in
            let started = Self.detachThread { [self] in done.resume(returning: self.feedAndWait(value)) }
            if !started {
                // No thread to wait on: stop the handler rather than leave it unwatched.
                _ = signalGroup(SIGKILL)
                done.resume(returning: feedAndWait([]))
            }
        }
    }

    /// Sends `signal` to the handler's process group (the shell and everything it started);
    /// `false` if the group is gone.
    @discardableResult
    func signalGroup(_ signal: Int32) -> Bool {
        kill(-pid, signal) == 0
    }

    private func feedAndWait(_ value: [UInt8]) -> ExecTermination {
        var written = 0
        while written < value.count {
            let count = value.withUnsafeBytes { bytes in
                write(input, bytes.baseAddress! + written, bytes.count - written)
            }
            if count < 0 {
                if errno == EINTR { continue }
                break  // EPIPE: the handler ended, or closed its standard input, without reading it all.
            }
            written += count
        }
        close(input)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno == EINTR { continue }
            return .failed("cannot wait for the handler (pid \(pid)): \(ExecStartFailure.describe(errno))")
        }
        return .waitStatus(status)
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), looked up at run time:
    /// Swift does not see it without `_GNU_SOURCE`. Without it, the consumer's own descriptors are
    /// all close-on-exec anyway (SwiftNIO opens them so, and the pipes here are).
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
                UnsafeMutableRawPointer(pointer).copyMemory(from: source.baseAddress!, byteCount: bytes.count)
            }
            pointer[bytes.count] = 0
            return pointer
        }
        defer { for pointer in pointers { pointer?.deallocate() } }
        return (pointers + [nil]).withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    /// Runs `body` on a new detached thread with a small stack; `false` if none could be made.
    private static func detachThread(_ body: @escaping @Sendable () -> Void) -> Bool {
        final class Body {
            let run: @Sendable () -> Void
            init(_ run: @escaping @Sendable () -> Void) { self.run = run }
        }
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, waiterStackBytes)
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
}

/// The handler's shell could not be started: what failed and the system's reason.
struct ExecStartFailure: Error, CustomStringConvertible {
    let description: String

    init(_ what: String, _ error: Int32) {
        description = "\(what): \(Self.describe(error))"
    }

    /// `strerror` text for `error`.
    static func describe(_ error: Int32) -> String {
        strerror(error).map { String(cString: $0) } ?? "error \(error)"
    }
}
