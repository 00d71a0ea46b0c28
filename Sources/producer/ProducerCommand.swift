import ArgumentParser
import ToolSupport

/// `producer`: sends messages to a topic and prints where each went.
@main
struct ProducerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "producer",
        abstract: "Send messages to a Sluice topic.",
        discussion: """
            With VALUE arguments, each is one message. Without, each line of standard input is one \
            message (a trailing \\r\\n or \\n is removed; a line over 16 MiB is refused, and the \
            broker may refuse less, 8 MiB by default); with --key-separator each line is KEY<SEP>VALUE. Standard input is read only as fast as the \
            broker acknowledges.

            Prints one line per acknowledged message, in input order: TOPIC/PARTITION@OFFSET. With \
            --acks none the broker does not answer, so the line is TOPIC/PARTITION (no offset). Line N \
            is message N: a message that failed before a later acknowledged one prints "not \
            acknowledged". With \
            --msg-id, a message the broker already had is printed as "duplicate of TOPIC/PARTITION@OFFSET" \
            (the offset of the copy already stored).

            --msg-id names exactly one message: one VALUE, or standard input of one line (read to its \
            end before sending). Send several messages with ids one run each.

            On any failure (the broker unreachable after the reconnect attempts, a rejected message, \
            a line without the separator), reading stops, every acknowledgement received is printed, \
            and one error line on standard error says which messages (numbered from 1, by line or by \
            VALUE) were acknowledged; the exit status is then non-zero. Ctrl-C (or SIGTERM) stops \
            reading in the same way and exits 130 (143) once the messages already sent are \
            acknowledged and printed; a second Ctrl-C exits at once.

            With --delay DURATION or --at TIME each message is scheduled instead: the broker holds it, \
            invisible to readers, and appends it to its partition (chosen by key now) at its due time. \
            Prints one line per scheduled message, in input order: scheduled ID for TIME (TIME in RFC \
            3339, UTC, with milliseconds). The broker generates each ID unless --schedule-id names it; \
            scheduling an id that is still pending replaces that message (reschedule), and `brokerctl \
            schedules cancel` cancels it. An id names one message: for several, put {key} in it, replaced \
            by each message's key (--key-separator), e.g. --schedule-id 'order-timeout:{key}'; an id \
            without {key} takes one VALUE or one line of standard input (read to its end before sending). \
            --delay and --at do not go together; --msg-id and --acks none do not go with either.
            """,
        version: ToolVersion.current
    )

    @OptionGroup var options: ProducerOptions

    func run() async throws {
        try await ProducerTool.run(options)
    }

    static func main() async {
        await ToolMain.main(Self.self, program: "producer")
    }
}
