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

    func run() async throws {
        let topics = try await BrokerctlCommand.withAdmin(connection) { try await $0.listTopics() }
        print(
            TextTable.render(
                header: ["TOPIC", "PARTITIONS"],
                rows: topics.map { [$0.name, "\($0.partitionCount)"] }
            ),
            terminator: ""
        )
    }
}
