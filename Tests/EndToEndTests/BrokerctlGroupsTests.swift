import Foundation
import Testing

/// `brokerctl groups`: list, describe, reset and delete answer from the broker (unknown groups in
/// one line), and so does `dlq redrive`.
@Suite("brokerctl groups", .serialized)
struct BrokerctlGroupsTests {
    @Test("list on a broker without groups; describe, reset and delete of an unknown group; a bad --to; redrive")
    func groupsCommands() async throws {
        let directory = try TemporaryDirectory()
        let broker = try await BrokerdProcess(dataDirectory: directory.path + "/data")
        defer { broker.kill() }
        let list = try await runTool("brokerctl", ["--broker", broker.address, "groups", "list"])
        #expect(list.status == 0, "\(list.standardError)")
        #expect(list.standardOutput.hasPrefix("GROUP"), "\(list.standardOutput)")
        let json = try await runTool("brokerctl", ["--broker", broker.address, "groups", "list", "--json"])
        #expect(json.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == "[]")
        let describe = try await runTool("brokerctl", ["--broker", broker.address, "groups", "describe", "nobody"])
        #expect(describe.status != 0)
        #expect(describe.standardError.contains("nobody"), "\(describe.standardError)")
        #expect(describe.standardError.split(separator: "\n").count == 1, "one line: \(describe.standardError)")
        let reset = try await runTool(
            "brokerctl",
            ["--broker", broker.address, "groups", "reset", "nobody", "--topic", "t", "--to", "earliest"]
        )
        #expect(reset.status != 0 && reset.standardError.contains("nobody"), "\(reset.standardError)")
        let badTarget = try await runTool(
            "brokerctl",
            ["--broker", broker.address, "groups", "reset", "g", "--topic", "t", "--to", "-5"]
        )
        #expect(badTarget.status == 64 && badTarget.standardError.contains("--to"), "\(badTarget.standardError)")
        let delete = try await runTool("brokerctl", ["--broker", broker.address, "groups", "delete", "nobody"])
        #expect(delete.status != 0 && delete.standardError.contains("nobody"), "\(delete.standardError)")
        let redrive = try await runTool(
            "brokerctl",
            ["--broker", broker.address, "dlq", "redrive", "nobody", "--topic", "t"]
        )
        #expect(redrive.status != 0 && redrive.standardError.contains("no group 'nobody'"), "\(redrive.standardError)")
        #expect(redrive.standardError.split(separator: "\n").count == 1, "one line: \(redrive.standardError)")
        let badLimit = try await runTool(
            "brokerctl",
            ["--broker", broker.address, "dlq", "redrive", "g", "--topic", "t", "--limit", "-1"]
        )
        #expect(badLimit.status == 64 && badLimit.standardError.contains("--limit"), "\(badLimit.standardError)")
        // No group was used: the broker wrote no group state.
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/data/__group_state"))
    }
}
