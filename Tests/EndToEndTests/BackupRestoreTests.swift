import Foundation
import Testing

/// The backup procedure of docs/OPERATIONS.md ("Backup and restore"), run as written: stop
/// `brokerd` cleanly, copy the data directory, start a broker on the copy; the copy holds every
/// message, the group's committed offsets and the pending schedules.
@Suite("backup and restore of a data directory", .serialized)
struct BackupRestoreTests {
    @Test("stop, cp -a, start on the copy: messages, committed offsets and pending schedules are all there")
    func copyAfterCleanStop() async throws {
        let directory = try TemporaryDirectory()
        let original = directory.path + "/data"
        let broker = try await BrokerdProcess(dataDirectory: original)
        func tool(
            _ name: String,
            _ arguments: [String],
            on address: String,
            input: String? = nil
        ) async throws -> ToolRun {
            let run = try await runTool(name, ["--broker", address] + arguments, input: input)
            try #require(run.status == 0, "\(name) \(arguments): \(run.standardError)")
            return run
        }
        _ = try await tool("brokerctl", ["topics", "create", "orders", "--partitions", "2"], on: broker.address)
        let lines = (0..<20).map { "customer-\($0 % 5):order-\($0)" }.joined(separator: "\n") + "\n"
        _ = try await tool(
            "producer",
            ["--topic", "orders", "--key-separator", ":"],
            on: broker.address,
            input: lines
        )
        let consumed = try await tool(
            "consumer",
            ["--topic", "orders", "--group", "billing", "--from", "earliest", "--count", "12"],
            on: broker.address
        )
        #expect(consumed.lines.count == 12)
        for id in ["timeout-1", "timeout-2", "timeout-3"] {
            _ = try await tool(
                "producer",
                ["--topic", "orders", "--delay", "1h", "--schedule-id", id, "cancel"],
                on: broker.address
            )
        }
        let describedBefore = try await tool(
            "brokerctl",
            ["groups", "describe", "billing", "--json"],
            on: broker.address
        )
        #expect(describedBefore.standardOutput.contains(#""lag":"#))
        await #expect(try broker.stop() == 0)

        // The documented copy: after a clean stop, the whole directory, preserving modes and times.
        let copy = directory.path + "/restored"
        let copied = try await runProcess("/bin/cp", ["-a", original, copy])
        #expect(copied.status == 0, "\(copied.standardError)")

        let restored = try await BrokerdProcess(dataDirectory: copy)
        let all = try await tool(
            "consumer",
            ["--topic", "orders", "--from", "earliest", "--until-end"],
            on: restored.address
        )
        #expect(Set(all.lines) == Set((0..<20).map { "order-\($0)" }), "\(all.standardOutput)")
        let describedAfter = try await tool(
            "brokerctl",
            ["groups", "describe", "billing", "--json"],
            on: restored.address
        )
        // The same committed offsets, ends and lags ("unfinished" counts what the running group had read ahead).
        func stored(_ json: String) -> String {
            json.replacingOccurrences(of: #""unfinished":\d+"#, with: "", options: .regularExpression)
        }
        #expect(stored(describedAfter.standardOutput) == stored(describedBefore.standardOutput))
        #expect(describedBefore.standardOutput.contains(#""committed":"#))
        let schedules = try await tool("brokerctl", ["schedules", "list", "orders"], on: restored.address)
        for id in ["timeout-1", "timeout-2", "timeout-3"] {
            #expect(schedules.standardOutput.contains(id), "\(schedules.standardOutput)")
        }
        #expect(schedules.standardOutput.contains("3 pending"), "\(schedules.standardOutput)")
        // The group goes on from its committed offsets: the 8 messages it had not acknowledged, none again.
        let rest = try await tool(
            "consumer",
            ["--topic", "orders", "--group", "billing", "--until-end"],
            on: restored.address
        )
        #expect(rest.lines.count == 8, "\(rest.standardOutput)")
        #expect(Set(rest.lines).isDisjoint(with: consumed.lines))
        await #expect(try restored.stop() == 0)
    }
}
