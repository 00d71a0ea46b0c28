import ArgumentParser

/// `brokerctl groups …`: consumer groups arrive with a later issue.
struct GroupsCommand: UnavailableCommand {
    static let configuration = CommandConfiguration(
        commandName: "groups",
        abstract: "Consumer groups (not available yet).",
        usage: """
            brokerctl groups list | groups describe G | groups delete G
            brokerctl groups reset G --topic T --to earliest|latest|OFFSET|TIME
            """
    )
    static let feature = "consumer groups"

    @Argument(parsing: .allUnrecognized) var arguments: [String] = []
}
