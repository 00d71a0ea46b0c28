import ArgumentParser
import ToolSupport

/// `consumer`: reads a topic and prints its messages.
@main
struct ConsumerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consumer",
        abstract: "Read messages from a Sluice topic.",
        discussion: """
            Reads every partition (or --partition) from --from and keeps following new messages until \
            interrupted, unless --count or --until-end says when to stop.

            --from takes earliest, latest, an OFFSET, -N, or a TIME: RFC 3339 (2024-05-01T12:00:00Z) \
            or epoch milliseconds. A number of 13 or more digits is epoch milliseconds, a shorter one \
            an offset; @N is always epoch milliseconds. -N starts N messages before the end of each \
            partition (the last N, as kcat's -o -N). An OFFSET past the end of a partition is an error.

            --format plain prints each value on its own line. --format json prints JSON Lines: \
            {"topic","partition","offset","timestamp","key","value","headers"}, timestamp in epoch \
            milliseconds; key and value are strings when valid UTF-8, otherwise key_base64 / \
            value_base64; a missing key is "key":null; headers is an array of {"key","value"} objects \
            in record order (keys may repeat).

            --group G consumes as a member of consumer group G: the broker hands each message to one \
            member, in key order by default; each is printed, then acknowledged (so it is not delivered \
            to the group again). --from earliest|latest says where a new group starts (default latest); \
            --ordering, --max-deliveries and --ack-timeout set a new group's settings. In --format json \
            each line also has "delivery_count". With --until-end it exits once every message that existed \
            when it started has been acknowledged or dead-lettered by the group.

            --exec CMD (with --group) runs /bin/sh -c CMD once per message instead of printing it: the \
            value on standard input, and SLUICE_TOPIC, SLUICE_PARTITION, SLUICE_OFFSET, SLUICE_KEY (or \
            SLUICE_KEY_BASE64 for a key that is not UTF-8; neither for no key), SLUICE_DELIVERY_COUNT, \
            SLUICE_GROUP and SLUICE_TIMESTAMP in the environment; its output is the consumer's. Exit 0 \
            acknowledges the message, exit 100 dead-letters it at once, any other exit (126 not \
            executable, 127 not found) or a signal is a failed delivery, retried after the group's \
            backoff and dead-lettered after --max-deliveries. A running handler's delivery is extended \
            every half ack timeout. --concurrency N (1-1024, default 1) runs up to N handlers at once \
            (same-key messages still one at a time with ordering key). The first SIGINT/SIGTERM lets \
            the running handlers finish and be settled, then leaves the group; a second kills them.
            """,
        version: ToolVersion.current
    )

    @OptionGroup var options: ConsumerOptions

    func run() async throws {
        try await ConsumerTool.run(options)
    }

    static func main() async {
        await ToolMain.main(Self.self, program: "consumer")
    }
}
