import Foundation
import Testing

/// `brokerctl status` (text and `--json`) shows the groups', schedules' and Kafka listener's
/// figures, from the `brokerStatus` v2 response of a real `brokerd`.
@Suite("brokerctl status: operations figures", .serialized)
struct BrokerctlStatusOperationsTests {
    @Test("lag, in flight, redeliveries, dead letters, pending schedules and Kafka connections at a glance")
    func statusShowsOperations() async throws {
        let scenario = try await OperationsScenario(scheduleDelay: "1h")
        let text = try await runTool("brokerctl", ["--broker", scenario.broker.address, "status"])
        #expect(text.status == 0, "\(text.standardError)")
        for line in [
            "groups: 1 (0 Kafka)", "group lag: 6", "in flight: 5", "redeliveries: 1", "dead letters: 1 (held: 1)",
            "pending schedules: 3", "fired schedules: 0 (lateness: mean 0 ms, max 0 ms)", "kafka connections: 1",
        ] {
            #expect(text.lines.contains(line), "no '\(line)' in:\n\(text.standardOutput)")
        }
        let json = try await runTool("brokerctl", ["--broker", scenario.broker.address, "status", "--json"])
        #expect(json.status == 0, "\(json.standardError)")
        let object = try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any] ?? [:]
        let expected: [String: Int] = [
            "groups": 1, "kafka_groups": 0, "group_lag": 6, "in_flight": 5, "redeliveries": 1, "dead_letters": 1,
            "dead_letters_held": 1, "pending_schedules": 3, "kafka_connections": 1, "topics": 3, "schedules_fired": 0,
            "schedule_lateness_mean_ms": 0, "schedule_lateness_max_ms": 0,
        ]
        for (key, value) in expected {
            #expect(
                object[key] as? Int == value,
                "\(key): \(String(describing: object[key])) in \(json.standardOutput)"
            )
        }
        // Rescheduled to fire now: three fired, with a lateness (how much depends on the machine:
        // only that the mean is not above the maximum).
        _ = try await scenario.fireSchedulesNow()
        let run = try await runTool("brokerctl", ["--broker", scenario.broker.address, "status", "--json"])
        let fired = try JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8)) as? [String: Any] ?? [:]
        #expect(fired["schedules_fired"] as? Int == 3, "\(fired)")
        #expect(fired["pending_schedules"] as? Int == 0, "\(fired)")
        let mean = try #require(fired["schedule_lateness_mean_ms"] as? Int)
        let max = try #require(fired["schedule_lateness_max_ms"] as? Int)
        #expect(0 <= mean && mean <= max, "\(fired)")
        try await scenario.finish()
    }
}
