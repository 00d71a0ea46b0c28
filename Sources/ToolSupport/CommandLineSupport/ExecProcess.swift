import PosixSpawn
import Synchronization

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
    /// Whether the shell was reaped: from then on its pid (and group id) may belong to another
    /// process, so no signal is sent. Reaping happens while this is held.
    private let reaped = Mutex(false)

    private init(pid: pid_t, input: Int32) {
        self.pid = pid
        self.input = input
    }

    /// Starts `/bin/sh -c command` with `environment` (`NAME=VALUE` entries).
    /// - Throws: ``ExecStartFailure`` when the shell cannot be started.
    static func start(command: String, environment: [[UInt8]]) throws(ExecStartFailure) -> ExecProcess {
        // Close-on-exec and above descriptors 0-2. Handlers are started one at a time (ExecRunner
        // is an actor), and the child closes every descriptor from 3, so no other handler keeps
        // this pipe open.
        let (readEnd, writeEnd) = try PosixSpawn.pipe()
        defer { close(readEnd) }
        do {
            let pid = try PosixSpawn.spawn(
                executable: shell,
                arguments: [Array(shell.utf8), Array("-c".utf8), Array(command.utf8)],
                environment: environment,
                redirections: [(readEnd, 0)],
                newProcessGroup: true
            )
            return ExecProcess(pid: pid, input: writeEnd)
        } catch {
            close(writeEnd)
            throw error
        }
    }

    /// Writes `value` to the handler's standard input and closes it (a handler that does not
    /// read it all just ends it early), then waits for the handler to end. Runs on a thread of its
    /// own.
    func finish(writing value: [UInt8]) async -> ExecTermination {
        await withCheckedContinuation { (done: CheckedContinuation<ExecTermination, Never>) in
            let started = PosixSpawn.detachThread(stackBytes: Self.waiterStackBytes) { [self] in
                done.resume(returning: self.feedAndWait(value))
            }
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
        reaped.withLock { reaped in !reaped && kill(-pid, signal) == 0 }
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
        PosixSpawn.waitForEndWithoutReaping(pid)
        return reaped.withLock { reaped in
            reaped = true
            do {
                return .waitStatus(try PosixSpawn.waitStatus(of: pid))
            } catch {
                return .failed("cannot wait for the handler: \(error)")
            }
        }
    }
}

/// The handler's shell could not be started: what failed and the system's reason.
typealias ExecStartFailure = PosixSpawn.Failure
