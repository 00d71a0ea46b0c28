import BrokerProtocol
import Testing

@testable import Broker

/// The accepted due times at their edges, on a manual clock (docs/SCHEDULES.md, "Limits"): exactly
/// `pastAllowanceMilliseconds` (1 hour) before the broker's clock is taken and fires at once, 1 ms
/// more is refused; exactly `maxDelayMilliseconds` (100 years) ahead is taken, 1 ms more is refused.
@Suite struct ScheduleTimeEdgeTests {
    typealias Support = ScheduleTestSupport

    @Test("1 hour in the past and 100 years ahead are taken; 1 ms beyond either is refused naming the bound")
    func edges() async throws {
        try await withBroker { server, port in
            try await Support.createTopic("orders", on: server)
            let manual = try ManualClockScheduler(server: server)
            let scheduler = try await manual.open()
            let now = manual.clock.withLockedValue { $0 }
            let settings = ScheduleSettings()
            let results = try await scheduler.schedule(
                topic: "orders",
                [
                    Support.input("oldest", at: .at(now - settings.pastAllowanceMilliseconds)),
                    Support.input("too old", at: .at(now - settings.pastAllowanceMilliseconds - 1)),
                    Support.input("latest", at: .at(now + settings.maxDelayMilliseconds)),
                    Support.input("too late", at: .at(now + settings.maxDelayMilliseconds + 1)),
                    Support.input("longest delay", at: .after(settings.maxDelayMilliseconds)),
                    Support.input("too long a delay", at: .after(settings.maxDelayMilliseconds + 1)),
                ],
                acks: .durable
            ).get()
            let refusals = results.map { result -> String? in
                guard case .failure(let error) = result else { return nil }
                return error.code == .invalidRequest ? error.message : "\(error.code): \(error.message)"
            }
            #expect(refusals[0] == nil)
            #expect(refusals[1]?.contains("more than 3600000 ms before the broker's clock") == true, "\(refusals)")
            #expect(refusals[2] == nil)
            #expect(refusals[3]?.contains("more than \(settings.maxDelayMilliseconds) ms after") == true, "\(refusals)")
            #expect(refusals[4] == nil)
            #expect(refusals[5]?.contains("more than \(settings.maxDelayMilliseconds) ms after") == true, "\(refusals)")
            // The one an hour late fires at once; the others wait a century.
            try await manual.advance(by: 0, scheduler)
            #expect(try await Support.read("orders", port: port).map(\.valueString) == ["oldest"])
            #expect(try await scheduler.pendingCounts.get()["orders"] == 2)
            await scheduler.close()
        }
    }
}
