import ArgumentParser
import BrokerClient
import ToolSupport

extension ConsumerTool.Format: ExpressibleByArgument {}

/// `consumer`: reads a topic and prints its messages.
@main
struct ConsumerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consumer",
        abstract: "Read messages from a Sluice topic.",
        discussion: """
            Reads every partition (or --partition) from --from and keeps following new messages until \
            interrupted, unless --count or --until-end says when to stop.

            --from takes earliest, latest, an OFFSET, or a TIME: RFC 3339 (2024-05-01T12:00:00Z) or \
            epoch milliseconds. A number of 13 or more digits is epoch milliseconds, a shorter one an \
            offset; @N is always epoch milliseconds.

            --format plain prints each value on its own line. --format json prints JSON Lines: \
            {"topic","partition","offset","timestamp","key","value","headers"}, timestamp in epoch \
            milliseconds; key and value are strings when valid UTF-8, otherwise key_base64 / \
            value_base64; a missing key is "key":null; headers is an array of {"key","value"} objects \
            in record order (keys may repeat).

            --group and its options (consumer groups) are not available yet.
            """
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "The topic.")
    var topic: String

    @Option(help: "Read only this partition (default: all).")
    var partition: Int32?

    @Option(help: ArgumentHelp("Where to start: earliest, latest, OFFSET or TIME.", valueName: "position"))
    var from: String = "earliest"

    @Option(help: "Exit after this many messages.")
    var count: Int?

    @Flag(name: .customLong("until-end"), help: "Exit after every message that existed at the start.")
    var untilEnd = false

    @Option(help: "Output format: plain or json.")
    var format: ConsumerTool.Format = .plain

    @Option(help: "Consume in a consumer group (not available yet).")
    var group: String?

    @Option(help: "Run CMD per message (with --group; not available yet).")
    var exec: String?

    @Option(help: "Messages processed at once (with --group; not available yet).")
    var concurrency: Int?

    @Option(help: "Ordering: key, partition or none (with --group; not available yet).")
    var ordering: String?

    @Option(name: .customLong("max-deliveries"), help: "Deliveries before dead-lettering (not available yet).")
    var maxDeliveries: Int?

    @Option(name: .customLong("ack-timeout"), help: "Redelivery timeout (with --group; not available yet).")
    var ackTimeout: String?

    func validate() throws {
        if group != nil || exec != nil || concurrency != nil || ordering != nil || maxDeliveries != nil
            || ackTimeout != nil
        {
            throw ValidationError("consumer groups are not available yet (--group and its options)")
        }
        if topic.isEmpty { throw ValidationError("--topic must not be empty") }
        if let partition, partition < 0 { throw ValidationError("--partition \(partition) is negative") }
        if StartPositionSyntax.parse(from) == nil {
            throw ValidationError("--from \(from) is not \(StartPositionSyntax.expected)")
        }
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
    }

    /// The options for ``ConsumerTool``.
    func options() throws -> ConsumerTool.Options {
        ConsumerTool.Options(
            broker: try connection.address(),
            topic: topic,
            partition: partition,
            start: StartPositionSyntax.parse(from) ?? .earliest,
            count: count,
            untilEnd: untilEnd,
            format: format
        )
    }

    func run() async throws {
        try await ConsumerTool.run(try options())
    }

    static func main() async {
        await ToolMain.main(Self.self, program: "consumer")
    }
}
