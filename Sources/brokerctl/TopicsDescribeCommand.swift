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

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() async throws {
        let topic = try await BrokerctlCommand.withAdmin(connection) { try await $0.describeTopic(name) }
        if json {
            print(Self.json(topic).text)
            return
        }
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

    /// `{"topic","retention_ms","retention_bytes","segment_bytes","partitions":[{"partition",
    /// "start_offset","end_offset","size_bytes","segments"}]}`; `retention_ms` null is forever,
    /// `retention_bytes` null is unlimited.
    static func json(_ topic: TopicDescription) -> JSONValue {
        .object([
            ("topic", .string(topic.name)),
            ("retention_ms", .integer(topic.retentionMilliseconds)),
            ("retention_bytes", .integer(topic.retentionBytes)),
            ("segment_bytes", .integer(topic.segmentBytes)),
            (
                "partitions",
                .array(
                    topic.partitions.map {
                        .object([
                            ("partition", .integer(Int64($0.partition))),
                            ("start_offset", .integer($0.startOffset)),
                            ("end_offset", .integer($0.endOffset)),
                            ("size_bytes", .integer($0.sizeBytes)),
                            ("segments", .integer(Int64($0.segmentCount))),
                        ])
                    }
                )
            ),
        ])
    }
}
