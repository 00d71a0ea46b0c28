import ArgumentParser
import BrokerClient
import ToolSupport

/// `brokerctl schedules …`: a topic's pending delayed-delivery schedules.
struct SchedulesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedules",
        abstract: "Delayed-delivery schedules: list and cancel pending ones.",
        discussion: """
            A message scheduled with `producer --delay DURATION` or `--at TIME` waits in the broker \
            until its due time, then is appended to its topic like any other message.
            """,
        subcommands: [SchedulesListCommand.self, SchedulesCancelCommand.self]
    )

    @OptionGroup var connection: ConnectionOptions

    /// Connects to the broker, runs `body` with a schedule client, and closes the connection.
    static func withSchedules<Result: Sendable>(
        _ options: ConnectionOptions,
        _ body: (ScheduleClient) async throws -> Result
    ) async throws -> Result {
        var configuration = ConnectionConfiguration()
        configuration.clientName = "brokerctl"
        let connection = BrokerConnection(address: try options.address(), configuration: configuration)
        do {
            let result = try await body(ScheduleClient(transport: connection))
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error
        }
    }
}

/// `brokerctl schedules list T [--due-before TIME] [--id-prefix P] [--limit N]`.
struct SchedulesListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List a topic's pending schedules, by due time.",
        discussion: """
            Prints a table: ID, PARTITION, DUE, PRODUCED (RFC 3339, UTC), KEY (its text, or base64: \
            when it is not UTF-8; - for none), BYTES (the value's size; - for null), then a line \
            `N pending` with the topic's pending schedules, all of them. Lists at most --limit \
            schedules, following the broker's pages until then.
            """
    )

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var options: ScheduleListOptions

    func run() async throws {
        let (rows, pending) = try await SchedulesCommand.withSchedules(connection) { client in
            var rows: [[String]] = []
            var pending: Int64 = 0
            let pages = client.pages(
                topic: options.topic,
                dueBefore: options.dueBeforeMilliseconds,
                idPrefix: options.idPrefix,
                pageSize: min(options.limit, ScheduleListOptions.maxPageSize)
            )
            for try await page in pages {
                pending = page.pending
                rows += page.schedules.prefix(options.limit - rows.count).map(ScheduleListing.row)
                if rows.count >= options.limit { break }
            }
            return (rows, pending)
        }
        print(TextTable.render(header: ScheduleListing.header, rows: rows), terminator: "")
        print("\(pending) pending")
    }
}

/// `brokerctl schedules cancel T ID...`.
struct SchedulesCancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel pending schedules by id.",
        discussion: """
            Prints one line per id: `cancelled ID` (it will never be delivered), `already delivered ID` \
            (it was, once) or `unknown ID` (no such schedule). Exits 0 when the broker answered, \
            whatever the outcomes; non-zero on an error.
            """
    )

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var options: ScheduleCancelOptions

    func run() async throws {
        let results = try await SchedulesCommand.withSchedules(connection) {
            try await $0.cancel(topic: options.topic, scheduleIDs: options.scheduleIDs)
        }
        var firstError: ClientError?
        for (id, result) in zip(options.scheduleIDs, results) {
            switch result {
            case .success(let outcome): print(ScheduleListing.line(for: outcome, id: id))
            case .failure(let error): firstError = firstError ?? ClientError(error.code, "\(id): \(error.message)")
            }
        }
        if let firstError { throw firstError }
    }
}
