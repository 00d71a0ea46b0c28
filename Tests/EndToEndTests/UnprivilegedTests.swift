import Foundation
import Testing

/// `brokerd` and the command-line tools run as an ordinary user (uid/gid 65534 through `setpriv`).
///
/// The other end-to-end tests run as root, where a socket option set at the wrong level (option 1
/// at `SOL_SOCKET` is `SO_DEBUG`, which only root may set) succeeds silently. These tests need
/// root to drop to another user, and `setpriv`; without either they are skipped with that reason.
@Suite(
    "brokerd and the tools as an unprivileged user",
    .serialized,
    .enabled(if: Unprivileged.isAvailable, Comment(rawValue: Unprivileged.unavailableReason))
)
struct UnprivilegedTests {
    @Test("brokerd serves producer, consumer and brokerctl when every process runs as uid 65534")
    func toolsAgainstUnprivilegedBroker() throws {
        let directory = try Unprivileged.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let broker = try UnprivilegedBrokerd(dataDirectory: directory + "/data")
        defer { broker.kill() }
        let address = broker.address

        let create = try Unprivileged.run(
            "brokerctl",
            ["--broker", address, "topics", "create", "unprivileged", "--partitions", "2"]
        )
        #expect(create.status == 0, "brokerctl topics create failed: \(create.standardError)")

        let lines = (0..<100).map { "key-\($0):value-\($0)" }.joined(separator: "\n") + "\n"
        let produce = try Unprivileged.run(
            "producer",
            ["--broker", address, "--topic", "unprivileged", "--key-separator", ":"],
            input: lines
        )
        #expect(produce.status == 0, "producer failed: \(produce.standardError)")
        #expect(produce.lines.count == 100, "one acknowledgement per line: \(produce.standardOutput)")

        let consume = try Unprivileged.run("consumer", ["--broker", address, "--topic", "unprivileged", "--until-end"])
        #expect(consume.status == 0, "consumer failed: \(consume.standardError)")
        #expect(Set(consume.lines) == Set((0..<100).map { "value-\($0)" }))

        let status = try Unprivileged.run("brokerctl", ["--broker", address, "status"])
        #expect(status.status == 0, "brokerctl status failed: \(status.standardError)")

        #expect(try broker.stop() == 0, "brokerd exits 0 on SIGTERM: \(broker.logText)")
        #expect(!broker.logText.lowercased().contains("permission denied"), "\(broker.logText)")
        let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/data/unprivileged")
        #expect(attributes[.ownerAccountID] as? Int == 65534, "the topic was created by the unprivileged broker")
    }
}

/// Running built executables as uid/gid 65534 with `setpriv`.
enum Unprivileged {
    static let setpriv = "/usr/bin/setpriv"
    static let dropArguments = ["--reuid=65534", "--regid=65534", "--clear-groups"]

    static var isAvailable: Bool { getuid() == 0 && FileManager.default.isExecutableFile(atPath: setpriv) }

    static var unavailableReason: String {
        if getuid() != 0 {
            return "skipped: needs root to run the broker and tools as uid 65534 (running as uid \(getuid()))"
        }
        return "skipped: needs \(setpriv) (util-linux) to run the broker and tools as uid 65534"
    }

    /// A fresh directory that uid 65534 may write.
    static func scratchDirectory() throws -> String {
        let directory = NSTemporaryDirectory() + "sluice-unprivileged-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: directory)
        return directory
    }

    /// A process that runs the built executable `name` as uid 65534.
    static func process(_ name: String, _ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: setpriv)
        process.arguments = dropArguments + [try executable(named: name).path] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = "enable=no"
        environment["HOME"] = "/tmp"
        process.environment = environment
        return process
    }

    /// Runs a built tool as uid 65534 to completion (bounded), with optional standard input.
    static func run(_ name: String, _ arguments: [String], input: String? = nil) throws -> ToolRun {
        let process = try process(name, arguments)
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
        if let input { standardInput.fileHandleForWriting.write(Data(input.utf8)) }
        try standardInput.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            throw CrashTestError("\(name) \(arguments.joined(separator: " ")) did not finish within 60 s")
        }
        process.waitUntilExit()
        readers.wait()
        return ToolRun(
            status: process.terminationStatus,
            standardOutput: collected.output,
            standardError: collected.error
        )
    }
}

/// `brokerd` as uid 65534 on an ephemeral port, its address read from its log.
final class UnprivilegedBrokerd {
    private let process: Process
    private let errors = Pipe()
    private let log = CollectedLog()
    let address: String

    init(dataDirectory: String) throws {
        process = try Unprivileged.process(
            "brokerd",
            ["--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--data-dir", dataDirectory]
        )
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        let log = self.log
        errors.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if !data.isEmpty { log.append(data) }
        }
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        var address: String?
        while address == nil && Date() < deadline && process.isRunning {
            address = log.listeningAddress()
            if address == nil { Thread.sleep(forTimeInterval: 0.02) }
        }
        guard let address else {
            if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
            throw CrashTestError("brokerd did not start listening: \(log.text)")
        }
        self.address = address
    }

    deinit { errors.fileHandleForReading.readabilityHandler = nil }

    var logText: String { log.text }

    /// SIGKILL, if still running.
    func kill() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
    }

    /// SIGTERM, then waits (bounded) for the exit status.
    func stop() throws -> Int32 {
        Foundation.kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        guard !process.isRunning else { throw CrashTestError("brokerd still running 60 s after SIGTERM") }
        return process.terminationStatus
    }
}
