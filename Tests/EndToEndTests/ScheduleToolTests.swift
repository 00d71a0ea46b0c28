import Foundation
import Testing

/// `producer --delay/--at/--schedule-id` and `brokerctl schedules`, run as built executables.
///
/// ``ScheduleToolSyntaxTests`` needs no schedule support from the broker (the tools refuse before
/// sending); ``ScheduleToolTests`` needs a broker that serves `schedule`, `cancelSchedule` and
/// `listSchedules` (keys 40-42).
@Suite("Scheduling tools: bad command lines", .serialized)
struct ScheduleToolSyntaxTests {
    /// Each contradiction is one line on standard error and exit 64, before any connection (the
    /// broker address is unreachable).
    @Test(arguments: [
        (["--delay", "5s", "--at", "2030-01-01T00:00:00Z"], "--delay and --at do not go together"),
        (["--delay", "soon"], "--delay soon is not a duration"),
        (["--delay", "-5s"], "--delay -5s is not a duration"),
        (["--at", "yesterday"], "--at yesterday is not a time"),
        (["--schedule-id", "a"], "--schedule-id needs --delay or --at"),
        (["--delay", "1s", "--msg-id", "m"], "--msg-id does not go with --delay or --at"),
        (["--delay", "1s", "--acks", "none"], "--acks none does not go with --delay or --at"),
        (["--delay", "1s", "--schedule-id", "one", "x"], "--schedule-id names one message, but 2 values"),
        (["--delay", "1s", "--schedule-id", "o:{key}", "x"], "--schedule-id has {key} but the messages have no key"),
    ])
    func producerRefusesBadSchedulingFlags(_ flags: [String], _ reason: String) async throws {
        let run = try await runTool("producer", ["--broker", "127.0.0.1:1", "--topic", "t"] + flags + ["v"])
        #expect(run.status == 64, "\(run.standardError)")
        #expect(run.standardError.hasPrefix("producer: "), "\(run.standardError)")
        #expect(run.standardError.contains(reason), "\(run.standardError)")
        #expect(run.standardError.split(separator: "\n").count == 1, "one line: \(run.standardError)")
        #expect(run.standardOutput.isEmpty)
    }

    @Test(arguments: [
        (["list", "t", "--limit", "0"], "--limit 0: list at least 1 schedule"),
        (["list", "t", "--due-before", "later"], "--due-before later is not a time"),
        (["list"], "Missing expected argument '<topic>'"),
        (["cancel", "t"], "give at least one schedule id to cancel"),
        (["cancel", "t", ""], "a schedule id is 1 to 1024 bytes of UTF-8, not empty"),
    ])
    func brokerctlRefusesBadScheduleArguments(_ arguments: [String], _ reason: String) async throws {
        let run = try await runTool("brokerctl", ["--broker", "127.0.0.1:1", "schedules"] + arguments)
        #expect(run.status == 64, "\(run.standardError)")
        #expect(run.standardError.contains(reason), "\(run.standardError)")
        #expect(run.standardError.split(separator: "\n").count == 1, "one line: \(run.standardError)")
    }

    /// One schedule id names one message: a second line of standard input is refused before the
    /// first is sent (the broker needs no schedule support: nothing reaches it).
    @Test func oneScheduleIDRefusesASecondLineBeforeSending() async throws {
        let directory = try TemporaryDirectory()
        let broker = try await BrokerdProcess(
            dataDirectory: directory.path + "/data",
            extraArguments: ["--auto-create-topics"]
        )
        defer { broker.kill() }
        let run = try await runTool(
            "producer",
            ["--broker", broker.address, "--topic", "t", "--delay", "1h", "--schedule-id", "one"],
            input: "first\nsecond\n"
        )
        #expect(run.status == 1, "\(run.standardError)")
        #expect(
            run.standardError
                == "producer: --schedule-id names one message, but standard input has more than one line: put {key} "
                + "in it (e.g. 'order-timeout:{key}') and give each message its key with --key-separator\n"
        )
        #expect(run.standardOutput.isEmpty)
    }

    @Test(arguments: [
        (["producer", "--help"], "--schedule-id"),
        (["brokerctl", "schedules", "--help"], "Cancel pending schedules by id."),
        (["brokerctl", "schedules", "list", "--help"], "--due-before"),
    ])
    func helpDescribesScheduling(_ command: [String], _ expected: String) async throws {
        let run = try await runTool(command[0], Array(command.dropFirst()))
        #expect(run.status == 0, "\(run.standardError)")
        #expect(!run.standardOutput.contains("not available yet"), "\(run.standardOutput)")
        #expect(run.standardOutput.contains(expected), "\(run.standardOutput)")
    }
}

/// Scheduling through the tools against a broker that serves delayed delivery.
@Suite("Scheduling tools", .serialized)
struct ScheduleToolTests {
    /// `scheduled ID for TIME` → (id, epoch milliseconds), checking the form of TIME.
    static func parseScheduled(_ line: String) throws -> (id: String, due: Int64) {
        let parts = line.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "scheduled", parts[2] == "for",
            parts[3].hasSuffix("Z"), parts[3].count == "2026-11-27T18:05:00.123Z".count,
            let date = Self.rfc3339Date(String(parts[3]))
        else { throw CrashTestError("not a scheduled line: \(line)") }
        return (String(parts[1]), Int64((date.timeIntervalSince1970 * 1000).rounded()))
    }

    static func rfc3339Date(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    static func nowMilliseconds() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

    /// Polls `consumer --until-end` (bounded) until the topic holds `count` records.
    static func waitForRecords(_ broker: String, topic: String, count: Int) async throws -> [[String: Any]] {
        let deadline = Date().addingTimeInterval(60)
        while true {
            let records = try await BrokerdTests.consumeAll(broker, topic: topic)
            if records.count >= count || Date() > deadline { return records }
            try? await Task.sleep(for: .seconds(0.2))
        }
    }

    static func createTopic(_ broker: String, _ topic: String, partitions: Int = 1) async throws {
        let run = try await runTool(
            "brokerctl",
            ["--broker", broker, "topics", "create", topic, "--partitions", "\(partitions)"]
        )
        #expect(run.status == 0, "\(run.standardError)")
    }

    @Test("producer --delay prints the schedule; the message is appended at its due time, not before")
    func delayedMessageAppearsAtItsDueTime() async throws {
        let directory = try TemporaryDirectory()
        let broker = try await BrokerdProcess(dataDirectory: directory.path + "/data")
        defer { broker.kill() }
        try await Self.createTopic(broker.address, "delayed")

        let before = Self.nowMilliseconds()
        let run = try await runTool(
            "producer",
            [
                "--broker", broker.address, "--topic", "delayed", "--key", "k", "--delay", "3s", "--header", "h=x",
                "later",
            ]
        )
        try #require(run.status == 0, "\(run.standardError)")
        #expect(run.lines.count == 1, "\(run.standardOutput)")
        let (id, due) = try Self.parseScheduled(try #require(run.lines.first))
        #expect(!id.isEmpty)
        #expect(due >= before + 3000, "due \(due) is not 3 s after \(before)")

        // Read at once: a reader that finishes before the due time sees nothing.
        let early = try await BrokerdTests.consumeAll(broker.address, topic: "delayed")
        if Self.nowMilliseconds() < due { #expect(early.isEmpty, "\(early)") }

        let records = try await Self.waitForRecords(broker.address, topic: "delayed", count: 1)
        #expect(Self.nowMilliseconds() >= due)
        #expect(records.count == 1, "\(records)")
        let record = try #require(records.first)
        #expect(record["value"] as? String == "later")
        #expect(record["key"] as? String == "k")
        #expect(BrokerdTests.headerValue(record, "h") == "x")
        #expect(BrokerdTests.headerValue(record, "sluice.schedule.id") == id)
        let listed = try await runTool("brokerctl", ["--broker", broker.address, "schedules", "list", "delayed"])
        #expect(listed.status == 0, "\(listed.standardError)")
        #expect(listed.lines.last == "0 pending", "\(listed.standardOutput)")
    }

    @Test("--schedule-id twice replaces the pending schedule; list and cancel print their lines")
    func scheduleIDReplacesListAndCancel() async throws {
        let directory = try TemporaryDirectory()
        let broker = try await BrokerdProcess(dataDirectory: directory.path + "/data")
        defer { broker.kill() }
        try await Self.createTopic(broker.address, "orders", partitions: 3)
        let arguments = [
            "--broker", broker.address, "--topic", "orders", "--key", "1234", "--schedule-id", "order-timeout:1234",
        ]
        let first = try await runTool("producer", arguments + ["--delay", "1h", "first"])
        try #require(first.status == 0, "\(first.standardError)")
        let second = try await runTool("producer", arguments + ["--at", "2100-01-01T00:00:00.250Z", "second"])
        #expect(second.status == 0, "\(second.standardError)")
        #expect(try Self.parseScheduled(try #require(first.lines.first)).id == "order-timeout:1234")
        #expect(second.lines == ["scheduled order-timeout:1234 for 2100-01-01T00:00:00.250Z"])

        // {key}: one id per line of standard input.
        let keyed = try await runTool(
            "producer",
            [
                "--broker", broker.address, "--topic", "orders", "--key-separator", ":", "--delay", "2h",
                "--schedule-id", "reminder:{key}",
            ],
            input: "a:1\nb:22\n"
        )
        #expect(keyed.status == 0, "\(keyed.standardError)")
        #expect(try keyed.lines.map { try Self.parseScheduled($0).id } == ["reminder:a", "reminder:b"])

        let list = try await runTool("brokerctl", ["--broker", broker.address, "schedules", "list", "orders"])
        #expect(list.status == 0, "\(list.standardError)")
        let rows = list.lines
        #expect(
            rows.first?.split(separator: " ", omittingEmptySubsequences: true) == [
                "ID", "PARTITION", "DUE", "PRODUCED", "KEY", "BYTES",
            ]
        )
        #expect(rows.last == "3 pending", "\(list.standardOutput)")
        // Due order: the two reminders (2 h), then the order timeout (year 2100), listed once.
        let ids = rows.dropFirst().dropLast().map { $0.split(separator: " ").first.map(String.init) ?? "" }
        #expect(ids == ["reminder:a", "reminder:b", "order-timeout:1234"], "\(list.standardOutput)")
        let timeout = try #require(rows.first { $0.hasPrefix("order-timeout:1234 ") })
        #expect(timeout.contains("2100-01-01T00:00:00.250Z") && timeout.contains(" 1234 ") && timeout.hasSuffix(" 6"))

        let prefixed = try await runTool(
            "brokerctl",
            ["--broker", broker.address, "schedules", "list", "orders", "--id-prefix", "reminder:", "--limit", "1"]
        )
        #expect(prefixed.status == 0, "\(prefixed.standardError)")
        #expect(prefixed.lines.count == 3, "header, one row, pending: \(prefixed.standardOutput)")
        #expect(prefixed.lines.dropFirst().first?.hasPrefix("reminder:a ") == true, "\(prefixed.standardOutput)")

        let cancel = try await runTool(
            "brokerctl",
            ["--broker", broker.address, "schedules", "cancel", "orders", "order-timeout:1234", "never-made"]
        )
        #expect(cancel.status == 0, "\(cancel.standardError)")
        #expect(cancel.lines == ["cancelled order-timeout:1234", "unknown never-made"])
        let again = try await runTool(
            "brokerctl",
            ["--broker", broker.address, "schedules", "cancel", "orders", "order-timeout:1234"]
        )
        #expect(again.lines == ["unknown order-timeout:1234"])
        let after = try await runTool("brokerctl", ["--broker", broker.address, "schedules", "list", "orders"])
        #expect(after.lines.last == "2 pending", "\(after.standardOutput)")
        #expect(!after.standardOutput.contains("order-timeout"))
    }

    /// More messages than `ProducerTool.maxSchedulesInFlight` (64): the requests overlap, the lines
    /// still come out in input order, one per message.
    @Test("300 lines of standard input are scheduled and printed in input order")
    func manyLinesInInputOrder() async throws {
        let directory = try TemporaryDirectory()
        let broker = try await BrokerdProcess(dataDirectory: directory.path + "/data")
        defer { broker.kill() }
        try await Self.createTopic(broker.address, "jobs", partitions: 4)
        let input = (1...300).map { "job\($0):payload \($0)\n" }.joined()
        let run = try await runTool(
            "producer",
            [
                "--broker", broker.address, "--topic", "jobs", "--key-separator", ":", "--delay", "1d",
                "--schedule-id", "run:{key}",
            ],
            input: input
        )
        try #require(run.status == 0, "\(run.standardError)")
        #expect(try run.lines.map { try Self.parseScheduled($0).id } == (1...300).map { "run:job\($0)" })
        let list = try await runTool(
            "brokerctl",
            ["--broker", broker.address, "schedules", "list", "jobs", "--limit", "1"]
        )
        #expect(list.status == 0, "\(list.standardError)")
        #expect(list.lines.count == 3 && list.lines.last == "300 pending", "\(list.standardOutput)")
    }

    @Test("a schedule that fired is cancelled as 'already delivered'")
    func cancelAfterDelivery() async throws {
        let directory = try TemporaryDirectory()
        let broker = try await BrokerdProcess(dataDirectory: directory.path + "/data")
        defer { broker.kill() }
        try await Self.createTopic(broker.address, "now")
        let run = try await runTool(
            "producer",
            ["--broker", broker.address, "--topic", "now", "--delay", "0ms", "--schedule-id", "soon", "v"]
        )
        try #require(run.status == 0, "\(run.standardError)")
        #expect(try await Self.waitForRecords(broker.address, topic: "now", count: 1).count == 1)
        let cancel = try await runTool("brokerctl", ["--broker", broker.address, "schedules", "cancel", "now", "soon"])
        #expect(cancel.status == 0, "\(cancel.standardError)")
        #expect(cancel.lines == ["already delivered soon"])
    }

    @Test("an unknown topic is one line and a non-zero exit, for each tool")
    func unknownTopic() async throws {
        let directory = try TemporaryDirectory()
        let broker = try await BrokerdProcess(dataDirectory: directory.path + "/data")
        defer { broker.kill() }
        for arguments in [
            ["producer", "--broker", broker.address, "--topic", "missing", "--delay", "1s", "v"],
            ["brokerctl", "--broker", broker.address, "schedules", "list", "missing"],
            ["brokerctl", "--broker", broker.address, "schedules", "cancel", "missing", "id"],
        ] {
            let run = try await runTool(arguments[0], Array(arguments.dropFirst()))
            #expect(run.status == 1, "\(arguments): \(run.standardError)")
            #expect(run.standardError.contains("unknown topic"), "\(arguments): \(run.standardError)")
            #expect(run.standardError.split(separator: "\n").count == 1, "one line: \(run.standardError)")
        }
    }
}
