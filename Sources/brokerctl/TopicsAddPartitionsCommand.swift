import ArgumentParser
import BrokerClient
import ToolSupport

/// `brokerctl topics add-partitions NAME --partitions N` (N is the new total).
struct TopicsAddPartitionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add-partitions",
        abstract: "Raise a topic's partition count to --partitions (the new total)."
    )

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The topic name.")
    var name: String

    @Option(parsing: .unconditional, help: "The new total number of partitions.")
    var partitions: Int32

    func validate() throws {
        if partitions < 1 { throw ValidationError("--partitions must be at least 1") }
    }

    func run() async throws {
        try await BrokerctlCommand.withAdmin(connection) { try await $0.addPartitions(name, partitions: partitions) }
        print("topic \(name) now has \(partitions) partitions")
    }
}
