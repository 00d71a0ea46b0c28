import Foundation
import Testing

/// The worked example of docs/examples/jobs-and-dead-letters.md, run as a user would run it: every
/// job handled once, the failing one dead-lettered after two deliveries, read back from the
/// dead-letter topic, then redriven to its group and handled.
@Suite("docs/examples/jobs-and-dead-letters.sh")
struct JobsExampleTests {
    @Test func theExampleRunsAsDocumented() async throws {
        let binaries = try executable(named: "brokerd").deletingLastPathComponent().path
        let script = DurableAckSyscallTests.packageRoot.appendingPathComponent("docs/examples/jobs-and-dead-letters.sh")
        let run = try await runProcess("/usr/bin/env", ["BIN=\(binaries)", "bash", script.path], timeoutSeconds: 180)
        #expect(run.status == 0, "\(run.standardOutput)\n\(run.standardError)")
        let lines = run.lines
        func count(_ prefix: String) -> Int { lines.filter { $0.hasPrefix(prefix) }.count }
        for job in ["resize photo 1", "send email 2", "resize photo 4"] {
            #expect(count("done: \(job) (key job-") == 1, "\(run.standardOutput)")
        }
        #expect(count("done: import corrupt file 3") == 1, "\(run.standardOutput)")
        #expect(lines.contains("done: import corrupt file 3 (key job-3, from dlq.workers.jobs/0@0, delivery 1)"))
        #expect(run.standardError.contains("failed: import corrupt file 3 (delivery 1)"))
        #expect(run.standardError.contains("jobs/0@2: exec: exit 1 (delivery 2 of 2; dead-lettered)"))
        let deadLetter = try #require(lines.first { $0.hasPrefix("{\"topic\":\"dlq.workers.jobs\"") })
        #expect(deadLetter.contains("{\"key\":\"sluice.dlq.reason\",\"value\":\"exec: exit 1\"}"))
        #expect(deadLetter.contains("{\"key\":\"sluice.dlq.delivery-count\",\"value\":\"2\"}"))
        #expect(lines.contains("redriving 1 dead letter of dlq.workers.jobs to group workers"))
        // After the redrive the dead-letter partition's row shows it finished.
        #expect(
            lines.contains { $0.hasPrefix("dlq.workers.jobs  0          1          1    0") },
            "\(run.standardOutput)"
        )
    }
}
