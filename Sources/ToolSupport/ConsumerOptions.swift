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
        help: ArgumentHelp(
            "Where to start: earliest, latest, OFFSET, -N or TIME (default earliest); with --group, where a new "
                + "group starts: earliest or latest (default latest).",
            valueName: "position"
        )
    )
    var from: String?

    @Option(parsing: .unconditional, help: "Exit after this many messages.")
    var count: Int?

    @Flag(name: .customLong("until-end"), help: "Exit after every message that existed at the start.")
    var untilEnd = false

    @Option(help: "Output format: plain or json.")
    var format: ConsumerTool.Format = .plain

    @Option(help: "Consume as a member of this consumer group: each message is acknowledged after it is printed.")
    var group: String?

    @Option(
        help: ArgumentHelp(
            "With --group: run /bin/sh -c CMD once per message, value on standard input; exit 0 acknowledges, "
                + "100 dead-letters, anything else fails the delivery.",
            valueName: "CMD"
        )
    )
    var exec: String?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "With --exec: how many handlers run at once, \(ConsumerOptions.concurrencyLimit.lowerBound)-"
                + "\(ConsumerOptions.concurrencyLimit.upperBound) (default 1).",
            valueName: "N"
        )
    )
    var concurrency: Int?

    @Option(help: "Ordering of a new group: key, partition or none (default key).")
    var ordering: String?

    @Option(name: .customLong("max-deliveries"), help: "Deliveries before dead-lettering, for a new group (default 5).")
    var maxDeliveries: Int?

    @Option(name: .customLong("ack-timeout"), help: "Redelivery timeout of a new group (DURATION, default 30s).")
    var ackTimeout: String?

    /// The values `--concurrency` accepts.
    public static let concurrencyLimit = 1...1024

    /// Creates the defaults (ArgumentParser fills in the rest).
    public init() {}

    /// Refuses what cannot be read, with a message naming the flag.
    public func validate() throws {
        if topic.isEmpty { throw ValidationError("--topic must not be empty") }
        if group == nil,
            ordering != nil || maxDeliveries != nil || ackTimeout != nil || exec != nil || concurrency != nil
        {
            throw ValidationError("--ordering, --max-deliveries, --ack-timeout, --exec and --concurrency need --group")
        }
        if group != nil {
            try validateGroup()
            return
        }
        if let partition, partition < 0 {
            throw ValidationError("--partition \(partition): partitions are numbered from 0")
        }
        if let from, StartPositionSyntax.parse(from) == nil {
            throw ValidationError("--from \(from) is not \(StartPositionSyntax.expected)")
        }
        if let count, count < 1 { throw ValidationError("--count \(count): it must be at least 1") }
    }

    /// Where to start (``validate()`` has checked `--from`).
    var start: StartPosition { from.flatMap(StartPositionSyntax.parse) ?? .earliest }

    private func validateGroup() throws {
        if let exec, exec.allSatisfy({ $0 == " " || $0 == "\t" }) {
            throw ValidationError("--exec needs a command, got '\(exec)'")
        }
        if let concurrency {
            if exec == nil {
                throw ValidationError("--concurrency needs --exec (printed messages are handled one at a time)")
            }
            if !Self.concurrencyLimit.contains(concurrency) {
                throw ValidationError(
                    "--concurrency must be from \(Self.concurrencyLimit.lowerBound) to "
                        + "\(Self.concurrencyLimit.upperBound), got \(concurrency)"
                )
            }
        }
        if partition != nil { throw ValidationError("--partition cannot be used with --group: the broker assigns") }
        if let from, from != "earliest", from != "latest" {
            throw ValidationError("--from with --group is earliest or latest (where a new group starts), got \(from)")
        }
        if let ordering, groupOrdering == nil {
            throw ValidationError("--ordering must be key, partition or none, got \(ordering)")
        }
        if let maxDeliveries, !(1...1000).contains(maxDeliveries) {
            throw ValidationError("--max-deliveries must be from 1 to 1000, got \(maxDeliveries)")
        }
        if let ackTimeout, DurationSyntax.parse(ackTimeout) == nil {
            throw ValidationError("--ack-timeout must be \(DurationSyntax.expected), got '\(ackTimeout)'")
        }
        if let count, count < 1 { throw ValidationError("--count \(count): it must be at least 1") }
    }

    var groupOrdering: GroupOrdering? {
        switch ordering {
        case "key": .key
        case "partition": .partition
        case "none": .unordered
        default: nil
        }
    }

    /// The group member's settings (``validate()`` has checked them).
    var groupConfiguration: GroupConsumerConfiguration {
        var configuration = GroupConsumerConfiguration()
        configuration.startAtEarliest = from == "earliest"
        configuration.ordering = groupOrdering
        configuration.maxDeliveries = maxDeliveries
        configuration.ackTimeout = ackTimeout.flatMap(DurationSyntax.parse)
        return configuration
    }
}
