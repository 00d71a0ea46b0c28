import BrokerClient
import Foundation
import NIOCore
import Testing

@testable import Broker

/// Relocating long schedules: a schedule due in years must not keep the schedule log's first
/// segment (and every later one) on disk.
@Suite("Scheduler relocation")
struct SchedulerRelocationTests {
    typealias Support = ScheduleTestSupport

    /// Far beyond the churn, within the hour a partition accepts timestamps ahead of the broker's
    /// real clock (the manual clock stamps the fired message).
    static let later: Int64 = 50 * 60_000

    /// Small segments and memtables, so that a few hundred schedules make several segments and
    /// flushes.
    static func settings(relocateLiveRatio: Double = 0.5) -> ScheduleSettings {
        var settings = ScheduleSettings()
        settings.logSegmentBytes = 4096
        settings.memtableEntries = 64
        settings.relocateLiveRatio = relocateLiveRatio
        return settings
    }

    /// Schedules `rounds` × 40 messages due a second ahead and lets them fire: the schedule log
    /// grows by several segments whose schedules are all delivered.
    static func churn(rounds: Int, _ manual: ManualClockScheduler, _ scheduler: Scheduler) async throws {
        for round in 0..<rounds {
            try await Support.schedule(
                (0..<40).map { Support.input("s\(round)-\($0)", at: .after(1_000)) },
                topic: "t",
                on: scheduler
            )
            try await manual.advance(by: 2_000, scheduler)
        }
    }

    static func listing(_ scheduler: Scheduler) async throws -> ScheduleListing {
        try await scheduler.list(topic: "t", dueBefore: nil, idPrefix: nil, cursor: nil, limit: 10).get()
    }

    @Test(
        "a schedule due much later than the others is moved out of the first segment, which is deleted; it keeps its id, due time and message, survives a crash, and fires once"
    )
    func relocatedAndFiresOnce() async throws {
        try await withBroker { server, port in
            try await Support.createTopic("t", on: server)
            let manual = try ManualClockScheduler(server: server, settings: Self.settings())
            var scheduler = try await manual.open()
            let long = try #require(
                try await Support.schedule(
                    [Support.input("long", id: "r1", at: .after(Self.later))],
                    topic: "t",
                    on: scheduler
                )
                .first
            )
            let before = try #require(try await Self.listing(scheduler).entries.first)
            try await Self.churn(rounds: 8, manual, scheduler)
            try await Support.waitUntil(scheduler, "the first segment is deleted") { s in
                s.log.logStartOffset > 0 && s.relocation == nil
            }
            #expect(try await scheduler.currentStatistics.get().relocated >= 1)
            var after = try await Self.listing(scheduler)
            #expect(after.pending == 1)
            #expect(after.entries == [before], "the relocated schedule is listed as it was")

            // kill -9 and start again: still one pending schedule, the same.
            await scheduler.crashForTesting()
            scheduler = try await manual.open()
            after = try await Self.listing(scheduler)
            #expect(after.pending == 1)
            #expect(after.entries == [before])

            try await manual.advance(by: Self.later, scheduler)
            let records = try await Support.read("t", port: port)
            let fired = records.filter { $0.valueString == "long" }
            #expect(fired.count == 1)
            #expect(fired.first.map { Support.header(ScheduleHeader.id, of: $0) } == "r1")
            #expect(fired.first.map { Support.header(ScheduleHeader.due, of: $0) } == "\(long.due)")
            #expect(fired.first.map { Support.header(ScheduleHeader.produced, of: $0) } == "\(before.producedAt)")
            #expect(records.count == 8 * 40 + 1, "every schedule delivered once")
            #expect(Set(records.compactMap(\.valueString)).count == records.count)
            #expect(
                try await scheduler.cancel(topic: "t", ids: ["r1"]).get().map { try $0.get() } == [.alreadyDelivered]
            )
            await scheduler.close()
        }
    }

    @Test("a relocated schedule cancelled answers cancelled and never fires")
    func relocatedThenCancelled() async throws {
        try await withBroker { server, port in
            try await Support.createTopic("t", on: server)
            let manual = try ManualClockScheduler(server: server, settings: Self.settings())
            let scheduler = try await manual.open()
            try await Support.schedule(
                [Support.input("long", id: "r1", at: .after(Self.later))],
                topic: "t",
                on: scheduler
            )
            try await Self.churn(rounds: 8, manual, scheduler)
            try await Support.waitUntil(scheduler, "the first segment is deleted") { s in
                s.log.logStartOffset > 0 && s.relocation == nil
            }
            #expect(try await scheduler.cancel(topic: "t", ids: ["r1"]).get().map { try $0.get() } == [.cancelled])
            #expect(try await Self.listing(scheduler).pending == 0)
            try await manual.advance(by: Self.later, scheduler)
            #expect(try await Support.read("t", port: port).filter { $0.valueString == "long" }.isEmpty)
            await scheduler.close()
        }
    }

    @Test("with relocation off (ratio 0) the long schedule keeps the first segment")
    func relocationOff() async throws {
        try await withBroker { server, _ in
            try await Support.createTopic("t", on: server)
            let manual = try ManualClockScheduler(server: server, settings: Self.settings(relocateLiveRatio: 0))
            let scheduler = try await manual.open()
            try await Support.schedule(
                [Support.input("long", id: "r1", at: .after(Self.later))],
                topic: "t",
                on: scheduler
            )
            try await Self.churn(rounds: 8, manual, scheduler)
            let (start, segments, relocated) = try await scheduler.loop.submit {
                (scheduler.log.logStartOffset, scheduler.log.segmentCount, scheduler.statistics.relocated)
            }.get()
            #expect(start == 0)
            #expect(segments > 2, "the churn made several segments")
            #expect(relocated == 0)
            await scheduler.close()
        }
    }
}
