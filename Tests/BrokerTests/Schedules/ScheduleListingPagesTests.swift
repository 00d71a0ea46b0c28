import BrokerClient
import BrokerProtocol
import Foundation
import NIOCore
import Testing

@testable import Broker

/// Listing many pending schedules whose due order is not the order they were scheduled in (each
/// listed entry is read from the schedule log), through the protocol, page by page.
@Suite("Schedules: listing pages")
struct ScheduleListingPagesTests {
    typealias Support = ScheduleTestSupport

    @Test("5,000 schedules in random due order: every page in due order, each schedule listed once")
    func pagesThroughRandomDueTimes() async throws {
        try await withBroker { server, port in
            try await Support.createTopic("orders", partitions: 4, on: server)
            let connection = BrokerConnection(address: BrokerAddress(host: "127.0.0.1", port: port))
            defer { Task { await connection.close() } }
            let client = ScheduleClient(transport: connection)
            let count = 5_000
            let start = Support.now + 3_600_000
            var generator = SystemRandomNumberGenerator()
            var dues: [String: Int64] = [:]
            for first in stride(from: 0, to: count, by: 1_000) {
                let messages = (first..<first + 1_000).map { n in
                    DelayedMessage(
                        key: "k\(n)",
                        value: "v",
                        deliver: .at(epochMilliseconds: start + Int64.random(in: 0..<86_400_000, using: &generator)),
                        scheduleID: (n % 2 == 0 ? "even:" : "odd:") + "\(n)"
                    )
                }
                for (message, answer) in zip(messages, try await client.schedule(topic: "orders", messages)) {
                    let scheduled = try answer.get()
                    dues[try #require(message.scheduleID)] = scheduled.deliverAt
                }
            }
            for prefix in [nil, "odd:"] as [String?] {
                var listed: [PendingSchedule] = []
                var cursor: ScheduleCursor?
                var pages = 0
                repeat {
                    let page = try await client.listPage(topic: "orders", idPrefix: prefix, limit: 1_000, after: cursor)
                    #expect(page.pending == Int64(count))
                    listed += page.schedules
                    cursor = page.next
                    pages += 1
                } while cursor != nil && pages < 1_000
                let expected = dues.filter { prefix == nil || $0.key.hasPrefix(prefix!) }
                #expect(listed.count == expected.count, "prefix \(prefix ?? "none")")
                #expect(Set(listed.map(\.scheduleID)) == Set(expected.keys), "prefix \(prefix ?? "none")")
                for schedule in listed where dues[schedule.scheduleID] != schedule.deliverAt {
                    Issue.record(
                        "\(schedule.scheduleID) listed due \(schedule.deliverAt), answered \(dues[schedule.scheduleID] ?? -1)"
                    )
                    break
                }
                let times = listed.map(\.deliverAt)
                #expect(times == times.sorted(), "prefix \(prefix ?? "none"): not in due order")
            }
        }
    }
}
