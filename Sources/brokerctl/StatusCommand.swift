import ArgumentParser
import BrokerClient
import ToolSupport

/// `brokerctl status`: the broker's version, uptime, topics, connections and log size, and (from a
/// broker serving `brokerStatus` v1) the groups' lag, in-flight messages, redeliveries and dead
/// letters, the pending schedules and the Kafka connections and groups.
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
        guard let operations = status.operations else { return }
        print("groups: \(operations.groupCount) (\(operations.kafkaGroupCount) Kafka)")
        print("group lag: \(operations.groupLag)")
        print("in flight: \(operations.inFlight)")
        print("redeliveries: \(operations.redeliveries)")
        print("dead letters: \(operations.deadLetters) (held: \(operations.deadLettersHeld))")
        print("pending schedules: \(operations.pendingSchedules)")
        if let lateness = status.scheduleLateness {
            print(
                "fired schedules: \(lateness.schedulesFired) (lateness: mean \(lateness.meanMilliseconds) ms, "
                    + "max \(lateness.maxMilliseconds) ms)"
            )
        }
        print("kafka connections: \(operations.kafkaConnections)")
    }

    /// `{"broker","version","uptime_ms","topics","partitions","connections","log_bytes","data_directory"}`,
    /// then (from a v1 broker) `"groups","kafka_groups","group_lag","in_flight","redeliveries",
    /// "dead_letters","dead_letters_held","pending_schedules","kafka_connections"`, then (from a v2
    /// broker) `"schedules_fired","schedule_lateness_mean_ms","schedule_lateness_max_ms"`.
    static func json(_ status: BrokerStatus, broker: BrokerAddress) -> JSONValue {
        var fields: [(String, JSONValue)] = [
            ("broker", .string("\(broker)")),
            ("version", .string(status.brokerVersion)),
            ("uptime_ms", .integer(status.uptimeMilliseconds)),
            ("topics", .integer(Int64(status.topicCount))),
            ("partitions", .integer(Int64(status.partitionCount))),
            ("connections", .integer(Int64(status.connectionCount))),
            ("log_bytes", .integer(status.logBytes)),
            ("data_directory", .string(status.dataDirectory)),
        ]
        if let operations = status.operations {
            fields += [
                ("groups", .integer(Int64(operations.groupCount))),
                ("kafka_groups", .integer(Int64(operations.kafkaGroupCount))),
                ("group_lag", .integer(operations.groupLag)),
                ("in_flight", .integer(operations.inFlight)),
                ("redeliveries", .integer(operations.redeliveries)),
                ("dead_letters", .integer(operations.deadLetters)),
                ("dead_letters_held", .integer(operations.deadLettersHeld)),
                ("pending_schedules", .integer(operations.pendingSchedules)),
                ("kafka_connections", .integer(Int64(operations.kafkaConnections))),
            ]
        }
        if let lateness = status.scheduleLateness {
            fields += [
                ("schedules_fired", .integer(lateness.schedulesFired)),
                ("schedule_lateness_mean_ms", .integer(lateness.meanMilliseconds)),
                ("schedule_lateness_max_ms", .integer(lateness.maxMilliseconds)),
            ]
        }
        return .object(fields)
    }
}
