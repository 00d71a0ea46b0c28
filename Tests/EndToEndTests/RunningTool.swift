import Foundation
import ProcessTesting
import Testing

/// A built executable running in the background: its standard input is a pipe the test writes to
/// (or another process's output), its standard output and error are collected as they arrive.
final class RunningTool {
    let process = ChildProcess()
    let name: String
    private let output = Pipe()
    private let errors = Pipe()
    let input = Pipe()
    private let collectedOutput = CollectedLog()
    private let collectedErrors = CollectedLog()
    private let ended = EndCounter()

    /// Starts `name`, with `environment` added to the test's. With `inputFrom`, that (already
    /// configured) process writes the tool's input.
    init(
        _ name: String,
        _ arguments: [String],
        environment extraEnvironment: [String: String] = [:],
        inputFrom feeder: ChildProcess? = nil
    ) throws {
        ignoreBrokenPipes()
        self.name = name
        process.executableURL = try executable(named: name)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = "enable=no"
        environment.merge(extraEnvironment) { _, new in new }
        process.environment = environment
        process.standardOutput = output
        process.standardError = errors
        if let feeder {
            feeder.standardOutput = input
            process.standardInput = input
        } else {
            process.standardInput = input
        }
        let ended = self.ended
        for (pipe, log) in [(output, collectedOutput), (errors, collectedErrors)] {
            pipe.fileHandleForReading.readabilityHandler = { handle in
                let data = handle.availableData
                if data.isEmpty {
                    handle.readabilityHandler = nil
                    ended.increment()
                } else {
                    log.append(data)
                }
            }
        }
        try process.run()
        try feeder?.run()
    }

    deinit {
        process.signal(SIGKILL)
        output.fileHandleForReading.readabilityHandler = nil
        errors.fileHandleForReading.readabilityHandler = nil
    }

    var standardOutput: String { collectedOutput.text }
    var standardError: String { collectedErrors.text }
    var lines: [String] { standardOutput.split(separator: "\n").map(String.init) }

    /// Writes `text` to the tool's standard input (the pipe stays open). Only while the tool is
    /// certainly reading: a write to a pipe whose reader has exited raises SIGPIPE in the test.
    func write(_ text: String) {
        input.fileHandleForWriting.write(Data(text.utf8))
    }

    /// The tool's resident memory in bytes (`VmRSS` of /proc/PID/status); `nil` once it has exited.
    func residentBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)
        else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let digits = line.filter(\.isNumber)
            return Int(digits).map { $0 * 1024 }
        }
        return nil
    }

    /// Waits (bounded) until `condition` holds; `false` if it did not within the time.
    func wait(upTo seconds: Double, until condition: () -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return condition()
    }

    /// Waits (bounded) for the exit, calling `sample` meanwhile; kills the tool if it is still running.
    /// - Returns: the exit status, or `nil` if it had to be killed.
    func waitForExit(upTo seconds: Double, sample: () -> Void = {}) async -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline {
            sample()
            try? await Task.sleep(for: .milliseconds(100))
        }
        if process.isRunning {
            process.signal(SIGKILL)
            await process.waitForExit()
            return nil
        }
        // Both pipes reach end of file once the tool (and anything it started) has exited.
        _ = await wait(upTo: 10) { ended.count == 2 }
        return process.terminationStatus
    }
}

/// Makes a write to a pipe whose reader has exited fail with EPIPE instead of killing the test
/// process with SIGPIPE: a tool may exit (as `producer` does when its broker dies) while a test
/// still feeds its standard input. Idempotent.
func ignoreBrokenPipes() {
    signal(SIGPIPE, SIG_IGN)
}

/// Counts the pipes that reached end of file.
final class EndCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    func increment() {
        lock.lock()
        value += 1
        lock.unlock()
    }

    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return value
    }
}
