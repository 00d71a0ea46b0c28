import ArgumentParser
import BrokerClient
import ToolSupport

/// `brokerctl topics create NAME --partitions N [--retention 7d] [--retention-bytes SIZE] [--segment-bytes SIZE]`.
struct TopicsCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a topic.")

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The topic name: 1-249 characters of A-Z a-z 0-9 . _ -")
    var name: String

    @Option(parsing: .unconditional, help: "The number of partitions, 1 or more.")
    var partitions: Int32

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "How long records are kept: 500ms, 30s, 5m, 2h, 7d (default: the broker's).",
            valueName: "duration"
        )
    )
    var retention: String?

    @Option(
        name: .customLong("retention-bytes"),
        parsing: .unconditional,
        help: ArgumentHelp(
            "The most bytes kept per partition: 1073741824, 512MiB, 1GiB, 1GB (default: the broker's).",
            valueName: "size"
        )
    )
    var retentionBytes: String?

    @Option(
        name: .customLong("segment-bytes"),
        parsing: .unconditional,
        help: ArgumentHelp("The segment size: 67108864, 64MiB, 1GiB, 100MB (default: the broker's).", valueName: "size")
    )
    var segmentBytes: String?

    func validate() throws {
        if partitions < 1 { throw ValidationError("--partitions \(partitions): a topic has at least 1 partition") }
        if let retention, DurationSyntax.parse(retention) == nil {
            throw ValidationError("--retention \(retention) is not \(DurationSyntax.expected)")
        }
        for (flag, value) in [("--retention-bytes", retentionBytes), ("--segment-bytes", segmentBytes)] {
            guard let value else { continue }
            guard let bytes = ByteSizeSyntax.parse(value) else {
                throw ValidationError("\(flag) \(value) is not \(ByteSizeSyntax.expected)")
            }
            if bytes < 1 { throw ValidationError("\(flag) \(value): it must be at least 1 byte") }
        }
    }

    func run() async throws {
        try await BrokerctlCommand.withAdmin(connection) { admin in
            try await admin.createTopic(
                name,
                partitions: partitions,
                retention: retention.flatMap(DurationSyntax.parse),
                retentionBytes: retentionBytes.flatMap(ByteSizeSyntax.parse),
                segmentBytes: segmentBytes.flatMap(ByteSizeSyntax.parse)
            )
        }
        print("created topic \(name) with \(partitions) partition\(partitions == 1 ? "" : "s")")
    }
}
