import Testing

@testable import Broker

/// Due times are wall-clock times (docs/SCHEDULES.md, "Clocks"): when the broker's wall clock jumps,
/// a schedule fires when the clock reaches its due time, never before, and once. The scheduler's
/// clock is the test's (`ManualClockScheduler`), so the jumps are exact and the machine's speed
/// does not matter.
@Suite("schedules across wall-clock jumps")
struct ScheduleClockJumpTests {
    typealias Support = ScheduleTestSupport

    @Test("the clock jumps back an hour: nothing fires early; once the clock is back at each due time, each fires once")
    func jumpBack() async throws {
        try await withBroker { server, port in
            try await Support.createTopic("t", on: server)
            let manual = try ManualClockScheduler(server: server)
            let scheduler = try await manual.open()
            let start = manual.clock.withLockedValue { $0 }
            try await Support.schedule(
                [
                    Support.input("a", id: "a", at: .at(start + 10_000)),
                    Support.input("b", id: "b", at: .at(start + 20_000)),
                ],
                topic: "t",
                on: scheduler
            )
            try await manual.advance(by: -3_600_000, scheduler)
            try await manual.advance(by: 3_600_000 + 9_999, scheduler)
            #expect(try await Support.read("t", port: port).isEmpty, "nothing is due before its time on the clock")
            try await manual.advance(by: 1, scheduler)
            #expect(try await Support.read("t", port: port).compactMap(\.valueString) == ["a"])
            // Back again, past a's due time: a does not fire again, b waits for its own time.
            try await manual.advance(by: -60_000, scheduler)
            try await manual.advance(by: 60_000 + 10_000, scheduler)
            let records = try await Support.read("t", port: port)
            #expect(records.compactMap(\.valueString) == ["a", "b"])
            #expect(
                records.map { Support.header(ScheduleHeader.due, of: $0) } == [
                    "\(start + 10_000)", "\(start + 20_000)",
                ]
            )
            await scheduler.close()
        }
    }

    @Test("the clock jumps forward 50 minutes: everything overdue fires at once, once each, in due order")
    func jumpForward() async throws {
        try await withBroker { server, port in
            try await Support.createTopic("t", on: server)
            let manual = try ManualClockScheduler(server: server)
            let scheduler = try await manual.open()
            let start = manual.clock.withLockedValue { $0 }
            // Scheduled out of due order; ids name the order they must fire in.
            let dues: [Int64] = [5_000, 1_000, 4_000, 2_000, 3_000]
            try await Support.schedule(
                dues.map { Support.input("\($0)", id: "\($0)", at: .at(start + $0)) },
                topic: "t",
                on: scheduler
            )
            // Less than the broker's maxTimestampAheadMilliseconds (1 h): only the scheduler's clock is
            // the test's, and the partitions refuse fired records stamped further ahead of theirs. In
            // `brokerd` both read the same clock.
            try await manual.advance(by: 3_000_000, scheduler)
            let records = try await Support.read("t", port: port)
            #expect(records.compactMap(\.valueString) == ["1000", "2000", "3000", "4000", "5000"])
            #expect(
                try await scheduler.cancel(topic: "t", ids: ["1000", "5000"]).get().map { try $0.get() }
                    == [.alreadyDelivered, .alreadyDelivered]
            )
            await scheduler.close()
        }
    }
}
