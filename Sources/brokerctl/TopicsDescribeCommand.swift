import ArgumentParser
import BrokerClient
import ToolSupport

/// `brokerctl topics describe NAME`: settings, then per partition start and end offsets, size and
/// segment count.
struct TopicsDescribeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "describe",
        abstract: "Show a topic's settings and, per partition, offsets, size and segments."
    )

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The topic name.")
    var name: String

    func run() async throws {
        let topic = try await BrokerctlCommand.withAdmin(connection) { try await $0.describeTopic(name) }
        print("topic: \(topic.name)")
        print("partitions: \(topic.partitions.count)")
        print("retention: \(topic.retentionMilliseconds.map { DurationSyntax.format(.milliseconds($0)) } ?? "forever")")
        print("retention bytes: \(topic.retentionBytes.map { "\($0)" } ?? "unlimited")")
        print("segment bytes: \(topic.segmentBytes)")
        print(
            TextTable.render(
                header: ["PARTITION", "START", "END", "SIZE", "SEGMENTS"],
                rows: topic.partitions.map {
                    [
                        "\($0.partition)", "\($0.startOffset)", "\($0.endOffset)", "\($0.sizeBytes)",
                        "\($0.segmentCount)",
                    ]
                }
            ),
            terminator: ""
        )
    }
}
