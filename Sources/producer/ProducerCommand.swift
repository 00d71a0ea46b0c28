import ArgumentParser
import BrokerClient
import ToolSupport

extension AcknowledgementLevel: ExpressibleByArgument {}

/// `producer`: sends messages to a topic and prints where each went.
@main
struct ProducerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "producer",
        abstract: "Send messages to a Sluice topic.",
        discussion: """
            With VALUE arguments, each is one message. Without, each line of standard input is one \
            message (a trailing \\r\\n or \\n is removed); with --key-separator each line is \
            KEY<SEP>VALUE, and a line without the separator is an error.

            Prints one line per message, in input order: TOPIC/PARTITION@OFFSET. With --acks none the \
            broker does not answer, so the line is TOPIC/PARTITION (no offset).

            --delay, --at and --schedule-id (delayed delivery) are not available yet.
            """
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "The topic.")
    var topic: String

    @Option(help: "The key of every message (ignored with --key-separator).")
    var key: String?

    @Option(help: "The partition (default: by key, by message id, else round-robin per batch).")
    var partition: Int32?

    @Option(name: .customLong("header"), help: ArgumentHelp("A header, repeatable.", valueName: "key=value"))
    var headers: [String] = []

    @Option(help: "Acknowledgement level: none, written or durable.")
    var acks: AcknowledgementLevel = .durable

    @Option(help: ArgumentHelp("Deliver after this long (not available yet).", valueName: "duration"))
    var delay: String?

    @Option(help: ArgumentHelp("Deliver at this time (not available yet).", valueName: "time"))
    var at: String?

    @Option(name: .customLong("schedule-id"), help: "The schedule id of a delayed message (not available yet).")
    var scheduleID: String?

    @Option(name: .customLong("msg-id"), help: "A message id: the broker drops a second message with the same id.")
    var messageID: String?

    @Option(name: .customLong("key-separator"), help: "Read each line as KEY<SEP>VALUE.")
    var keySeparator: String?

    @Argument(help: "Message values (default: one per line of standard input).")
    var values: [String] = []

    func validate() throws {
        if delay != nil || at != nil || scheduleID != nil {
            throw ValidationError("delayed delivery is not available yet (--delay, --at, --schedule-id)")
        }
        if topic.isEmpty { throw ValidationError("--topic must not be empty") }
        if let partition, partition < 0 { throw ValidationError("--partition \(partition) is negative") }
        for header in headers where HeaderSyntax.parse(header) == nil {
            throw ValidationError("--header \(header) is not KEY=VALUE")
        }
        if let keySeparator, keySeparator.isEmpty { throw ValidationError("--key-separator must not be empty") }
        if keySeparator != nil, key != nil { throw ValidationError("--key and --key-separator do not go together") }
    }

    /// The options for ``ProducerTool``.
    func options() throws -> ProducerTool.Options {
        ProducerTool.Options(
            broker: try connection.address(),
            topic: topic,
            key: key,
            partition: partition,
            headers: headers,
            acks: acks,
            messageID: messageID,
            keySeparator: keySeparator,
            values: values
        )
    }

    func run() async throws {
        try await ProducerTool.run(try options())
    }

    static func main() async {
        await ToolMain.main(Self.self, program: "producer")
    }
}
