import ArgumentParser
import BrokerClient
import ToolSupport

/// `brokerctl status`: the broker's version, uptime, topics, connections and log size.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show the broker's state.")

    @OptionGroup var connection: ConnectionOptions

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() async throws {
        let status = try await BrokerctlCommand.withAdmin(connection) { try await $0.status() }
        if json {
            print(Self.json(status, broker: try connection.address()).text)
            return
        }
        print("broker: \(try connection.address())")
        print("version: \(status.brokerVersion)")
        print("uptime: \(DurationSyntax.format(.milliseconds(status.uptimeMilliseconds / 1000 * 1000)))")
        print("topics: \(status.topicCount)")
        print("partitions: \(status.partitionCount)")
        print("connections: \(status.connectionCount)")
        print("log bytes: \(status.logBytes)")
        print("data directory: \(status.dataDirectory)")
    }

    /// `{"broker","version","uptime_ms","topics","partitions","connections","log_bytes","data_directory"}`.
    static func json(_ status: BrokerStatus, broker: BrokerAddress) -> JSONValue {
        .object([
            ("broker", .string("\(broker)")),
            ("version", .string(status.brokerVersion)),
            ("uptime_ms", .integer(status.uptimeMilliseconds)),
            ("topics", .integer(Int64(status.topicCount))),
            ("partitions", .integer(Int64(status.partitionCount))),
            ("connections", .integer(Int64(status.connectionCount))),
            ("log_bytes", .integer(status.logBytes)),
            ("data_directory", .string(status.dataDirectory)),
        ])
    }
}
