import BrokerClient
import Foundation
import NIOConcurrencyHelpers
import ProcessTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A built executable of this package (`brokerd`, `consumer`, …) running as a child process:
/// its standard error collected as it arrives, its standard output collected or left in a pipe
/// nobody reads (so the process blocks once the pipe is full). Killed with SIGKILL when dropped.
final class ToolChildProcess {
    let process = ProcessTesting.ChildProcess()
    let name: String
    private let errors = Pipe()
    let output = Pipe()
    private let log = NIOLockedValueBox(Data())

    /// Starts `name`; with `keepsOutput` false its standard output goes to /dev/null.
    init(_ name: String, _ arguments: [String], keepsOutput: Bool = true) async throws {
        signal(SIGPIPE, SIG_IGN)
        self.name = name
        process.executableURL = try Self.executable(named: name)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = "enable=no"
        process.environment = environment
        process.standardError = errors
        process.standardOutput = keepsOutput ? output : FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        let log = self.log
        errors.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
            } else {
                log.withLockedValue { $0.append(data) }
            }
        }
        try process.run()
    }

    deinit {
        kill()
        errors.fileHandleForReading.readabilityHandler = nil
    }

    /// SIGKILL, if still running (the process is reaped by its own waiter).
    func kill() {
        process.signal(SIGKILL)
    }

    /// What the process wrote to standard error so far.
    var standardError: String { log.withLockedValue { String(decoding: $0, as: UTF8.self) } }

    /// Sends `signal` and waits (bounded) for the exit; the termination status.
    @discardableResult
    func stop(signal: Int32 = SIGTERM, timeoutSeconds: Double = 60) async throws -> Int32 {
        process.signal(signal)
        return try await waitForExit(timeoutSeconds: timeoutSeconds)
    }

    /// Waits (bounded) for the exit, killing the process if it does not; the termination status.
    func waitForExit(timeoutSeconds: Double = 60) async throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while process.isRunning && Date() < deadline { try? await Task.sleep(for: .seconds(0.01)) }
        guard !process.isRunning else {
            process.signal(SIGKILL)
            await process.waitForExit()
            throw TestFailure("\(name) still running after \(timeoutSeconds) s")
        }
        await process.waitForExit()
        return process.terminationStatus
    }

    /// Whether `/proc/PID/task/*/syscall` can be read here (some kernels or sandboxes hide it).
    static let canSeeSyscalls: Bool = {
        #if arch(x86_64) || arch(arm64)
        return (try? String(contentsOfFile: "/proc/self/syscall", encoding: .utf8)) != nil
        #else
        return false
        #endif
    }()

    /// Whether a thread of the process is inside `write(1, …)`: blocked writing to its standard
    /// output (a full pipe), read from `/proc/PID/task/*/syscall` (the syscall number, then the
    /// arguments). `false` where that cannot be read.
    func isBlockedWritingOutput() -> Bool {
        #if arch(x86_64)
        let write = "1"
        #elseif arch(arm64)
        let write = "64"
        #else
        return false
        #endif
        let tasks = "/proc/\(process.processIdentifier)/task"
        for task in (try? FileManager.default.contentsOfDirectory(atPath: tasks)) ?? [] {
            guard let line = try? String(contentsOfFile: "\(tasks)/\(task)/syscall", encoding: .utf8) else { continue }
            let fields = line.split(separator: " ")
            if fields.count >= 2 && fields[0] == write && fields[1] == "0x1" { return true }
        }
        return false
    }

    /// Everything in the standard output pipe, read once the process has exited.
    func remainingOutput() async -> String {
        try? output.fileHandleForWriting.close()
        return String(decoding: await output.fileHandleForReading.readToEndOfFile(), as: UTF8.self)
    }

    /// The path of a product built beside the test bundle (`swift build` builds them all).
    static func executable(named name: String) throws -> URL {
        let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var directory = testBinary.deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        throw TestFailure("\(name) is not built beside \(testBinary.path): run `swift build` first")
    }
}

/// The real `brokerd` on 127.0.0.1 (an ephemeral port unless `port` is given) with
/// `dataDirectory`; `port` read from its log.
final class BrokerdChild {
    let child: ToolChildProcess
    let port: Int

    init(dataDirectory: String, port requested: Int = 0) async throws {
        child = try await ToolChildProcess(
            "brokerd",
            ["--listen", "127.0.0.1:\(requested)", "--metrics-listen", "127.0.0.1:0", "--data-dir", dataDirectory],
            keepsOutput: false
        )
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            for line in child.standardError.split(separator: "\n") where line.contains("broker listening") {
                if let range = line.range(of: #"127\.0\.0\.1:\d+"#, options: .regularExpression),
                    let port = Int(line[range].split(separator: ":")[1])
                {
                    self.port = port
                    return
                }
            }
            guard child.process.isRunning else { throw TestFailure("brokerd exited: \(child.standardError)") }
            try? await Task.sleep(for: .seconds(0.02))
        }
        throw TestFailure("brokerd did not start listening within 60 s: \(child.standardError)")
    }
}

/// Every record of `topic` on the broker at `port` (a child process: nothing to ask but the wire),
/// once it holds at least `count` (bounded wait; fewer if it never does).
func readTopic(_ topic: String, port: Int, atLeast count: Int) async throws -> [ConsumerRecord] {
    var records: [ConsumerRecord] = []
    for _ in 0..<400 {
        records = []
        do {
            try await BrokerConnection.withConnection(to: BrokerAddress(host: "127.0.0.1", port: port)) { connection in
                var configuration = ConsumerConfiguration()
                configuration.stopsAtEnd = true
                let consumer = Consumer(transport: connection, topic: topic, configuration: configuration)
                for try await record in consumer.records() { records.append(record) }
            }
        } catch let error as ClientError where error.code == .broker(.unknownTopic) {
            records = []
        }
        if records.count >= count { return records }
        try await Task.sleep(for: .milliseconds(25))
    }
    return records
}
