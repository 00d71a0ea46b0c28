import Foundation
import Testing

/// `consumer --group`: each message printed once and acknowledged, `delivery_count` in JSON, the
/// group's lag 0 afterwards; the options that need --group (or --exec) refused.
@Suite("consumer --group", .serialized)
struct ConsumerGroupToolTests {
    @Test(
        "--until-end: every message printed once and acknowledged, with delivery_count; lag 0; a second run exits at once"
    )
    func consumesAsAGroupMember() async throws {
        let directory = try TemporaryDirectory()
        let broker = try await BrokerdProcess(dataDirectory: directory.path + "/data")
        defer { broker.kill() }
        let created = try await runTool(
            "brokerctl",
            ["--broker", broker.address, "topics", "create", "jobs", "--partitions", "3"]
        )
        #expect(created.status == 0, "\(created.standardError)")
        let input = (0..<20).map { "key-\($0 % 7) job \($0)" }.joined(separator: "\n") + "\n"
        let produced = try await runTool(
            "producer",
            ["--broker", broker.address, "--topic", "jobs", "--key-separator", " "],
            input: input
        )
        #expect(produced.status == 0, "\(produced.standardError)")
        let consumed = try await runTool(
            "consumer",
            [
                "--broker", broker.address, "--topic", "jobs", "--group", "workers", "--from", "earliest",
                "--until-end", "--format", "json",
            ]
        )
        #expect(consumed.status == 0, "\(consumed.standardError)")
        let lines = consumed.standardOutput.split(separator: "\n")
        #expect(lines.count == 20)
        let objects = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(Set(objects.compactMap { $0["value"] as? String }).count == 20, "each message once")
        #expect(objects.allSatisfy { ($0["delivery_count"] as? Int) == 1 })
        let described = try await runTool(
            "brokerctl",
            ["--broker", broker.address, "groups", "describe", "workers", "--json"]
        )
        #expect(described.status == 0, "\(described.standardError)")
        let group = try JSONSerialization.jsonObject(with: Data(described.standardOutput.utf8)) as? [String: Any]
        let partitions = group?["partitions"] as? [[String: Any]] ?? []
        #expect(partitions.count == 3)
        #expect(partitions.allSatisfy { ($0["lag"] as? Int) == 0 }, "\(described.standardOutput)")
        // Again: everything that exists is acknowledged already, so it exits at once with nothing.
        let again = try await runTool(
            "consumer",
            ["--broker", broker.address, "--topic", "jobs", "--group", "workers", "--until-end"]
        )
        #expect(again.status == 0, "\(again.standardError)")
        #expect(again.standardOutput.isEmpty)
    }

    @Test("options that need --group, or --exec, are refused with the flag named")
    func refusedOptions() async throws {
        for (arguments, expected) in [
            (["--topic", "t", "--ordering", "key"], "need --group"),
            (["--topic", "t", "--group", "g", "--concurrency", "2"], "--concurrency needs --exec"),
            (["--topic", "t", "--group", "g", "--partition", "0"], "--partition"),
            (["--topic", "t", "--group", "g", "--from", "5"], "--from"),
            (["--topic", "t", "--group", "g", "--ordering", "random"], "--ordering"),
            (["--topic", "t", "--group", "g", "--ack-timeout", "soon"], "--ack-timeout"),
        ] {
            let run = try await runTool("consumer", arguments)
            #expect(run.status == 64, "\(arguments): \(run.standardError)")
            #expect(run.standardError.contains(expected), "\(arguments): \(run.standardError)")
        }
    }
}
