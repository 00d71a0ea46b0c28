import BrokerClient
import BrokerProtocol
import Foundation
import NIOCore
import Testing

@testable import Broker

/// The scheduler in an embedded broker: firing at the due time with the schedule headers, cancel,
/// reschedule, restarts, the pending limit, delays of years, and runs (small memtables).
@Suite("Scheduler")
struct SchedulerTests {
    typealias Support = ScheduleTestSupport

    @Test("a schedule is invisible before its due time and appended once at it, with its headers")
    func firesAtDueTime() async throws {
        try await withBroker { server, port in
            try await Support.createTopic("orders", partitions: 2, on: server)
            let scheduler = try await server.openedScheduler()
            let before = Support.now
            let answers = try await Support.schedule(
                [Support.input("timeout", key: "order-1", id: "order-timeout:1", at: .after(400))],
                topic: "orders",
                on: scheduler
            )
            let answer = try #require(answers.first)
            #expect(answer.scheduleID == "order-timeout:1")
            #expect(answer.replaced == false)
            #expect(answer.due >= before + 400)
            // Never early: whatever a read finds was appended at or after its due time; a read that
            // ends before the due time finds nothing.
            let early = try await Support.read("orders", port: port)
            if Support.now < answer.due { #expect(early.isEmpty) }
            #expect(early.allSatisfy { $0.timestamp >= answer.due })
            let records = try await Support.read("orders", port: port, atLeast: 1)
            let record = try #require(records.first)
            #expect(record.timestamp >= answer.due)
            #expect(record.partition == answer.partition)
            #expect(record.keyString == "order-1")
            #expect(record.valueString == "timeout")
            #expect(Support.header(ScheduleHeader.id, of: record) == "order-timeout:1")
            #expect(Support.header(ScheduleHeader.due, of: record) == "\(answer.due)")
            #expect(Int64(Support.header(ScheduleHeader.produced, of: record) ?? "") ?? 0 >= before)
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await Support.read("orders", port: port).count == 1)
            #expect(
                try await scheduler.cancel(topic: "orders", ids: ["order-timeout:1"]).get().map { try $0.get() } == [
                    .alreadyDelivered
                ]
            )
        }
    }

    @Test("cancel before the due time: cancelled, never delivered; then unknown")
    func cancelBeforeDue() async throws {
        try await withBroker { server, port in
            try await Support.createTopic("orders", on: server)
            let manual = try ManualClockScheduler(server: server)
            let scheduler = try await manual.open()
            try await Support.schedule(
                [Support.input("a", id: "a", at: .after(2_000)), Support.input("b", id: "b", at: .after(2_000))],
                topic: "orders",
                on: scheduler
            )
            let answers = try await scheduler.cancel(topic: "orders", ids: ["a", "missing"]).get().map { try $0.get() }
            #expect(answers == [.cancelled, .unknown])
            try await manual.advance(by: 1_999, scheduler)
            #expect(try await Support.read("orders", port: port).isEmpty, "fired before its due time")
            try await manual.advance(by: 1, scheduler)
            #expect(try await Support.read("orders", port: port).map(\.valueString) == ["b"])
            try await manual.advance(by: 60_000, scheduler)
            #expect(try await Support.read("orders", port: port).map(\.valueString) == ["b"])
            #expect(try await scheduler.cancel(topic: "orders", ids: ["a"]).get().map { try $0.get() } == [.unknown])
            #expect(
                try await scheduler.cancel(topic: "orders", ids: ["b"]).get().map { try $0.get() } == [
                    .alreadyDelivered
                ]
            )
            #expect(try await scheduler.pendingCounts.get()["orders"] == nil)
            await scheduler.close()
        }
    }

    @Test("rescheduling a pending id replaces it: later, then earlier; it fires once, at the last time")
    func reschedule() async throws {
        try await withBroker { server, port in
            try await Support.createTopic("orders", on: server)
            let manual = try ManualClockScheduler(server: server)
            let scheduler = try await manual.open()
            func schedule(_ value: String, after delay: Int64) async throws -> Bool? {
                try await Support.schedule(
                    [Support.input(value, id: "job", at: .after(delay))],
                    topic: "orders",
                    on: scheduler
                )
                .first?.replaced
            }
            #expect(try await schedule("v1", after: 300) == false)
            #expect(try await schedule("v2", after: 60_000) == true)
            try await manual.advance(by: 1_000, scheduler)
            #expect(try await Support.read("orders", port: port).isEmpty, "the replaced schedule fired")
            #expect(try await schedule("v3", after: 200) == true)
            try await manual.advance(by: 199, scheduler)
            #expect(try await Support.read("orders", port: port).isEmpty)
            try await manual.advance(by: 100_000, scheduler)
            #expect(try await Support.read("orders", port: port).map(\.valueString) == ["v3"])
            #expect(try await scheduler.pendingCounts.get()["orders"] == nil)
            await scheduler.close()
        }
    }

    @Test("two schedules of one id in one request: the second replaces the first")
    func sameIDTwiceInOneRequest() async throws {
        try await withBroker { server, port in
            try await Support.createTopic("orders", on: server)
            let scheduler = try await server.openedScheduler()
            let answers = try await Support.schedule(
                [Support.input("first", id: "x", at: .after(100)), Support.input("second", id: "x", at: .after(150))],
                topic: "orders",
                on: scheduler
            )
            #expect(answers.map(\.replaced) == [false, true])
            let records = try await Support.read("orders", port: port, atLeast: 1)
            try await Task.sleep(for: .milliseconds(300))
            #expect(records.map(\.valueString) == ["second"])
            #expect(try await Support.read("orders", port: port).count == 1)
        }
    }

    @Test("the pending limit refuses new schedules with limitExceeded; a reschedule still works")
    func pendingLimit() async throws {
        try await withBroker({ $0.schedules.maxPendingSchedules = 2 }) { server, _ in
            try await Support.createTopic("orders", on: server)
            let scheduler = try await server.openedScheduler()
            let results = try await scheduler.schedule(
                topic: "orders",
                [
                    Support.input("1", id: "1", at: .after(60_000)), Support.input("2", id: "2", at: .after(60_000)),
                    Support.input("3", id: "3", at: .after(60_000)),
                ],
                acks: .durable
            ).get()
            #expect(try results[0].get().scheduleID == "1")
            #expect(try results[1].get().scheduleID == "2")
            guard case .failure(let error) = results[2] else {
                Issue.record("the third schedule was taken past the limit")
                return
            }
            #expect(error.code == .limitExceeded)
            #expect(error.message.contains("maxPendingSchedules"))
            let replaced = try await Support.schedule(
                [Support.input("1b", id: "1", at: .after(60_000))],
                topic: "orders",
                on: scheduler
            )
            #expect(replaced.first?.replaced == true)
            #expect(try await scheduler.cancel(topic: "orders", ids: ["2"]).get().map { try $0.get() } == [.cancelled])
            try await Support.schedule(
                [Support.input("3", id: "3", at: .after(60_000))],
                topic: "orders",
                on: scheduler
            )
        }
    }

    @Test("bad schedules are refused one by one with a clear error")
    func badInput() async throws {
        try await withBroker { server, _ in
            try await Support.createTopic("orders", on: server)
            let scheduler = try await server.openedScheduler()
            let now = Support.now
            let results = try await scheduler.schedule(
                topic: "orders",
                [
                    Support.input("past", at: .at(now - 2 * 3_600_000)),
                    Support.input("far", at: .at(Int64.max)),
                    Support.input("id", id: String(repeating: "x", count: 1025), at: .after(1000)),
                    Support.input("empty id", id: "", at: .after(1000)),
                    Support.input("partition", at: .after(1000), partition: 7),
                    Support.input("fine", at: .after(60_000)),
                ],
                acks: .durable
            ).get()
            let codes = results.map { result -> ErrorCode in
                if case .failure(let error) = result { return error.code }
                return .none
            }
            #expect(
                codes == [.invalidRequest, .invalidRequest, .invalidRequest, .invalidRequest, .unknownPartition, .none]
            )
            await #expect(throws: BrokerError.self) {
                _ = try await scheduler.schedule(topic: "nope", [Support.input("x", at: .after(1))], acks: .durable)
                    .get()
            }
        }
    }

    @Test("a delay of years is kept across a restart and listed")
    func years() async throws {
        let directory = try ScratchDirectory()
        let threeYears: Int64 = 3 * 365 * 86_400_000
        try await withBroker(dataDirectory: directory.path) { server, _ in
            try await Support.createTopic("reminders", on: server)
            let scheduler = try await server.openedScheduler()
            try await Support.schedule(
                [Support.input("later", id: "r1", at: .after(threeYears))],
                topic: "reminders",
                on: scheduler
            )
        }
        try await withBroker(dataDirectory: directory.path) { server, _ in
            let scheduler = try #require(server.scheduler)
            let listing = try await scheduler.list(
                topic: "reminders",
                dueBefore: nil,
                idPrefix: nil,
                cursor: nil,
                limit: 10
            ).get()
            #expect(listing.pending == 1)
            #expect(listing.entries.map(\.scheduleID) == ["r1"])
            #expect(listing.entries.first.map { $0.due > Support.now + threeYears - 60_000 } == true)
            #expect(
                try await scheduler.cancel(topic: "reminders", ids: ["r1"]).get().map { try $0.get() } == [.cancelled]
            )
        }
    }
}

extension SchedulerTests {
    @Test("schedules of a deleted topic never fire into a new topic of the same name")
    func deletedAndRecreatedTopic() async throws {
        try await withBroker { server, port in
            try await Support.createTopic("orders", on: server)
            let manual = try ManualClockScheduler(server: server)
            let scheduler = try await manual.open()
            try await Support.schedule(
                [
                    Support.input("old", id: "old-1", at: .after(1_000)),
                    Support.input("old", id: "old-2", at: .after(1_000)),
                ],
                topic: "orders",
                on: scheduler
            )
            let registry = try #require(server.topicRegistry)
            try await registry.delete("orders")
            // Recreated at once: the new topic differs by its random incarnation, not by time.
            try await Support.createTopic("orders", on: server)
            let listed = try await scheduler.list(
                topic: "orders",
                dueBefore: nil,
                idPrefix: nil,
                cursor: nil,
                limit: 10
            ).get()
            #expect(listed.entries.isEmpty)
            #expect(
                try await scheduler.cancel(topic: "orders", ids: ["old-1"]).get().map { try $0.get() } == [.unknown]
            )
            try await Support.schedule(
                [Support.input("new", id: "new", at: .after(1_200))],
                topic: "orders",
                on: scheduler
            )
            try await manual.advance(by: 2_000, scheduler)
            #expect(try await scheduler.currentStatistics.get().dropped == 2)
            #expect(try await Support.read("orders", port: port).map(\.valueString) == ["new"])
            await scheduler.close()
        }
    }
}

extension SchedulerTests {
    @Test("large messages (64 of 4 MiB in one request) are scheduled: the schedule log splits batches by size")
    func largeMessages() async throws {
        try await withBroker({ $0.limits.maxBatchBytes = 8 << 20 }) { server, _ in
            try await Support.createTopic("files", on: server)
            let scheduler = try await server.openedScheduler()
            let value = String(repeating: "x", count: 4 << 20)
            let inputs = (0..<64).map { Support.input(value, id: "f\($0)", at: .after(3_600_000)) }
            let answers = try await Support.schedule(inputs, topic: "files", on: scheduler)
            #expect(answers.count == 64)
            let listing = try await scheduler.list(
                topic: "files",
                dueBefore: nil,
                idPrefix: nil,
                cursor: nil,
                limit: 100
            ).get()
            #expect(listing.pending == 64)
            #expect(listing.entries.allSatisfy { $0.valueBytes == 4 << 20 })
        }
    }
}
