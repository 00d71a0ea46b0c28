import ArgumentParser
import BrokerClient
import BrokerProtocol

/// The command line of `brokerctl schedules list T [--due-before TIME] [--id-prefix P] [--limit N]`,
/// declared here so that the tests parse it as the executable does.
public struct ScheduleListOptions: ParsableArguments, Sendable {
    /// The most rows listed when `--limit` is not given.
    public static let defaultLimit = 1000
    /// The most schedules asked for in one request (the broker's page limit).
    public static let maxPageSize = Int(ScheduleLimits.maxListLimit)

    @Argument(help: "The topic.")
    public var topic: String

    @Option(
        name: .customLong("due-before"),
        parsing: .unconditional,
        help: ArgumentHelp("Only schedules due before this time (RFC 3339 or epoch milliseconds).", valueName: "time")
    )
    public var dueBefore: String?

    @Option(name: .customLong("id-prefix"), help: "Only schedule ids that start with this.")
    public var idPrefix: String?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("The most schedules listed.", valueName: "n")
    )
    public var limit: Int = defaultLimit

    /// Creates the defaults (ArgumentParser fills in the rest).
    public init() {}

    /// `--due-before` in epoch milliseconds (``validate()`` has checked it).
    public var dueBeforeMilliseconds: Int64? { dueBefore.flatMap(TimeSyntax.parse) }

    /// Refuses what the broker would, naming the flag.
    public func validate() throws {
        if topic.isEmpty { throw ValidationError("the topic must not be empty") }
        if let dueBefore {
            guard let time = TimeSyntax.parse(dueBefore) else {
                throw ValidationError("--due-before \(dueBefore) is not a time: \(TimeSyntax.expected)")
            }
            if time < 0 { throw ValidationError("--due-before \(dueBefore) is before 1970") }
        }
        if let idPrefix, idPrefix.utf8.count > ScheduleLimits.maxScheduleIDBytes {
            throw ValidationError(
                "--id-prefix is \(idPrefix.utf8.count) bytes, longer than any schedule id "
                    + "(\(ScheduleLimits.maxScheduleIDBytes))"
            )
        }
        if limit < 1 { throw ValidationError("--limit \(limit): list at least 1 schedule") }
    }
}

/// The command line of `brokerctl schedules cancel T ID...`.
public struct ScheduleCancelOptions: ParsableArguments, Sendable {
    @Argument(help: "The topic.")
    public var topic: String

    @Argument(help: "The schedule ids to cancel.")
    public var scheduleIDs: [String] = []

    /// Creates the defaults (ArgumentParser fills in the rest).
    public init() {}

    /// Refuses ids the broker would refuse, naming the first.
    public func validate() throws {
        if topic.isEmpty { throw ValidationError("the topic must not be empty") }
        if scheduleIDs.isEmpty { throw ValidationError("give at least one schedule id to cancel") }
        for id in scheduleIDs {
            if let problem = ScheduleLimits.problem(withScheduleID: id) {
                throw ValidationError("schedule id \(id.count > 80 ? String(id.prefix(80)) + "…" : id): \(problem)")
            }
        }
    }
}

/// How `brokerctl schedules` prints what the broker answered.
public enum ScheduleListing {
    /// The table's header.
    public static let header = ["ID", "PARTITION", "DUE", "PRODUCED", "KEY", "BYTES"]

    /// One row: the id, the partition, the due and produce times (RFC 3339, UTC, ms), the key (its
    /// text, `base64:…` when it is not UTF-8, `-` for none) and the value's size (`-` for null).
    public static func row(_ schedule: PendingSchedule) -> [String] {
        [
            schedule.scheduleID,
            "\(schedule.partition)",
            TimeSyntax.format(epochMilliseconds: schedule.deliverAt),
            TimeSyntax.format(epochMilliseconds: schedule.producedAt),
            keyText(schedule.key),
            schedule.valueBytes.map { "\($0)" } ?? "-",
        ]
    }

    /// A key as one table cell: its text when it is UTF-8 without control characters, otherwise
    /// `base64:…`; `-` for no key.
    public static func keyText(_ key: ByteBuffer?) -> String {
        guard let key else { return "-" }
        let bytes = key.readableBytesView
        if let text = String(validating: bytes, as: UTF8.self),
            !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        {
            return text
        }
        return "base64:" + Base64.encode(bytes)
    }

    /// The line printed for one cancelled id: `cancelled ID`, `already delivered ID`, `unknown ID`.
    public static func line(for outcome: CancelOutcome, id: String) -> String {
        "\(outcome) \(id)"
    }
}
