import Foundation
import Testing

/// `/metrics` of a real `brokerd` after group traffic, schedules and a Kafka connection: the
/// operators' series (lag, in flight, redeliveries, dead letters, pending schedules, lateness,
/// Kafka connections) with the values that traffic must give.
@Suite("brokerd /metrics: groups, schedules, Kafka", .serialized)
struct BrokerdOperationsMetricsTests {
    @Test(
        "lag 6, in flight 5, 1 redelivery, 1 dead letter, 3 pending then 0 with 3 latenesses, 1 Kafka connection, 1 Kafka group"
    )
    func operationsSeries() async throws {
        let scenario = try await OperationsScenario(scheduleDelay: "1h")
        let group = #"group="billing""#
        let scrape = try await scenario.scrape()
        #expect(scrape.value(#"sluice_group_lag_messages{group="billing",topic="orders",partition="0"}"#) == 6)
        #expect(scrape.value("sluice_group_in_flight_messages{\(group)}") == 5)
        #expect(scrape.value("sluice_group_redeliveries_total{\(group)}") == 1)
        #expect(scrape.value("sluice_group_dead_letters_total{\(group)}") == 1)
        #expect(scrape.value("sluice_kafka_connections") == 1)
        #expect(scrape.value("sluice_kafka_groups") == 0)
        for name in [
            "sluice_group_lag_messages", "sluice_group_in_flight_messages", "sluice_group_redeliveries_total",
            "sluice_group_dead_letters_total", "sluice_pending_schedules", "sluice_schedule_memtable_entries",
            "sluice_kafka_connections", "sluice_kafka_groups",
        ] {
            #expect(!(scrape.help[name] ?? "").isEmpty, "no # HELP for \(name)")
        }
        // The schedules are due in an hour: pending, none fired.
        #expect(scrape.value("sluice_pending_schedules") == 3)
        // Each pending schedule holds a due entry and an id entry in the scheduler's memtable.
        #expect(scrape.value("sluice_schedule_memtable_entries") == 6)
        #expect((scrape.value("sluice_schedule_lateness_seconds_count") ?? 0) == 0)
        // Rescheduled (same ids) to fire now: they fire, once each, and are no longer pending.
        let fired = try await scenario.fireSchedulesNow()
        #expect(fired.value("sluice_pending_schedules") == 0)
        #expect(fired.value("sluice_schedule_lateness_seconds_count") == 3)
        // Fired: the due entries are gone (no run holds them, so no tombstone either); the id
        // entries say "superseded" for the three replaced and "fired" for the three new ones.
        #expect(fired.value("sluice_schedule_memtable_entries") == 6)
        #expect(fired.types["sluice_schedule_lateness_seconds"] == "histogram")
        // The Kafka connection closes: the gauge follows.
        scenario.kafkaConnection = nil
        let closed = try await scenario.scrape { $0.value("sluice_kafka_connections") == 0 }
        #expect(closed.value("sluice_kafka_connections") == 0)
        // A Kafka classic group (kafka-python) reads the 10 messages and commits: one Kafka group, lag 0.
        let kafka = try await KafkaClients.kafkaAddress(of: scenario.broker)
        let read = try await KafkaClients.run(
            ["kp-group", kafka, "orders", "kafka-billing", "10"],
            as: [KafkaClients.Message].self
        )
        #expect(read.count == 10)
        let committed = try await scenario.scrape()
        #expect(committed.value("sluice_kafka_groups") == 1)
        #expect(committed.value(#"sluice_group_lag_messages{group="kafka-billing",topic="orders",partition="0"}"#) == 0)
        #expect(committed.value(#"sluice_group_lag_messages{group="billing",topic="orders",partition="0"}"#) == 6)

        // A deleted group's series go.
        try await scenario.consumer.leave()
        let deleted = try await runTool(
            "brokerctl",
            ["--broker", scenario.broker.address, "groups", "delete", "billing"]
        )
        #expect(deleted.status == 0, "\(deleted.standardError)")
        let after = try await scenario.scrape()
        #expect(after.series(containing: group).isEmpty, "\(after.series(containing: group))")
        try await scenario.finish()
    }
}
