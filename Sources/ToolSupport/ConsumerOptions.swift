import ArgumentParser
import BrokerClient

extension ConsumerTool.Format: ExpressibleByArgument {}

/// The command line of `consumer`, declared once: the executable parses it, ``ConsumerTool``
/// runs it, and the tests call `ConsumerOptions.parse([...])`.
///
/// Numbers are parsed `.unconditional`ly, so that `--from -5` (five before the end) and
/// `--partition -1` (refused by ``validate()``) are not taken for flags.
public struct ConsumerOptions: ParsableArguments, Sendable {
    @OptionGroup var connection: ConnectionOptions

    @Option(help: "The topic.")
    var topic: String

    @Option(parsing: .unconditional, help: "Read only this partition, 0 or more (default: all).")
    var partition: Int32?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Where to start: earliest, latest, OFFSET, -N or TIME.", valueName: "position")
    )
    var from: String = "earliest"

    @Option(parsing: .unconditional, help: "Exit after this many messages.")
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

    /// Creates the defaults (ArgumentParser fills in the rest).
    public init() {}

    /// Refuses what cannot be read, with a message naming the flag.
    public func validate() throws {
        if group != nil || exec != nil || concurrency != nil || ordering != nil || maxDeliveries != nil
            || ackTimeout != nil
        {
            throw ValidationError("consumer groups are not available yet (--group and its options)")
        }
        if topic.isEmpty { throw ValidationError("--topic must not be empty") }
        if let partition, partition < 0 {
            throw ValidationError("--partition \(partition): partitions are numbered from 0")
        }
        if StartPositionSyntax.parse(from) == nil {
            throw ValidationError("--from \(from) is not \(StartPositionSyntax.expected)")
        }
        if let count, count < 1 { throw ValidationError("--count \(count): it must be at least 1") }
    }

    /// Where to start (``validate()`` has checked `--from`).
    var start: StartPosition { StartPositionSyntax.parse(from) ?? .earliest }
}
