import ArgumentParser
import BrokerClient
import NIOCore
import Testing

@testable import ToolSupport

/// `producer --delay/--at/--schedule-id` and `brokerctl schedules list/cancel`, parsed as the
/// executables parse them, and what they print.
@Suite struct ScheduleToolOptionsTests {
    static func refusal<Options: ParsableArguments>(_ type: Options.Type, _ arguments: [String]) -> String? {
        ToolOptionsTests.refusal(type, arguments)
    }

    // MARK: producer

    @Test func delayAndAtBecomeDeliveryTimes() throws {
        let delayed = try ProducerOptions.parse(["--topic", "t", "--delay", "90s", "x"])
        #expect(delayed.isScheduled)
        #expect(delayed.deliveryTime == .after(.seconds(90)))
        let timed = try ProducerOptions.parse(["--topic", "t", "--at", "2026-11-27T18:05:00.123Z", "x"])
        #expect(timed.deliveryTime == .at(epochMilliseconds: 1_795_802_700_123))
        let epoch = try ProducerOptions.parse(["--topic", "t", "--at", "1795802700123", "x"])
        #expect(epoch.deliveryTime == .at(epochMilliseconds: 1_795_802_700_123))
        let plain = try ProducerOptions.parse(["--topic", "t", "x"])
        #expect(!plain.isScheduled && plain.deliveryTime == nil)
    }

    @Test(arguments: [
        (["--delay", "5s", "--at", "1"], "--delay and --at do not go together: give one of them"),
        (["--delay", "5x"], "--delay 5x is not a duration: a number and a unit: 500ms, 30s, 5m, 2h or 7d"),
        (["--delay", "-5s"], "--delay -5s is not a duration"),
        (["--at", "tomorrow"], "--at tomorrow is not a time: RFC 3339 (2024-05-01T12:00:00Z) or epoch milliseconds"),
        (["--at", "1969-12-31T23:59:59Z"], "--at 1969-12-31T23:59:59Z is before 1970"),
        (["--at", "-5"], "--at -5 is not a time"),
        (["--schedule-id", "a"], "--schedule-id needs --delay or --at"),
        (
            ["--delay", "1s", "--msg-id", "m"],
            "--msg-id does not go with --delay or --at: a scheduled message is named"
        ),
        (["--delay", "1s", "--acks", "none"], "--acks none does not go with --delay or --at"),
        (["--delay", "1s", "--schedule-id", ""], "--schedule-id must not be empty"),
        (
            ["--delay", "1s", "--schedule-id", String(repeating: "i", count: 1025)],
            "--schedule-id: a schedule id is 1 to 1024 bytes of UTF-8, not 1025"
        ),
        (
            ["--delay", "1s", "--schedule-id", "o", "x", "y"],
            "--schedule-id names one message, but 2 values were given"
        ),
        (["--delay", "1s", "--schedule-id", "o:{key}", "x"], "--schedule-id has {key} but the messages have no key"),
        // One --key for every message: {key} would give them all the same id.
        (
            ["--delay", "1s", "--schedule-id", "o:{key}", "--key", "k", "x", "y"],
            "--schedule-id names one message, but 2 values were given: put {key} in it"
        ),
    ])
    func badSchedulingFlagsAreRefusedWithAReason(_ flags: [String], _ reason: String) throws {
        let refusal = try #require(Self.refusal(ProducerOptions.self, ["--topic", "t"] + flags))
        #expect(refusal.contains(reason), "\(refusal)")
        #expect(!refusal.contains("\n"))
    }

    @Test func scheduleIDsTakeEachMessagesKey() throws {
        let options = try ProducerOptions.parse([
            "--topic", "t", "--delay", "1m", "--schedule-id", "order-timeout:{key}:{key}", "--key-separator", ":",
            "1:a", "2:b",
        ])
        #expect(!options.hasOneScheduleID)
        #expect(try options.scheduleID(forKey: ByteBuffer(string: "1234")) == "order-timeout:1234:1234")
        let missing = #expect(throws: ClientError.self) { try options.scheduleID(forKey: nil) }
        #expect(missing?.message == "--schedule-id has {key} but the message has no key")
        let binary = #expect(throws: ClientError.self) { try options.scheduleID(forKey: ByteBuffer(bytes: [0xFF])) }
        #expect(binary?.message == "the key is not UTF-8, so it cannot go into --schedule-id")
        let long = #expect(throws: ClientError.self) {
            try options.scheduleID(forKey: ByteBuffer(string: String(repeating: "k", count: 600)))
        }
        #expect(long?.message.hasSuffix("a schedule id is 1 to 1024 bytes of UTF-8, not 1215") == true)

        let one = try ProducerOptions.parse(["--topic", "t", "--at", "1", "--schedule-id", "fixed", "x"])
        #expect(one.hasOneScheduleID)
        #expect(try one.scheduleID(forKey: ByteBuffer(string: "ignored")) == "fixed")
        let keyed = try ProducerOptions.parse(["--topic", "t", "--at", "1", "--schedule-id", "o:{key}", "--key", "k"])
        #expect(keyed.hasOneScheduleID)
        #expect(try keyed.scheduleID(forKey: ByteBuffer(string: "k")) == "o:k")
        let generated = try ProducerOptions.parse(["--topic", "t", "--delay", "1s", "x", "y"])
        #expect(try generated.scheduleID(forKey: nil) == nil)
    }

    @Test func theScheduledLineIsRFC3339WithMilliseconds() {
        let scheduled = ScheduledMessage(scheduleID: "o:1", partition: 0, deliverAt: 1_795_802_700_123, replaced: false)
        #expect(ProducerTool.line(for: scheduled) == "scheduled o:1 for 2026-11-27T18:05:00.123Z")
    }

    // MARK: Times

    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000Z"),
        (1_795_802_700_123, "2026-11-27T18:05:00.123Z"),
        (951_782_400_000, "2000-02-29T00:00:00.000Z"),
        (-1, "1969-12-31T23:59:59.999Z"),
        (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
    ])
    func timesAreFormattedInUTCWithMilliseconds(_ milliseconds: Int64, _ text: String) {
        #expect(TimeSyntax.format(epochMilliseconds: milliseconds) == text)
        #expect(TimeSyntax.parse(text) == milliseconds)
    }

    /// Every day of four centuries comes back through the parser.
    @Test func formatAndParseAgreeOnEveryDay() {
        for day in Int64(-146_097)...146_097 {
            let milliseconds = day * 86_400_000 + (day & 0xFFFF) * 1001
            #expect(TimeSyntax.parse(TimeSyntax.format(epochMilliseconds: milliseconds)) == milliseconds)
        }
    }

    // MARK: brokerctl schedules

    @Test func listReadsItsOptions() throws {
        let defaults = try ScheduleListOptions.parse(["orders"])
        #expect(defaults.topic == "orders")
        #expect(defaults.limit == ScheduleListOptions.defaultLimit)
        #expect(defaults.dueBeforeMilliseconds == nil && defaults.idPrefix == nil)
        let options = try ScheduleListOptions.parse([
            "orders", "--due-before", "2026-11-27T18:05:00.123Z", "--id-prefix", "order-timeout:", "--limit", "5",
        ])
        #expect(options.dueBeforeMilliseconds == 1_795_802_700_123)
        #expect(options.idPrefix == "order-timeout:")
        #expect(options.limit == 5)
    }

    @Test(arguments: [
        (["t", "--limit", "0"], "--limit 0: list at least 1 schedule"),
        (["t", "--limit", "-3"], "--limit -3: list at least 1 schedule"),
        (["t", "--due-before", "soon"], "--due-before soon is not a time"),
        (["t", "--due-before", "-1"], "--due-before -1 is not a time"),
        (
            ["t", "--id-prefix", String(repeating: "p", count: 1025)],
            "--id-prefix is 1025 bytes, longer than any schedule id"
        ),
        ([], "Missing expected argument '<topic>'"),
    ])
    func listRefusesBadOptions(_ arguments: [String], _ reason: String) throws {
        let refusal = try #require(Self.refusal(ScheduleListOptions.self, arguments))
        #expect(refusal.contains(reason), "\(refusal)")
    }

    @Test func cancelReadsIDs() throws {
        let options = try ScheduleCancelOptions.parse(["orders", "a", "order-timeout:1"])
        #expect(options.topic == "orders")
        #expect(options.scheduleIDs == ["a", "order-timeout:1"])
        let none = try #require(Self.refusal(ScheduleCancelOptions.self, ["orders"]))
        #expect(none.contains("give at least one schedule id to cancel"), "\(none)")
        let long = try #require(
            Self.refusal(ScheduleCancelOptions.self, ["orders", String(repeating: "x", count: 1025)])
        )
        #expect(long.contains("a schedule id is 1 to 1024 bytes of UTF-8, not 1025"), "\(long)")
    }

    @Test func listingRowsAndCancelLines() {
        let row = ScheduleListing.row(
            PendingSchedule(
                scheduleID: "o:1",
                partition: 2,
                deliverAt: 1_795_802_700_123,
                producedAt: 0,
                key: ByteBuffer(string: "1234"),
                valueBytes: nil
            )
        )
        #expect(row == ["o:1", "2", "2026-11-27T18:05:00.123Z", "1970-01-01T00:00:00.000Z", "1234", "-"])
        #expect(ScheduleListing.keyText(nil) == "-")
        #expect(ScheduleListing.keyText(ByteBuffer(bytes: [0xFF, 0x00])) == "base64:/wA=")
        #expect(ScheduleListing.keyText(ByteBuffer(string: "a\tb")) == "base64:YQli")
        #expect(ScheduleListing.line(for: .cancelled, id: "a") == "cancelled a")
        #expect(ScheduleListing.line(for: .alreadyDelivered, id: "a") == "already delivered a")
        #expect(ScheduleListing.line(for: .unknown, id: "a") == "unknown a")
    }
}
