import Foundation
import ProcessTesting
import Testing

/// `scripts/outside-client.py`, a client written from docs/PROTOCOL.md alone (python3's standard library), drives
/// the built `brokerd` from outside with valid frames carrying hostile values; it exits 1 on a finding.
@Suite struct OutsideClientTests {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("a client written from PROTOCOL.md alone finds the broker alive, answering and holding durable records")
    func outsideClientFindsNothing() async throws {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", Self.packageRoot.appendingPathComponent("scripts/outside-client.py").path,
            "--brokerd", try executable(named: "brokerd").path, "--seed", "1", "--steps", "200", "--quiet",
        ]
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = "enable=no"
        process.environment = environment
        let run = try await runToCompletion(process, timeoutSeconds: 300, describedAs: "outside-client.py --seed 1")
        #expect(run.status == 0, "\(run.standardOutput)\(run.standardError)")
    }
}
