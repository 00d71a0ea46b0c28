import Foundation
import Testing

/// A delay of years through the tools and the real broker: taken, listed by `brokerctl schedules
/// list` with its due time, kept across `kill -9`, and cancellable.
@Suite("Schedules: a delay of three years", .serialized)
struct ScheduleLongDelayTests {
    @Test("producer --delay 1095d is taken, listed, kept across kill -9 and cancelled")
    func threeYears() throws {
        let directory = try TemporaryDirectory()
        let data = directory.path + "/data"
        var broker = try BrokerdProcess(dataDirectory: data)
        try ScheduleToolTests.createTopic(broker.address, "reminders")
        let before = ScheduleToolTests.nowMilliseconds()
        let threeYears: Int64 = 1_095 * 86_400_000
        let run = try runTool(
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

        func expectListed() throws {
            let list = try runTool("brokerctl", ["--broker", broker.address, "schedules", "list", "reminders"])
            #expect(list.status == 0, "\(list.standardError)")
            #expect(list.lines.last == "1 pending", "\(list.standardOutput)")
            let row = try #require(list.lines.first { $0.hasPrefix("renewal:customer-7 ") }, "\(list.standardOutput)")
            let columns = row.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            #expect(columns.count == 6, "\(row)")
            let listedDue = try #require(ScheduleToolTests.rfc3339Date(columns[2]), "\(row)")
            #expect(Int64((listedDue.timeIntervalSince1970 * 1000).rounded()) == due, "\(row)")
            #expect(columns[4] == "customer-7" && columns[5] == "\("renew the subscription".utf8.count)", "\(row)")
        }
        try expectListed()
        _ = try broker.stop(signal: SIGKILL)
        broker = try BrokerdProcess(dataDirectory: data)
        defer { _ = try? broker.stop() }
        try expectListed()
        let cancel = try runTool(
            "brokerctl",
            ["--broker", broker.address, "schedules", "cancel", "reminders", "renewal:customer-7"]
        )
        #expect(cancel.lines == ["cancelled renewal:customer-7"], "\(cancel.standardOutput)\(cancel.standardError)")
        #expect(try BrokerdTests.consumeAll(broker.address, topic: "reminders").isEmpty)
    }
}
