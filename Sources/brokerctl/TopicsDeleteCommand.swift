import ArgumentParser
import BrokerClient
import ToolSupport

/// `brokerctl topics delete NAME`.
struct TopicsDeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a topic and its data.")

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The topic name.")
    var name: String

    func run() async throws {
        try await BrokerctlCommand.withAdmin(connection) { try await $0.deleteTopic(name) }
        print("deleted topic \(name)")
    }
}
