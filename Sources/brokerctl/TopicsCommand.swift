import ArgumentParser
import ToolSupport

/// `brokerctl topics …`.
struct TopicsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topics",
        abstract: "Create, list, describe and delete topics; add partitions.",
        subcommands: [
            TopicsCreateCommand.self, TopicsListCommand.self, TopicsDescribeCommand.self, TopicsDeleteCommand.self,
            TopicsAddPartitionsCommand.self,
        ]
    )

    @OptionGroup var connection: ConnectionOptions
}
