import Foundation
import Testing

/// `brokerctl groups`: list and describe answer from the broker; reset and delete say they are not
/// available yet.
@Suite("brokerctl groups", .serialized)
struct BrokerctlGroupsTests {
    @Test("list on a broker without groups, describe of an unknown group, and the commands not served yet")
    func groupsCommands() throws {
        let directory = try TemporaryDirectory()
        let broker = try BrokerdProcess(dataDirectory: directory.path + "/data")
        defer { _ = try? broker.stop() }
        let list = try runTool("brokerctl", ["--broker", broker.address, "groups", "list"])
        #expect(list.status == 0, "\(list.standardError)")
        #expect(list.standardOutput.hasPrefix("GROUP"), "\(list.standardOutput)")
        let json = try runTool("brokerctl", ["--broker", broker.address, "groups", "list", "--json"])
        #expect(json.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == "[]")
        let describe = try runTool("brokerctl", ["--broker", broker.address, "groups", "describe", "nobody"])
        #expect(describe.status != 0)
        #expect(describe.standardError.contains("nobody"), "\(describe.standardError)")
        #expect(describe.standardError.split(separator: "\n").count == 1, "one line: \(describe.standardError)")
        let reset = try runTool("brokerctl", ["--broker", broker.address, "groups", "reset", "g", "--topic", "t"])
        #expect(reset.status != 0 && reset.standardError.contains("not available yet"), "\(reset.standardError)")
        // No group was used: the broker wrote no group state.
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/data/__group_state"))
    }
}
