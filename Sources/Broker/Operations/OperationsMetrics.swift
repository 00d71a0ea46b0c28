import Metrics
import NIOConcurrencyHelpers

/// The gauges set from an ``OperationsSnapshot`` when `/metrics` is scraped: lag per group and
/// partition, in flight per group, pending schedules, the scheduler's memtable, Kafka groups. A series whose group or
/// partition is gone from the snapshot (a deleted group or topic) is destroyed, so it leaves
/// `/metrics`. Nothing here runs per message.
final class OperationsMetrics: Sendable {
    private struct LagKey: Hashable {
        var group: String
        var topic: String
        var partition: Int32
    }

    private struct Gauges {
        var lag: [LagKey: Gauge] = [:]
        var inFlight: [String: Gauge] = [:]
    }

    private let gauges = NIOLockedValueBox(Gauges())
    private let pendingSchedules = Gauge(label: BrokerMetrics.pendingSchedules)
    private let scheduleMemtableEntries = Gauge(label: BrokerMetrics.scheduleMemtableEntries)
    private let kafkaGroups = Gauge(label: BrokerMetrics.kafkaGroups)

    /// Sets every gauge from `snapshot` and removes the series it no longer has.
    func record(_ snapshot: OperationsSnapshot) {
        pendingSchedules.record(snapshot.pendingSchedules)
        scheduleMemtableEntries.record(snapshot.scheduleMemtableEntries)
        kafkaGroups.record(snapshot.kafkaGroupCount)
        gauges.withLockedValue { gauges in
            var lag: [LagKey: Gauge] = [:]
            for row in snapshot.partitions {
                let key = LagKey(group: row.group, topic: row.topic, partition: row.partition)
                let gauge =
                    gauges.lag.removeValue(forKey: key)
                    ?? Gauge(
                        label: BrokerMetrics.groupLag,
                        dimensions: [("group", row.group), ("topic", row.topic), ("partition", String(row.partition))]
                    )
                gauge.record(row.lag)
                lag[key] = gauge
            }
            for gauge in gauges.lag.values { gauge.destroy() }
            gauges.lag = lag
            var inFlight: [String: Gauge] = [:]
            for row in snapshot.groups where !row.isKafka {
                let gauge =
                    gauges.inFlight.removeValue(forKey: row.group)
                    ?? Gauge(label: BrokerMetrics.groupInFlight, dimensions: [("group", row.group)])
                gauge.record(row.inFlight)
                inFlight[row.group] = gauge
            }
            for gauge in gauges.inFlight.values { gauge.destroy() }
            gauges.inFlight = inFlight
        }
    }
}
