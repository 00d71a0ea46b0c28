import ArgumentParser
import BrokerClient
import ToolSupport

/// `brokerctl`: administers a Sluice broker.
@main
struct BrokerctlCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "brokerctl",
        abstract: "Administer a Sluice broker: topics, groups, dead letters, schedules, status.",
        version: ToolVersion.current,
        subcommands: [
            TopicsCommand.self, GroupsCommand.self, DLQCommand.self, SchedulesCommand.self, StatusCommand.self,
        ]
    )

    @OptionGroup var connection: ConnectionOptions

    static func main() async {
        await ToolMain.main(Self.self, program: "brokerctl")
    }

    /// Connects to the broker, runs `body` with an admin client, and closes the connection.
    static func withAdmin<Result: Sendable>(
        _ options: ConnectionOptions,
        _ body: (Admin) async throws -> Result
    ) async throws -> Result {
        var configuration = ConnectionConfiguration()
        configuration.clientName = "brokerctl"
        let connection = BrokerConnection(address: try options.address(), configuration: configuration)
        do {
            let result = try await body(Admin(transport: connection))
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error
        }
    }
}
