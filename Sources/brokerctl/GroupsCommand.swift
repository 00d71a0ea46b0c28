import ArgumentParser
import ToolSupport

/// `brokerctl groups …`.
struct GroupsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "groups",
        abstract: "List and describe consumer groups (reset and delete are not available yet).",
        subcommands: [
            GroupsListCommand.self, GroupsDescribeCommand.self, GroupsResetCommand.self, GroupsDeleteCommand.self,
        ]
    )

    @OptionGroup var connection: ConnectionOptions
}

/// `brokerctl groups reset`: not served by the broker yet.
struct GroupsResetCommand: UnavailableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset",
        abstract: "Reset a group's committed offsets (not available yet).",
        usage: "brokerctl groups reset G --topic T --to earliest|latest|OFFSET|TIME"
    )
    static let feature = "group resets"

    @Argument(parsing: .allUnrecognized) var arguments: [String] = []
}

/// `brokerctl groups delete`: not served by the broker yet.
struct GroupsDeleteCommand: UnavailableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete a group (not available yet).",
        usage: "brokerctl groups delete G"
    )
    static let feature = "group deletions"

    @Argument(parsing: .allUnrecognized) var arguments: [String] = []
}
