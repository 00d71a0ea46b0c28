import Foundation
import ProcessTesting
import Testing

/// `brokerd` under strace: every `acks=durable` answer must come after an `fdatasync` of the
/// acknowledged bytes' file. A `kill -9` test cannot see a missing sync (the page cache survives a
/// killed process); the system calls can. The check itself is `scripts/check-durable-acks.sh`.
@Suite("Durable acknowledgements at the system-call level (strace)")
struct DurableAckSyscallTests {
    /// Whether strace is installed and may trace here (containers may forbid ptrace).
    static let straceWorks: Bool = {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["strace", "-f", "-qq", "-o", "/dev/null", "true"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
            process.waitUntilExit()  // strace true: a moment, once, while the tests are planned
            return process.terminationStatus == 0
        } catch {
            return false
        }
    }()

    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test(
        "each acknowledged offset's bytes were covered by an fdatasync before the answer was written",
        .enabled(
            if: straceWorks,
            "strace is not installed or cannot trace here (apt-get install -y strace); skipping the syscall check"
        )
    )
    func durableAnswersFollowAnFdatasync() async throws {
        let binaries = try executable(named: "brokerd").deletingLastPathComponent().path
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [Self.packageRoot.appendingPathComponent("scripts/check-durable-acks.sh").path, "20"]
        var environment = ProcessInfo.processInfo.environment
        environment["SLUICE_BIN_DIR"] = binaries
        environment["SWIFT_BACKTRACE"] = "enable=no"
        process.environment = environment
        let output = try TemporaryDirectory()
        let outputPath = output.path + "/output"
        FileManager.default.createFile(atPath: outputPath, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = Date().addingTimeInterval(300)
        while process.isRunning && Date() < deadline { try? await Task.sleep(for: .seconds(0.05)) }
        if process.isRunning {
            process.terminate()
            await process.waitForExit()
        }
        try handle.close()
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.contains("OK: "), "\(text)")
    }
}
