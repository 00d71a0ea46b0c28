import ArgumentParser
import BrokerClient
import ToolSupport

/// `brokerctl groups list`: one line per group, `GROUP KIND TOPICS MEMBERS` (kind `sluice` or `kafka`).
struct GroupsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the consumer groups, their topics and connected members."
    )

    @OptionGroup var connection: ConnectionOptions

    @Flag(help: "Print a JSON array of {\"group\",\"kind\",\"topics\",\"members\"} objects instead of a table.")
    var json = false

    func run() async throws {
        let groups = try await BrokerctlCommand.withAdmin(connection) { try await $0.listGroups() }
        if json {
            let objects = groups.map {
                JSONValue.object([
                    ("group", .string($0.name)), ("kind", .string($0.kind)),
                    ("topics", .array($0.topics.map { .string($0) })),
                    ("members", .integer(Int64($0.members))),
                ])
            }
            print(JSONValue.array(objects).text)
            return
        }
        print(
            TextTable.render(
                header: ["GROUP", "KIND", "TOPICS", "MEMBERS"],
                rows: groups.map { [$0.name, $0.kind, $0.topics.joined(separator: ","), "\($0.members)"] }
            ),
            terminator: ""
        )
    }
}
