import Foundation
import ProcessTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Runs a built executable to completion with optional standard input; bounded by a timeout.
struct ToolRun {
    var status: Int32
    var standardOutput: String
    var standardError: String

    var lines: [String] { standardOutput.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
}

func runTool(
    _ name: String,
    _ arguments: [String],
    input: String? = nil,
    environment: [String: String] = [:],
    timeoutSeconds: Double = 120
) async throws -> ToolRun {
    ignoreBrokenPipes()
    let process = ChildProcess()
    process.executableURL = try executable(named: name)
    process.arguments = arguments
    var environmentVariables = ProcessInfo.processInfo.environment
    environmentVariables["SWIFT_BACKTRACE"] = "enable=no"
    for (key, value) in environment { environmentVariables[key] = value }
    process.environment = environmentVariables
    return try await runToCompletion(
        process,
        input: input,
        timeoutSeconds: timeoutSeconds,
        describedAs: "\(name) \(arguments.joined(separator: " "))"
    )
}

/// Runs a configured `process` to completion with `input` on its standard input (closed after
/// it), reading both output pipes concurrently so that neither fills up and blocks it; bounded: a
/// process still running after `timeoutSeconds` is killed and `CrashTestError` thrown. The pipes
/// are read and written on Dispatch's threads, and the wait suspends: a test waiting for a tool
/// never holds one of the concurrency pool's threads (two on a 2-core machine), which the
/// in-process brokers of the tests beside it need.
func runToCompletion(
    _ process: ChildProcess,
    input: String? = nil,
    timeoutSeconds: Double,
    describedAs description: String
) async throws -> ToolRun {
    ignoreBrokenPipes()
    let output = Pipe()
    let errors = Pipe()
    let standardInput = Pipe()
    process.standardOutput = output
    process.standardError = errors
    process.standardInput = standardInput
    try process.run()
    let collected = CollectedOutput()
    let readers = DispatchGroup()
    for (pipe, isError) in [(output, false), (errors, true)] {
        readers.enter()
        DispatchQueue.global().async {
            collected.set(pipe.fileHandleForReading.readDataToEndOfFile(), isError: isError)
            readers.leave()
        }
    }
    let writer = standardInput.fileHandleForWriting
    DispatchQueue.global().async {
        // A process that exits before reading all its input leaves the rest unread (EPIPE), not an error here.
        if let input { try? writer.write(contentsOf: Data(input.utf8)) }
        try? writer.close()
    }
    guard await process.waitForExit(upTo: timeoutSeconds) else {
        process.signal(SIGKILL)
        await process.waitForExit()
        throw CrashTestError("\(description) did not finish within \(timeoutSeconds) s")
    }
    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
        readers.notify(queue: .global()) { done.resume() }
    }
    return ToolRun(status: process.terminationStatus, standardOutput: collected.output, standardError: collected.error)
}

final class CollectedOutput: @unchecked Sendable {
    private let lock = NSLock()
    private var outputData = Data()
    private var errorData = Data()

    func set(_ data: Data, isError: Bool) {
        lock.lock()
        defer { lock.unlock() }
        if isError { errorData = data } else { outputData = data }
    }

    var output: String { lock.lock(); defer { lock.unlock() }; return String(decoding: outputData, as: UTF8.self) }
    var error: String { lock.lock(); defer { lock.unlock() }; return String(decoding: errorData, as: UTF8.self) }
}

/// `brokerd` running as a child process on ephemeral ports, its client and metrics addresses read
/// from its log; optionally with more arguments and behind a wrapper command (`prlimit`,
/// `setpriv`, …) with its own environment.
final class BrokerdProcess {
    let process = ChildProcess()
    let dataDirectory: String
    private(set) var address = ""
    private(set) var metricsAddress = ""
    private let errors = Pipe()
    private let log = CollectedLog()

    init(
        dataDirectory: String,
        extraArguments: [String] = [],
        wrapper: [String] = [],
        environment extraEnvironment: [String: String] = [:]
    ) async throws {
        self.dataDirectory = dataDirectory
        let brokerd = try executable(named: "brokerd").path
        let arguments =
            ["--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--data-dir", dataDirectory]
            + extraArguments
        process.executableURL = URL(fileURLWithPath: wrapper.first ?? brokerd)
        process.arguments = wrapper.isEmpty ? arguments : Array(wrapper.dropFirst()) + [brokerd] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = "enable=no"
        environment.merge(extraEnvironment) { _, new in new }
        process.environment = environment
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        let log = self.log
        errors.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if !data.isEmpty { log.append(data) }
        }
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let address = log.listeningAddress(), let metrics = Self.metricsAddress(in: log.text) {
                self.address = address
                self.metricsAddress = metrics
                return
            }
            guard process.isRunning else { throw CrashTestError("brokerd exited: \(log.text)") }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw CrashTestError("brokerd did not start listening within 60 s: \(log.text)")
    }

    deinit {
        kill()
        errors.fileHandleForReading.readabilityHandler = nil
    }

    var logText: String { log.text }

    /// `HOST:PORT` from the "metrics and health listening" log line.
    static func metricsAddress(in text: String) -> String? {
        for line in text.split(separator: "\n") where line.contains("metrics and health listening") {
            guard let range = line.range(of: #"127\.0\.0\.1:[1-9]\d*"#, options: .regularExpression) else { continue }
            return String(line[range])
        }
        return nil
    }

    /// SIGKILL, if still running.
    func kill() {
        process.signal(SIGKILL)
    }

    /// Sends `signal` and waits (bounded) for the exit status.
    func stop(signal: Int32 = SIGTERM, timeoutSeconds: Double = 60) async throws -> Int32 {
        process.signal(signal)
        guard await process.waitForExit(upTo: timeoutSeconds) else {
            throw CrashTestError("brokerd still running \(timeoutSeconds) s after signal \(signal)")
        }
        return process.terminationStatus
    }
}

final class CollectedLog: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()

    func append(_ more: Data) {
        lock.lock()
        data.append(more)
        lock.unlock()
    }

    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: data, as: UTF8.self)
    }

    /// `HOST:PORT` from the "broker listening" log line (`address=[IPv4]127.0.0.1/127.0.0.1:PORT`).
    func listeningAddress() -> String? {
        for line in text.split(separator: "\n") where line.contains("broker listening") {
            guard let range = line.range(of: #"127\.0\.0\.1:\d+"#, options: .regularExpression) else { continue }
            return String(line[range])
        }
        return nil
    }
}
