import BrokerProtocol
import Testing

@testable import Broker

/// The scheduler's directories on a fresh data directory: `__schedules` and `__schedules/log` were
/// made with `mkdir` and never synced into their parents, so the log's own directory creation
/// (which syncs each directory it creates) found them there and synced nothing above `log/0`. A
/// power cut after the first schedule was answered durable could then take the whole
/// `__schedules` directory, and every durable schedule with it. Found by
/// ``SchedulePowerCutTests`` (seed 2).
@Suite("The scheduler's directories survive a power cut", .serialized)
struct ScheduleDirectoryPowerCutTests {
    @Test("a durable schedule on a fresh data directory survives a power cut", arguments: Array(UInt64(1)...16))
    func firstScheduleSurvives(seed: UInt64) async throws {
        try await withBroker { server, _ in
            try await ScheduleTestSupport.createTopic("fresh", partitions: 1, on: server)
            let harness = SchedulePowerCutTests.Harness(
                registry: try #require(server.topicRegistry),
                settings: ScheduleSettings()
            )
            defer { harness.disk.tearDown() }
            var scheduler = try await harness.open()
            try await ScheduleTestSupport.schedule(
                [ScheduleTestSupport.input("later", id: "kept", at: .after(3_600_000))],
                topic: "fresh",
                on: scheduler
            )
            try await harness.powerCut(scheduler, seed: seed)
            scheduler = try await harness.open()
            let answer = try await scheduler.cancel(topic: "fresh", ids: ["kept"]).get().first?.get()
            #expect(answer == .cancelled, "seed \(seed): the durable schedule is gone after the power cut")
            await scheduler.close()
        }
    }
}
