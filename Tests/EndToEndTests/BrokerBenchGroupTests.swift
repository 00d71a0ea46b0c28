import Foundation
import Testing

/// `broker-bench group` against a real brokerd: the members drain what it produced, acknowledging
/// each message, and its own check finds every offset acknowledged once; `--json` carries the
/// figures and the check; bad options are refused with a one-line error. No timing is asserted.
@Suite("broker-bench group", .serialized)
struct BrokerBenchGroupTests {
    @Test("every produced message is acknowledged once, across partitions and members; a second run on the topic too")
    func drainsAndChecks() async throws {
        let directory = try TemporaryDirectory()
        let broker = try await BrokerdProcess(dataDirectory: directory.path + "/data")
        defer { broker.kill() }
        for _ in 0..<2 {
            // The second run finds the topic with messages in it: its group starts at the end.
            let run = try await runTool(
                "broker-bench",
                [
                    "group", "--broker", broker.address, "--topic", "bench", "--partitions", "3", "--count", "2500",
                    "--consumers", "2", "--prefetch", "100", "--json",
                ]
            )
            #expect(run.status == 0, "\(run.standardError)")
            let result = try JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8)) as? [String: Any]
            #expect(result?["messages"] as? Int == 2500, "\(run.standardOutput)")
            #expect((result?["messages_per_second"] as? Double ?? 0) > 0)
            let latency = result?["latency_ms"] as? [String: Any]
            #expect(Set(latency?.keys.map { $0 } ?? []) == ["p50", "p99", "p999", "max"])
            let check = result?["check"] as? [String: Any]
            #expect(check?["complete"] as? Bool == true, "\(run.standardOutput)")
            #expect(check?["acknowledged"] as? Int == 2500)
            #expect(check?["ack_errors"] as? Int == 0)
        }
    }

    @Test("bad options are refused with the flag named")
    func refusesBadOptions() async throws {
        for (arguments, expected) in [
            (["--ordering", "sideways"], "--ordering"),
            (["--count", "0"], "--count"),
            (["--duration", "soon"], "--duration"),
            (["--max-unfinished", "0"], "--max-unfinished"),
        ] {
            let run = try await runTool("broker-bench", ["group", "--topic", "bench"] + arguments)
            #expect(run.status != 0)
            #expect(run.standardError.contains(expected), "\(arguments): \(run.standardError)")
        }
    }
}
