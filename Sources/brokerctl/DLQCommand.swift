import ArgumentParser
import BrokerClient
import ToolSupport

/// `brokerctl dlq …`: a consumer group's dead letters.
struct DLQCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq",
        abstract: "Dead letters: deliver them again to their group.",
        discussion: """
            A group's dead letters of topic T are in the ordinary topic dlq.<group>.<T>; read them with \
            `consumer --topic dlq.<group>.<T>`.
            """,
        subcommands: [DLQRedriveCommand.self]
    )

    @OptionGroup var connection: ConnectionOptions
}

/// `brokerctl dlq redrive G --topic T [--limit N]`.
struct DLQRedriveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redrive",
        abstract: "Deliver a group's dead letters of a topic again, to that group only.",
        discussion: """
            Redrives the dead letters written since the group's last redrive (all of them the first \
            time), at most --limit. The group's members need not be connected: the messages are \
            delivered once one is. A redriven message that fails again becomes a dead letter again, \
            for the next redrive. Prints how many dead letters will be delivered again.
            """
    )

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The group name.")
    var group: String

    @Option(help: "The group's source topic whose dead letters are redriven.")
    var topic: String

    @Option(help: "The most dead letters to redrive (default: all).")
    var limit: Int64?

    func validate() throws {
        if let limit, limit < 0 { throw ValidationError("--limit must be 0 or more, got \(limit)") }
    }

    func run() async throws {
        let count = try await BrokerctlCommand.withAdmin(connection) {
            try await $0.redriveDeadLetters(group, topic: topic, limit: limit)
        }
        let deadLetterTopic = "dlq.\(group).\(topic)"
        print("redriving \(count) dead letter\(count == 1 ? "" : "s") of \(deadLetterTopic) to group \(group)")
    }
}
