import ArgumentParser

/// `brokerctl dlq …`: dead letters arrive with a later issue.
struct DLQCommand: UnavailableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq",
        abstract: "Dead-letter queues (not available yet).",
        usage: "brokerctl dlq redrive G --topic T [--limit N]"
    )
    static let feature = "dead-letter queues"

    @Argument(parsing: .allUnrecognized) var arguments: [String] = []
}
