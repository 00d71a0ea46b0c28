import ArgumentParser
import BrokerClient
import ToolSupport

/// `brokerctl groups describe G`: settings, members, then per partition the committed offset, the
/// end offset, the lag, in-flight, unfinished and dead-letter counts.
struct GroupsDescribeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "describe",
        abstract: "Show a group's settings, members and, per partition, committed offset, end, lag and counts."
    )

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The group name.")
    var name: String

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() async throws {
        let group = try await BrokerctlCommand.withAdmin(connection) { try await $0.describeGroup(name) }
        if json {
            print(Self.json(group).text)
            return
        }
        print("group: \(group.name)")
        print("kind: \(group.kind)")
        if group.kind == "kafka" {
            // A Kafka classic group: committed offsets and lag only (its members are the Kafka
            // listener's, its settings unused).
            print(
                TextTable.render(
                    header: ["TOPIC", "PARTITION", "COMMITTED", "END", "LAG"],
                    rows: group.partitions.map {
                        [$0.topic, "\($0.partition)", "\($0.committedOffset)", "\($0.logEndOffset)", "\($0.lag)"]
                    }
                ),
                terminator: ""
            )
            return
        }
        print("ordering: \(group.ordering)")
        print("ack timeout: \(DurationSyntax.format(group.ackTimeout))")
        print("max deliveries: \(group.maxDeliveries)")
        print("max unfinished per partition: \(group.maxUnfinishedPerPartition)")
        print("members: \(group.members.count)")
        if !group.members.isEmpty {
            print(
                TextTable.render(
                    header: ["MEMBER", "CREDITS", "IN-FLIGHT"],
                    rows: group.members.map { [$0.id, "\($0.credits)", "\($0.inFlight)"] }
                ),
                terminator: ""
            )
        }
        print(
            TextTable.render(
                header: ["TOPIC", "PARTITION", "COMMITTED", "END", "LAG", "IN-FLIGHT", "UNFINISHED", "DEAD-LETTERED"],
                rows: group.partitions.map {
                    [
                        $0.topic, "\($0.partition)", "\($0.committedOffset)", "\($0.logEndOffset)", "\($0.lag)",
                        "\($0.inFlight)", "\($0.unfinished)", "\($0.deadLettered)",
                    ]
                }
            ),
            terminator: ""
        )
    }

    static func json(_ group: GroupDescription) -> JSONValue {
        .object([
            ("group", .string(group.name)),
            ("kind", .string(group.kind)),
            ("ordering", .string(group.ordering)),
            ("ack_timeout_ms", .integer(Int64(group.ackTimeout.components.seconds * 1000))),
            ("max_deliveries", .integer(Int64(group.maxDeliveries))),
            (
                "members",
                .array(
                    group.members.map {
                        .object([
                            ("member", .string($0.id)), ("credits", .integer(Int64($0.credits))),
                            ("in_flight", .integer(Int64($0.inFlight))),
                        ])
                    }
                )
            ),
            (
                "partitions",
                .array(
                    group.partitions.map {
                        .object([
                            ("topic", .string($0.topic)), ("partition", .integer(Int64($0.partition))),
                            ("committed", .integer($0.committedOffset)), ("end", .integer($0.logEndOffset)),
                            ("lag", .integer($0.lag)), ("in_flight", .integer(Int64($0.inFlight))),
                            ("unfinished", .integer(Int64($0.unfinished))),
                            ("dead_lettered", .integer($0.deadLettered)),
                        ])
                    }
                )
            ),
        ])
    }
}
