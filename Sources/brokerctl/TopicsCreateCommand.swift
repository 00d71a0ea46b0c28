import ArgumentParser
import BrokerClient
import ToolSupport

/// `brokerctl topics create NAME --partitions N [--retention 7d] [--retention-bytes N] [--segment-bytes N]`.
struct TopicsCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a topic.")

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The topic name: 1-249 characters of A-Z a-z 0-9 . _ -")
    var name: String

    @Option(help: "The number of partitions.")
    var partitions: Int32

    @Option(
        help: ArgumentHelp(
            "How long records are kept: 500ms, 30s, 5m, 2h, 7d (default: the broker's).",
            valueName: "duration"
        )
    )
    var retention: String?

    @Option(name: .customLong("retention-bytes"), help: "The most bytes kept per partition (default: the broker's).")
    var retentionBytes: Int64?

    @Option(name: .customLong("segment-bytes"), help: "The segment size (default: the broker's).")
    var segmentBytes: Int64?

    func validate() throws {
        if partitions < 1 { throw ValidationError("--partitions must be at least 1") }
        if let retention, DurationSyntax.parse(retention) == nil {
            throw ValidationError("--retention \(retention) is not \(DurationSyntax.expected)")
        }
        if let retentionBytes, retentionBytes < 1 { throw ValidationError("--retention-bytes must be positive") }
        if let segmentBytes, segmentBytes < 1 { throw ValidationError("--segment-bytes must be positive") }
    }

    func run() async throws {
        try await BrokerctlCommand.withAdmin(connection) { admin in
            try await admin.createTopic(
                name,
                partitions: partitions,
                retention: retention.flatMap(DurationSyntax.parse),
                retentionBytes: retentionBytes,
                segmentBytes: segmentBytes
            )
        }
        print("created topic \(name) with \(partitions) partition\(partitions == 1 ? "" : "s")")
    }
}
