import Foundation
import Testing

/// `brokerd`'s start-up: what it refuses, what it says, and what it leaves behind when it cannot start.
@Suite("brokerd start-up, errors and limits", .serialized)
struct BrokerdStartupTests {
    /// The last line of standard error: `Error: …`, the one line an operator reads.
    static func errorLine(_ run: ToolRun) -> String {
        run.standardError.split(separator: "\n").last.map(String.init) ?? ""
    }

    static func expectNoFoundationText(_ text: String, _ comment: Comment? = nil) {
        #expect(!text.contains("NSCocoaErrorDomain"), comment)
        #expect(!text.contains("Error Domain="), comment)
        #expect(!text.contains("NSFilePath"), comment)
    }

    @Test("brokerd --version prints the version")
    func version() async throws {
        let run = try await runTool("brokerd", ["--version"])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == "0.1.0")
    }

    @Test("a busy --listen port: the address is named, the exit is non-zero, and nothing is created")
    func busyListenPort() async throws {
        let directory = try TemporaryDirectory()
        let busy = try BusyPort()
        let dataDirectory = directory.path + "/data"
        let run = try await runTool(
            "brokerd",
            ["--listen", "127.0.0.1:\(busy.port)", "--metrics-listen", "127.0.0.1:0", "--data-dir", dataDirectory]
        )
        #expect(run.status != 0)
        let line = Self.errorLine(run)
        #expect(line.contains("127.0.0.1:\(busy.port)"), "\(run.standardError)")
        #expect(line.contains("--listen"), "\(run.standardError)")
        #expect(line.contains("Address already in use"), "\(run.standardError)")
        #expect(!FileManager.default.fileExists(atPath: dataDirectory), "the data directory was created")
        Self.expectNoFoundationText(run.standardError)
    }

    @Test("a busy --metrics-listen port: the broker does not start half-way, nothing is created")
    func busyMetricsPort() async throws {
        let directory = try TemporaryDirectory()
        let busy = try BusyPort()
        let dataDirectory = directory.path + "/data"
        let run = try await runTool(
            "brokerd",
            ["--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:\(busy.port)", "--data-dir", dataDirectory]
        )
        #expect(run.status != 0)
        let line = Self.errorLine(run)
        #expect(line.contains("127.0.0.1:\(busy.port)") && line.contains("--metrics-listen"), "\(run.standardError)")
        #expect(line.contains("Address already in use"), "\(run.standardError)")
        #expect(!run.standardError.contains("broker listening"), "the broker started: \(run.standardError)")
        #expect(!FileManager.default.fileExists(atPath: dataDirectory), "the data directory was created")
    }

    @Test("a --data-dir that cannot be created or used is one clear line, not a Foundation error")
    func badDataDirectory() async throws {
        let directory = try TemporaryDirectory()
        let file = directory.path + "/a-file"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        for (dataDirectory, reason) in [(file + "/data", "Not a directory"), (file, "is not a directory")] {
            let run = try await runTool(
                "brokerd",
                ["--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--data-dir", dataDirectory]
            )
            #expect(run.status != 0)
            let line = Self.errorLine(run)
            #expect(line.hasPrefix("Error: "), "\(run.standardError)")
            #expect(line.contains(file), "\(run.standardError)")
            #expect(line.contains(reason), "\(run.standardError)")
            Self.expectNoFoundationText(run.standardError, "\(run.standardError)")
        }
    }

    @Test("a --data-dir the broker may not write is one clear line (run as nobody)")
    func unwritableDataDirectory() async throws {
        let directory = try TemporaryDirectory()
        let locked = directory.path + "/locked"
        try FileManager.default.createDirectory(atPath: locked, withIntermediateDirectories: true)
        chmod(directory.path, 0o755)
        chmod(locked, 0o755)
        let brokerd = try executable(named: "brokerd").path
        for dataDirectory in [locked + "/data", locked] {
            let run = try await runProcess(
                "/usr/bin/setpriv",
                [
                    "--reuid=65534", "--regid=65534", "--clear-groups", brokerd, "--listen", "127.0.0.1:0",
                    "--metrics-listen", "127.0.0.1:0", "--data-dir", dataDirectory,
                ]
            )
            #expect(run.status != 0)
            let line = Self.errorLine(run)
            #expect(line.contains("Permission denied"), "\(run.standardError)")
            #expect(line.contains(locked), "\(run.standardError)")
            Self.expectNoFoundationText(run.standardError, "\(run.standardError)")
        }
    }

    @Test("brokerd raises its descriptor soft limit to the hard limit and fits its limits to it")
    func descriptorLimitRaised() async throws {
        let directory = try TemporaryDirectory()
        let broker = try await BrokerdProcess(
            dataDirectory: directory.path + "/data",
            wrapper: ["/usr/bin/prlimit", "--nofile=512:2048", "--"]
        )
        let limits = try broker.descriptorLimits()
        #expect(limits.soft == "2048" && limits.hard == "2048", "\(limits)")
        let log = broker.logText
        #expect(log.contains("descriptor limit"), "\(log)")
        #expect(log.contains("maxConnections lowered from 10000"), "\(log)")
        #expect(log.contains("maxPartitionsTotal lowered from 10000"), "\(log)")
        await #expect(try broker.stop() == 0)
    }

    @Test("explicit limits that cannot fit the descriptor limit are kept and warned about")
    func explicitLimitsWarned() async throws {
        let directory = try TemporaryDirectory()
        let broker = try await BrokerdProcess(
            dataDirectory: directory.path + "/data",
            extraArguments: ["--max-connections", "5000"],
            wrapper: ["/usr/bin/prlimit", "--nofile=1024:1024", "--"]
        )
        let log = broker.logText
        #expect(log.contains("warning"), "\(log)")
        #expect(log.contains("Too many open files"), "\(log)")
        #expect(!log.contains("maxConnections lowered"), "\(log)")
        await #expect(try broker.stop() == 0)
    }

    @Test("a descriptor limit too small for a broker is refused at start")
    func descriptorLimitTooSmall() async throws {
        let directory = try TemporaryDirectory()
        let brokerd = try executable(named: "brokerd").path
        let run = try await runProcess(
            "/usr/bin/prlimit",
            [
                "--nofile=128:128", "--", brokerd, "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0",
                "--data-dir", directory.path + "/data",
            ]
        )
        #expect(run.status != 0)
        #expect(Self.errorLine(run).contains("descriptor limit"), "\(run.standardError)")
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/data"))
    }
}
