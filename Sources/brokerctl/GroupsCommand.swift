import ArgumentParser
import BrokerClient
import ToolSupport

/// `brokerctl groups …`.
struct GroupsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "groups",
        abstract: "List, describe, reset and delete consumer groups.",
        subcommands: [
            GroupsListCommand.self, GroupsDescribeCommand.self, GroupsResetCommand.self, GroupsDeleteCommand.self,
        ]
    )

    @OptionGroup var connection: ConnectionOptions
}

/// `brokerctl groups reset G --topic T --to earliest|latest|OFFSET|TIME`.
struct GroupsResetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset",
        abstract: "Set a group's committed offsets on a topic (only while no member is connected)."
    )

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The group name.")
    var group: String

    @Option(help: "The topic whose partitions are reset.")
    var topic: String

    @Option(help: "earliest, latest, an offset, or a time (RFC 3339 or epoch milliseconds).")
    var to: String

    func validate() throws {
        _ = try target()
    }

    private func target() throws -> Admin.GroupResetTarget {
        switch StartPositionSyntax.parse(to) {
        case .earliest: return .earliest
        case .latest: return .latest
        case .offset(let offset): return .offset(offset)
        case .timestamp(let time): return .timestamp(time)
        case .fromEnd, nil:
            throw ValidationError("--to must be earliest, latest, an offset or a time, got '\(to)'")
        }
    }

    func run() async throws {
        let target = try target()
        let offsets = try await BrokerctlCommand.withAdmin(connection) {
            try await $0.resetGroup(group, topic: topic, to: target)
        }
        for (partition, offset) in offsets.sorted(by: { $0.key < $1.key }) {
            print("reset \(group) \(topic)/\(partition) to \(offset)")
        }
    }
}

/// `brokerctl groups delete G`.
struct GroupsDeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete a group's state (only while no member is connected; its dead-letter topics stay)."
    )

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The group name.")
    var group: String

    func run() async throws {
        try await BrokerctlCommand.withAdmin(connection) { try await $0.deleteGroup(group) }
        print("deleted group \(group)")
    }
}
