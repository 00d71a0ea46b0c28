import Testing

@testable import Broker

private typealias Support = ScheduleTestSupport

/// The fired schedules' lateness the scheduler counts for `brokerStatus` v2 (`brokerctl status`),
/// on a manual clock: due time to the append, added up and at its largest.
@Suite struct SchedulerLatenessTests {
    @Test("two schedules fired 1,000 and 500 ms late: 2 fired, 1,500 ms in all, 1,000 ms at most")
    func latenessIsCounted() async throws {
        try await withBroker { server, _ in
            try await Support.createTopic("orders", on: server)
            let manual = try ManualClockScheduler(server: server)
            let scheduler = try await manual.open()
            try await Support.schedule(
                [Support.input("a", id: "a", at: .after(1_000)), Support.input("b", id: "b", at: .after(1_500))],
                topic: "orders",
                on: scheduler
            )
            let before = try await scheduler.currentStatistics.get()
            #expect(before.fired == 0 && before.latenessTotalMilliseconds == 0 && before.latenessMaxMilliseconds == 0)
            // The clock jumps past both due times at once: both fire at start + 2,000.
            try await manual.advance(by: 2_000, scheduler)
            let after = try await scheduler.currentStatistics.get()
            #expect(after.fired == 2)
            #expect(after.latenessTotalMilliseconds == 1_500)
            #expect(after.latenessMaxMilliseconds == 1_000)
            await scheduler.close()
        }
    }
}
