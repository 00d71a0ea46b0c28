import ArgumentParser

/// `brokerctl schedules …`: delayed delivery arrives with a later issue.
struct SchedulesCommand: UnavailableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedules",
        abstract: "Delayed-delivery schedules (not available yet).",
        usage: "brokerctl schedules list T [--due-before TIME] | schedules cancel T ID"
    )
    static let feature = "schedules"

    @Argument(parsing: .allUnrecognized) var arguments: [String] = []
}
