import ArgumentParser
import BrokerClient
import RecordCodec

extension AcknowledgementLevel: ExpressibleByArgument {}

extension RecordCompression: ExpressibleByArgument {
    /// Parses a codec by Kafka's name (`none`, `gzip`, `snappy`, `lz4`, `zstd`); ``ProducerOptions``
    /// then refuses those Sluice does not write.
    public init?(argument: String) {
        guard let codec = Self.allCases.first(where: { $0.description == argument }) else { return nil }
        self = codec
    }

    /// Kafka's names, for the help text.
    public static var allValueStrings: [String] { supported.map(\.description) }
}

/// The command line of `producer`, declared once: the executable parses it, ``ProducerTool``
/// runs it, and the tests call `ProducerOptions.parse([...])`.
///
/// Numbers, durations and times are parsed `.unconditional`ly, so that `--partition -1` or
/// `--delay -5s` reaches ``validate()`` and is refused with a message instead of being taken for an
/// unknown flag.
public struct ProducerOptions: ParsableArguments, Sendable {
    @OptionGroup var connection: ConnectionOptions

    @Option(help: "The topic.")
    var topic: String

    @Option(help: "The key of every message (not with --key-separator).")
    var key: String?

    @Option(parsing: .unconditional, help: "The partition, 0 or more (default: by key, by message id, else spread).")
    var partition: Int32?

    @Option(name: .customLong("header"), help: ArgumentHelp("A header, repeatable.", valueName: "key=value"))
    var headers: [String] = []

    @Option(help: "Acknowledgement level: none, written or durable.")
    var acks: AcknowledgementLevel = .durable

    @Option(help: "Compress each batch sent: none or gzip.")
    var compression: RecordCompression = .none

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Schedule the messages: deliver each this long after the broker takes it (500ms, 30s, 5m, 2h, 7d).",
            valueName: "duration"
        )
    )
    var delay: String?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Schedule the messages: deliver them at this time (RFC 3339 or epoch milliseconds).",
            valueName: "time"
        )
    )
    var at: String?

    @Option(
        name: .customLong("schedule-id"),
        help: ArgumentHelp(
            "The schedule id (with --delay or --at); {key} is replaced by each message's key. Scheduling an id "
                + "that is pending replaces it.",
            valueName: "id"
        )
    )
    var scheduleID: String?

    @Option(
        name: .customLong("msg-id"),
        help: "The id of the one message sent: the broker stores a second message with this id only once."
    )
    var messageID: String?

    @Option(name: .customLong("key-separator"), help: "Read each line as KEY<SEP>VALUE.")
    var keySeparator: String?

    @Argument(help: "Message values (default: one per line of standard input).")
    var values: [String] = []

    /// Creates the defaults (ArgumentParser fills in the rest).
    public init() {}

    /// Refuses what cannot be sent, with a message naming the flag, before anything is sent.
    public func validate() throws {
        if topic.isEmpty { throw ValidationError("--topic must not be empty") }
        if let partition, partition < 0 {
            throw ValidationError("--partition \(partition): partitions are numbered from 0")
        }
        for header in headers where HeaderSyntax.parse(header) == nil {
            throw ValidationError("--header \(header) is not KEY=VALUE")
        }
        if !compression.isSupported {
            throw ValidationError("--compression \(compression): Sluice writes none or gzip batches only")
        }
        if compression != .none, delay != nil || at != nil {
            throw ValidationError(
                "--compression does not go with --delay or --at: the broker writes scheduled messages"
            )
        }
        if let keySeparator, keySeparator.isEmpty { throw ValidationError("--key-separator must not be empty") }
        if keySeparator != nil, key != nil { throw ValidationError("--key and --key-separator do not go together") }
        if let messageID {
            if messageID.isEmpty { throw ValidationError("--msg-id must not be empty") }
            if values.count > 1 {
                throw ValidationError(
                    "--msg-id names one message, but \(values.count) values were given: send each with its own id"
                )
            }
        }
        try validateSchedule()
    }

    /// The headers, parsed (``validate()`` has checked them).
    var parsedHeaders: [RecordHeader] { headers.compactMap(HeaderSyntax.parse) }
}
