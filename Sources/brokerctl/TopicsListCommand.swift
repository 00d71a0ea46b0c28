import ArgumentParser
import BrokerClient
import ToolSupport

/// `brokerctl topics list`: one line per topic, `NAME PARTITIONS`.
struct TopicsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the topics and their partition counts."
    )

    @OptionGroup var connection: ConnectionOptions

    @Flag(help: "Print a JSON array of {\"topic\",\"partitions\"} objects instead of a table.")
    var json = false

    func run() async throws {
        let topics = try await BrokerctlCommand.withAdmin(connection) { try await $0.listTopics() }
        if json {
            let objects = topics.map {
                JSONValue.object([("topic", .string($0.name)), ("partitions", .integer(Int64($0.partitionCount)))])
            }
            print(JSONValue.array(objects).text)
            return
        }
        print(
            TextTable.render(
                header: ["TOPIC", "PARTITIONS"],
                rows: topics.map { [$0.name, "\($0.partitionCount)"] }
            ),
            terminator: ""
        )
    }
}
