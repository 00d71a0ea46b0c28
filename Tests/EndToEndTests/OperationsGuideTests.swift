import Foundation
import Testing

/// docs/OPERATIONS.md and packaging/systemd/brokerd.service cannot fall behind `brokerd`: every
/// flag `brokerd --help` prints is documented, and the unit file has what a clean, restartable,
/// unprivileged service needs (and `systemd-analyze verify` accepts it where systemd is installed).
@Suite("docs/OPERATIONS.md and the systemd unit")
struct OperationsGuideTests {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func flags(in text: String) -> Set<String> {
        let pattern = try! NSRegularExpression(pattern: "--[a-z][a-z0-9-]*")
        let range = NSRange(text.startIndex..., in: text)
        return Set(
            pattern.matches(in: text, range: range).compactMap { Range($0.range, in: text).map { String(text[$0]) } }
        )
    }

    @Test("every flag of brokerd --help is in docs/OPERATIONS.md")
    func everyFlagIsDocumented() async throws {
        let help = try await runTool("brokerd", ["--help"])
        #expect(help.status == 0)
        let flags = Self.flags(in: help.standardOutput)
        #expect(flags.count > 30, "\(flags.sorted())")
        let guide = try String(
            contentsOf: Self.packageRoot.appendingPathComponent("docs/OPERATIONS.md"),
            encoding: .utf8
        )
        for flag in flags.sorted() {
            #expect(guide.contains("`\(flag)`") || guide.contains("\(flag) "), "\(flag) is not in docs/OPERATIONS.md")
        }
    }

    @Test("the unit file stops brokerd cleanly, restarts it on failure, runs it unprivileged with its descriptors")
    func unitFile() async throws {
        let path = Self.packageRoot.appendingPathComponent("packaging/systemd/brokerd.service")
        let unit = try String(contentsOf: path, encoding: .utf8)
        var fields: [String: String] = [:]
        for line in unit.split(separator: "\n") where !line.hasPrefix("#") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            fields[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        #expect(fields["User"] == "sluice" && fields["Group"] == "sluice")
        #expect(Int(fields["LimitNOFILE"] ?? "") ?? 0 >= 65536)
        #expect(fields["Restart"] == "on-failure")
        #expect(fields["RestartPreventExitStatus"] == "64")
        #expect(fields["KillSignal"] == "SIGTERM")
        #expect(fields["KillMode"] == "mixed")
        // brokerd's drain takes up to 10 s, then the flush: the stop timeout leaves room for both.
        #expect(Int(fields["TimeoutStopSec"] ?? "") ?? 0 >= 30)
        let execStart = try #require(fields["ExecStart"])
        #expect(execStart.hasPrefix("/usr/local/bin/brokerd "))
        #expect(execStart.contains("--data-dir /var/lib/sluice/"))
        let help = try await runTool("brokerd", ["--help"])
        for flag in Self.flags(in: execStart) {
            #expect(Self.flags(in: help.standardOutput).contains(flag), "\(flag) is not a brokerd flag")
        }
        // The command line itself is accepted: brokerd's parser takes it (--help after it prints help, exit 0).
        let arguments = execStart.split(separator: " ").dropFirst().map(String.init)
        await #expect(try runTool("brokerd", arguments + ["--help"]).status == 0)

        let analyze = "/usr/bin/systemd-analyze"
        guard FileManager.default.isExecutableFile(atPath: analyze) else { return }
        let directory = try TemporaryDirectory()
        let copy = directory.path + "/brokerd.service"
        let brokerd = try executable(named: "brokerd").path
        try unit.replacingOccurrences(of: "/usr/local/bin/brokerd", with: brokerd)
            .write(toFile: copy, atomically: true, encoding: .utf8)
        let verified = try await runProcess(analyze, ["verify", copy])
        #expect(verified.status == 0, "\(verified.standardError)")
        // verify exits 0 on values it ignores (a bad signal name, say) but names the line: none here.
        #expect(!verified.standardError.contains("brokerd.service"), "\(verified.standardError)")
    }
}
