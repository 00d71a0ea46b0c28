import Foundation
import ProcessTesting
import Testing

/// `scripts/outside-kafka-client.py`, a Kafka client written from docs/KAFKA.md alone (python3's standard library,
/// its own RecordBatch v2 encoder and CRC-32C), drives the built `brokerd`'s Kafka listener from outside with valid
/// frames carrying hostile values; it exits 1 on a finding (a wrong error code against the document, a connection
/// closed or not closed against it, a lost or altered record, an offset commit that does not read back).
@Suite struct OutsideKafkaClientTests {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("a Kafka client written from KAFKA.md alone finds the listener answering as documented and every record")
    func outsideKafkaClientFindsNothing() async throws {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", Self.packageRoot.appendingPathComponent("scripts/outside-kafka-client.py").path,
            "--brokerd", try executable(named: "brokerd").path, "--seed", "1", "--steps", "400", "--quiet",
        ]
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = "enable=no"
        process.environment = environment
        let run = try await runToCompletion(
            process,
            timeoutSeconds: 300,
            describedAs: "outside-kafka-client.py --seed 1"
        )
        #expect(run.status == 0, "\(run.standardOutput)\(run.standardError)")
    }
}
