import Foundation
import PosixSpawn

/// A child process for tests: the part of Foundation's `Process` interface the tests use, started
/// with ``PosixSpawn`` and reaped by `waitpid` on a thread of its own.
///
/// Foundation's `Process` failed the test process three ways, each seen in CI: it crashed listing
/// `/proc/self/fd` once the test process had about 1,360 descriptors open; it never saw the end of
/// a script whose `brokerd` outlived it (the grandchild kept Foundation's notification socket
/// open), so `waitUntilExit()` hung for ever; and its waits block the calling thread in a run loop.
/// Here the end of the child is the end of the child, whatever it started, and
/// ``waitForExit()`` suspends instead of blocking a thread of the concurrency pool.
///
/// Standard input, output and error take a `Pipe`, a `FileHandle` (`FileHandle.nullDevice` is
/// `/dev/null`) or `nil` (`/dev/null`); by default the test process's own. The child has its own
/// process group and every signal at its default action.
public final class ChildProcess: @unchecked Sendable {
    /// How the child ended.
    public enum TerminationReason: Sendable {
        /// It exited; ``terminationStatus`` is its exit status.
        case exit
        /// A signal killed it; ``terminationStatus`` is the signal's number.
        case uncaughtSignal
    }

    /// The stack of the thread that waits for the child.
    static let waiterStackBytes = 128 << 10

    public var executableURL: URL?
    public var arguments: [String]?
    /// `nil`: the test process's environment.
    public var environment: [String: String]?
    public var standardInput: Any? = FileHandle.standardInput
    public var standardOutput: Any? = FileHandle.standardOutput
    public var standardError: Any? = FileHandle.standardError

    /// Set by ``run()``.
    public private(set) var processIdentifier: pid_t = 0

    private let condition = NSCondition()
    private var waitStatus: Int32?
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public init() {}

    /// Starts the child.
    /// - Throws: `PosixSpawn.Failure` when it cannot be started (missing or not executable, no
    ///   thread to wait for it), `CocoaError` when no executable was set.
    public func run() throws {
        guard let executable = executableURL?.path else { throw CocoaError(.fileNoSuchFile) }
        var opened: [FileHandle] = []
        defer { for handle in opened { try? handle.close() } }
        var redirections: [(source: Int32, target: Int32)] = []
        var childEnds: [FileHandle] = []
        for (stream, target) in [(standardInput, Int32(0)), (standardOutput, 1), (standardError, 2)] {
            switch stream {
            case let pipe as Pipe:
                let childEnd = target == 0 ? pipe.fileHandleForReading : pipe.fileHandleForWriting
                redirections.append((childEnd.fileDescriptor, target))
                childEnds.append(childEnd)
            case let handle as FileHandle where handle === FileHandle.nullDevice:
                let null = try FileHandle(forUpdating: URL(fileURLWithPath: "/dev/null"))
                opened.append(null)
                redirections.append((null.fileDescriptor, target))
            case let handle as FileHandle:
                if handle.fileDescriptor != target { redirections.append((handle.fileDescriptor, target)) }
            default:
                let null = try FileHandle(forUpdating: URL(fileURLWithPath: "/dev/null"))
                opened.append(null)
                redirections.append((null.fileDescriptor, target))
            }
        }
        let environmentEntries = (environment ?? ProcessInfo.processInfo.environment).map { Array("\($0)=\($1)".utf8) }
        let pid = try PosixSpawn.spawn(
            executable: executable,
            arguments: ([executable] + (arguments ?? [])).map { Array($0.utf8) },
            environment: environmentEntries,
            redirections: redirections,
            newProcessGroup: true
        )
        processIdentifier = pid
        // The child has its ends of the pipes; the parent keeps only the other ends, so that the
        // reader of an output pipe sees its end of file when the child (and what it started) exits.
        for handle in childEnds { try? handle.close() }
        let started = PosixSpawn.detachThread(stackBytes: Self.waiterStackBytes) { [self] in
            // Wait for the end without reaping, then reap under the lock: while the lock is held
            // and no status is recorded, the pid is still this child's (alive or a zombie), so
            // ``signal(_:)`` can never hit another process that was given the pid after the reap
            // (pids are reused quickly: pid_max is 32,768 here). A stray SIGKILL of that kind once
            // killed another test's strace.
            PosixSpawn.waitForEndWithoutReaping(pid)
            finish { (try? PosixSpawn.waitStatus(of: pid)) ?? (127 << 8) }
        }
        if !started {
            kill(pid, SIGKILL)
            finish { (try? PosixSpawn.waitStatus(of: pid)) ?? (127 << 8) }
            throw PosixSpawn.Failure("cannot make a thread to wait for \(executable)", EAGAIN)
        }
    }

    /// Reaps the child with `reap` and records its status, under the lock.
    private func finish(_ reap: () -> Int32) {
        condition.lock()
        waitStatus = reap()
        let resumed = waiters
        waiters = []
        condition.broadcast()
        condition.unlock()
        for waiter in resumed { waiter.resume() }
    }

    /// `true` from ``run()`` until the child has ended and been reaped.
    public var isRunning: Bool {
        condition.lock()
        defer { condition.unlock() }
        return processIdentifier != 0 && waitStatus == nil
    }

    /// Blocks the calling thread until the child has ended. Async code uses ``waitForExit()``.
    public func waitUntilExit() {
        condition.lock()
        while waitStatus == nil { condition.wait() }
        condition.unlock()
    }

    /// Suspends until the child has ended.
    public func waitForExit() async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            condition.lock()
            if waitStatus == nil {
                waiters.append(waiter)
                condition.unlock()
            } else {
                condition.unlock()
                waiter.resume()
            }
        }
    }

    /// Suspends until the child has ended or `seconds` have passed; `true` if it ended.
    public func waitForExit(upTo seconds: Double) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while isRunning {
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    /// The exit status, or the signal that killed the child. Only once it has ended.
    public var terminationStatus: Int32 {
        let status = endedStatus()
        return status & 0x7f == 0 ? (status >> 8) & 0xff : status & 0x7f
    }

    /// Whether the child exited or was killed by a signal. Only once it has ended.
    public var terminationReason: TerminationReason {
        endedStatus() & 0x7f == 0 ? .exit : .uncaughtSignal
    }

    private func endedStatus() -> Int32 {
        condition.lock()
        defer { condition.unlock() }
        guard let waitStatus else { preconditionFailure("the child process has not ended") }
        return waitStatus
    }

    /// Sends `signal` to the child if it has not been reaped yet (never to a process that got its
    /// pid afterwards).
    public func signal(_ signal: Int32) {
        condition.lock()
        defer { condition.unlock() }
        if processIdentifier != 0 && waitStatus == nil { kill(processIdentifier, signal) }
    }

    /// Sends SIGTERM.
    public func terminate() { signal(SIGTERM) }

    /// Sends SIGINT.
    public func interrupt() { signal(SIGINT) }
}

extension FileHandle {
    /// Everything up to the end of file, read on a Dispatch thread: the caller suspends instead of
    /// blocking a thread of the concurrency pool until the writer (a child process) is done.
    public func readToEndOfFile() async -> Data {
        await withCheckedContinuation { (done: CheckedContinuation<Data, Never>) in
            DispatchQueue.global().async { done.resume(returning: self.readDataToEndOfFile()) }
        }
    }
}

extension ChildProcess {
    /// Starts the child with standard input from `/dev/null` and suspends until it has ended,
    /// returning everything it wrote to standard output and error (each pipe read on a Dispatch
    /// thread, so that neither fills up and blocks the child).
    public func runCollectingOutput() async throws -> (output: Data, error: Data) {
        let output = Pipe()
        let errors = Pipe()
        standardInput = FileHandle.nullDevice
        standardOutput = output
        standardError = errors
        try run()
        async let outputData = output.fileHandleForReading.readToEndOfFile()
        async let errorData = errors.fileHandleForReading.readToEndOfFile()
        let collected = await (output: outputData, error: errorData)
        await waitForExit()
        return collected
    }
}
