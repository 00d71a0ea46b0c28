import ArgumentParser
import BrokerClient
import ToolSupport

/// `brokerctl status`: the broker's version, uptime, topics, connections and log size.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show the broker's state.")

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let status = try await BrokerctlCommand.withAdmin(connection) { try await $0.status() }
        print("broker: \(try connection.address())")
        print("version: \(status.brokerVersion)")
        print("uptime: \(DurationSyntax.format(.milliseconds(status.uptimeMilliseconds / 1000 * 1000)))")
        print("topics: \(status.topicCount)")
        print("partitions: \(status.partitionCount)")
        print("connections: \(status.connectionCount)")
        print("log bytes: \(status.logBytes)")
        print("data directory: \(status.dataDirectory)")
    }
}
