import Foundation
import Testing

/// `brokerd --max-pending-schedules`: the broker-wide bound on pending schedules, reached through
/// the real tools.
@Suite("brokerd --max-pending-schedules", .serialized)
struct BrokerdPendingScheduleLimitTests {
    @Test("past the limit a schedule is refused with the limit named; a cancel makes room again")
    func limitReached() async throws {
        let directory = try TemporaryDirectory()
        let broker = try await BrokerdProcess(
            dataDirectory: directory.path + "/data",
            extraArguments: ["--max-pending-schedules", "2"]
        )
        defer { broker.kill() }
        let created = try await runTool(
            "brokerctl",
            ["--broker", broker.address, "topics", "create", "jobs", "--partitions", "1"]
        )
        #expect(created.status == 0, "\(created.standardError)")
        func schedule(_ id: String) async throws -> ToolRun {
            try await runTool(
                "producer",
                ["--broker", broker.address, "--topic", "jobs", "--delay", "1h", "--schedule-id", id, "payload"]
            )
        }
        await #expect(try schedule("a").status == 0)
        await #expect(try schedule("b").status == 0)
        let refused = try await schedule("c")
        #expect(refused.status != 0)
        #expect(refused.standardError.contains("maxPendingSchedules"), "\(refused.standardError)")
        // Rescheduling a pending id does not count against the limit.
        await #expect(try schedule("a").status == 0)
        let cancelled = try await runTool(
            "brokerctl",
            ["--broker", broker.address, "schedules", "cancel", "jobs", "b"]
        )
        #expect(cancelled.standardOutput.contains("cancelled b"), "\(cancelled.standardOutput)")
        await #expect(try schedule("c").status == 0)
        let listed = try await runTool("brokerctl", ["--broker", broker.address, "schedules", "list", "jobs"])
        #expect(listed.standardOutput.contains("2 pending"), "\(listed.standardOutput)")
    }

    @Test("a limit outside 1...1,000,000,000 is refused with the flag named")
    func invalidLimits() async throws {
        let directory = try TemporaryDirectory()
        for value in ["0", "-1", "1000000001", "many"] {
            let run = try await runTool(
                "brokerd",
                [
                    "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--data-dir", directory.path + "/d",
                    "--max-pending-schedules", value,
                ]
            )
            #expect(run.status == 64, "\(value): \(run.standardError)")
            #expect(run.standardError.contains("max-pending-schedules"), "\(value): \(run.standardError)")
        }
    }
}
