import Foundation
import ProcessTesting
import Testing

/// The clients written from the documents alone (python3's standard library, sharing only
/// `scripts/outside_common.py`: integers, CRC-32C, RecordBatch v2, framing) drive the built `brokerd`
/// from outside with valid frames carrying hostile values; each exits 1 on a finding (a wrong error
/// code against its document, a connection closed or not closed against it, a lost or altered
/// record, an offset commit that does not read back).
@Suite struct OutsideClientTests {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("a client written from PROTOCOL.md alone finds the broker alive, answering and holding durable records")
    func outsideClientFindsNothing() async throws {
        try await Self.run("outside-client.py", steps: 200)
    }

    @Test("a Kafka client written from KAFKA.md alone finds the listener answering as documented and every record")
    func outsideKafkaClientFindsNothing() async throws {
        try await Self.run("outside-kafka-client.py", steps: 400)
    }

    /// Runs `scripts/<script>` against the built `brokerd` with seed 1; it must exit 0.
    static func run(_ script: String, steps: Int) async throws {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", packageRoot.appendingPathComponent("scripts/\(script)").path,
            "--brokerd", try executable(named: "brokerd").path, "--seed", "1", "--steps", "\(steps)", "--quiet",
        ]
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = "enable=no"
        process.environment = environment
        let run = try await runToCompletion(process, timeoutSeconds: 300, describedAs: "\(script) --seed 1")
        #expect(run.status == 0, "\(run.standardOutput)\(run.standardError)")
    }
}
