import Foundation
import Testing

/// Schedule limits at their edges through the tools and the real broker: a delay of three years
/// (taken, listed by `brokerctl schedules list` with its due time, kept across `kill -9`,
/// cancellable) and schedule ids of 1,024 and 1,025 bytes, also made from `{key}`.
@Suite("Schedules: limits through the tools", .serialized)
struct ScheduleLimitsToolTests {
    @Test("producer --delay 1095d is taken, listed, kept across kill -9 and cancelled")
    func threeYears() async throws {
        let directory = try TemporaryDirectory()
        let data = directory.path + "/data"
        var broker = try await BrokerdProcess(dataDirectory: data)
        try await ScheduleToolTests.createTopic(broker.address, "reminders")
        let before = ScheduleToolTests.nowMilliseconds()
        let threeYears: Int64 = 1_095 * 86_400_000
        let run = try await runTool(
            "producer",
            [
                "--broker", broker.address, "--topic", "reminders", "--key", "customer-7", "--delay", "1095d",
                "--schedule-id", "renewal:customer-7", "renew the subscription",
            ]
        )
        try #require(run.status == 0, "\(run.standardError)")
        let (id, due) = try ScheduleToolTests.parseScheduled(try #require(run.lines.first))
        #expect(id == "renewal:customer-7")
        #expect(due >= before + threeYears && due <= ScheduleToolTests.nowMilliseconds() + threeYears)

        func expectListed() async throws {
            let list = try await runTool("brokerctl", ["--broker", broker.address, "schedules", "list", "reminders"])
            #expect(list.status == 0, "\(list.standardError)")
            #expect(list.lines.last == "1 pending", "\(list.standardOutput)")
            let row = try #require(list.lines.first { $0.hasPrefix("renewal:customer-7 ") }, "\(list.standardOutput)")
            let columns = row.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            #expect(columns.count == 6, "\(row)")
            let listedDue = try #require(ScheduleToolTests.rfc3339Date(columns[2]), "\(row)")
            #expect(Int64((listedDue.timeIntervalSince1970 * 1000).rounded()) == due, "\(row)")
            #expect(columns[4] == "customer-7" && columns[5] == "\("renew the subscription".utf8.count)", "\(row)")
        }
        try await expectListed()
        _ = try await broker.stop(signal: SIGKILL)
        broker = try await BrokerdProcess(dataDirectory: data)
        defer { broker.kill() }
        try await expectListed()
        let cancel = try await runTool(
            "brokerctl",
            ["--broker", broker.address, "schedules", "cancel", "reminders", "renewal:customer-7"]
        )
        #expect(cancel.lines == ["cancelled renewal:customer-7"], "\(cancel.standardOutput)\(cancel.standardError)")
        await #expect(try BrokerdTests.consumeAll(broker.address, topic: "reminders").isEmpty)
    }

    @Test("a schedule id of 1,024 bytes is taken and listed; 1,025 is refused, also when {key} makes it")
    func scheduleIDLength() async throws {
        let directory = try TemporaryDirectory()
        let broker = try await BrokerdProcess(dataDirectory: directory.path + "/data")
        defer { broker.kill() }
        try await ScheduleToolTests.createTopic(broker.address, "orders")
        let longest = String(repeating: "x", count: 1_024)
        let tooLong = longest + "x"
        let base = ["--broker", broker.address, "--topic", "orders", "--delay", "1h"]

        let taken = try await runTool("producer", base + ["--schedule-id", longest, "v"])
        #expect(taken.status == 0, "\(taken.standardError)")
        #expect(try taken.lines.map { try ScheduleToolTests.parseScheduled($0).id } == [longest])
        let refused = try await runTool("producer", base + ["--schedule-id", tooLong, "v"])
        #expect(refused.status == 64, "\(refused.standardError)")
        #expect(
            refused.standardError == "producer: --schedule-id: a schedule id is 1 to 1024 bytes of UTF-8, not 1025\n"
        )

        // `order-timeout:{key}` is 14 bytes plus the key: a key of 1,010 bytes makes 1,024, of 1,011 makes 1,025.
        let keyed = try await runTool(
            "producer",
            base + ["--key-separator", ":", "--schedule-id", "order-timeout:{key}"],
            input:
                "\(String(repeating: "k", count: 1_010)):fits\n\(String(repeating: "k", count: 1_011)):too long\nlast:v\n"
        )
        #expect(keyed.status == 1, "\(keyed.standardError)")
        #expect(keyed.lines.count == 1, "\(keyed.standardOutput)")
        #expect(
            keyed.standardError.hasPrefix("producer: line 2: --schedule-id ")
                && keyed.standardError.contains("a schedule id is 1 to 1024 bytes of UTF-8, not 1025"),
            "\(keyed.standardError)"
        )
        #expect(keyed.standardError.split(separator: "\n").count == 1, "one line: \(keyed.standardError)")

        let list = try await runTool("brokerctl", ["--broker", broker.address, "schedules", "list", "orders"])
        #expect(list.status == 0, "\(list.standardError)")
        #expect(list.lines.last == "2 pending", "\(list.standardOutput)")
        #expect(list.lines.contains { $0.hasPrefix(longest + " ") })
        #expect(list.lines.contains { $0.hasPrefix("order-timeout:" + String(repeating: "k", count: 1_010) + " ") })
        let cancel = try await runTool(
            "brokerctl",
            ["--broker", broker.address, "schedules", "cancel", "orders", longest, tooLong]
        )
        #expect(cancel.status == 64, "the over-long id is refused before anything is sent: \(cancel.standardError)")
        #expect(cancel.standardError.contains("a schedule id is 1 to 1024 bytes of UTF-8, not 1025"))
        let cancelLongest = try await runTool(
            "brokerctl",
            ["--broker", broker.address, "schedules", "cancel", "orders", longest]
        )
        #expect(cancelLongest.lines == ["cancelled \(longest)"], "\(cancelLongest.standardError)")
    }
}
