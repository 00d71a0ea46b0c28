import Foundation
import Glibc
import Testing

/// `brokerctl topics add-partitions`, and the refusals of add-partitions, describe and delete,
/// against a real brokerd.
@Suite("brokerctl topics add-partitions, describe and delete")
struct BrokerctlTopicsCoverageTests {
    static func brokerctl(_ broker: BrokerdProcess, _ arguments: [String]) async throws -> ToolRun {
        try await runTool("brokerctl", ["--broker", broker.address] + arguments)
    }

    static func partitions(_ broker: BrokerdProcess, _ topic: String) async throws -> [Int]? {
        let described = try await brokerctl(broker, ["topics", "describe", topic, "--json"])
        #expect(described.status == 0, "\(described.standardError)")
        let object = try ToolSyntaxTests.jsonObject(described.standardOutput)
        return (object["partitions"] as? [[String: Any]])?.compactMap { $0["partition"] as? Int }
    }

    @Test("add-partitions raises the count (kept across a restart); a smaller count, 0 or an unknown topic is refused")
    func addPartitions() async throws {
        let directory = try TemporaryDirectory()
        var broker = try await BrokerdProcess(dataDirectory: directory.path + "/data")
        let created = try await Self.brokerctl(broker, ["topics", "create", "grow", "--partitions", "2"])
        #expect(created.status == 0, "\(created.standardError)")

        let added = try await Self.brokerctl(broker, ["topics", "add-partitions", "grow", "--partitions", "4"])
        #expect(added.status == 0, "\(added.standardError)")
        #expect(added.standardOutput == "topic grow now has 4 partitions\n")
        #expect(try await Self.partitions(broker, "grow") == [0, 1, 2, 3])
        let status = try ToolSyntaxTests.jsonObject(
            try await Self.brokerctl(broker, ["status", "--json"]).standardOutput
        )
        #expect(status["partitions"] as? Int == 4)

        let smaller = try await Self.brokerctl(broker, ["topics", "add-partitions", "grow", "--partitions", "3"])
        #expect(smaller.status != 0)
        #expect(smaller.standardError.contains("has 4 partitions; the new count must be larger, got 3"), "\(smaller)")
        let zero = try await Self.brokerctl(broker, ["topics", "add-partitions", "grow", "--partitions", "0"])
        #expect(zero.status != 0)
        #expect(zero.standardError.contains("--partitions must be at least 1"), "\(zero)")
        let unknown = try await Self.brokerctl(broker, ["topics", "add-partitions", "nothing", "--partitions", "5"])
        #expect(unknown.status != 0)
        #expect(unknown.standardError.contains("unknown topic 'nothing'"), "\(unknown)")
        #expect(try await Self.partitions(broker, "grow") == [0, 1, 2, 3], "refusals change nothing")

        // The new count is on disk: a restarted broker opens four partitions.
        #expect(try await broker.stop(signal: SIGTERM) == 0)
        broker = try await BrokerdProcess(dataDirectory: directory.path + "/data")
        #expect(try await Self.partitions(broker, "grow") == [0, 1, 2, 3])
        _ = try await broker.stop(signal: SIGTERM)
    }

    @Test("describe and delete of a topic that does not exist fail, naming it; a deleted topic is gone")
    func describeAndDeleteRefusals() async throws {
        let directory = try TemporaryDirectory()
        let broker = try await BrokerdProcess(dataDirectory: directory.path + "/data")
        for command in [["topics", "describe", "ghost"], ["topics", "delete", "ghost"]] {
            let run = try await Self.brokerctl(broker, command)
            #expect(run.status != 0, "\(command)")
            #expect(run.standardError.contains("unknown topic 'ghost'"), "\(command): \(run.standardError)")
        }
        let created = try await Self.brokerctl(broker, ["topics", "create", "brief", "--partitions", "1"])
        #expect(created.status == 0, "\(created.standardError)")
        let deleted = try await Self.brokerctl(broker, ["topics", "delete", "brief"])
        #expect(deleted.status == 0, "\(deleted.standardError)")
        let described = try await Self.brokerctl(broker, ["topics", "describe", "brief"])
        #expect(described.status != 0)
        #expect(described.standardError.contains("unknown topic 'brief'"), "\(described.standardError)")
        let status = try ToolSyntaxTests.jsonObject(
            try await Self.brokerctl(broker, ["status", "--json"]).standardOutput
        )
        #expect(status["topics"] as? Int == 0)
        _ = try await broker.stop(signal: SIGTERM)
    }
}
