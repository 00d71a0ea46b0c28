import LogStore
import Metrics

/// A partition's metrics (labels `topic`, `partition`), created once when the partition opens and
/// destroyed when it closes, so that a deleted topic's series leave `/metrics`.
/// Loop-confined, like the partition's log.
struct PartitionMetrics {
    private let appendedRecords: Counter
    private let appendedBytes: Counter
    private let fetchedBytes: Counter
    private let logEndOffset: Gauge
    private let logStartOffset: Gauge
    private let sizeBytes: Gauge
    private let segments: Gauge

    init(topic: String, partition: Int32) {
        let dimensions = [("topic", topic), ("partition", String(partition))]
        appendedRecords = Counter(label: BrokerMetrics.appendedRecords, dimensions: dimensions)
        appendedBytes = Counter(label: BrokerMetrics.appendedBytes, dimensions: dimensions)
        fetchedBytes = Counter(label: BrokerMetrics.fetchedBytes, dimensions: dimensions)
        logEndOffset = Gauge(label: BrokerMetrics.logEndOffset, dimensions: dimensions)
        logStartOffset = Gauge(label: BrokerMetrics.logStartOffset, dimensions: dimensions)
        sizeBytes = Gauge(label: BrokerMetrics.partitionSize, dimensions: dimensions)
        segments = Gauge(label: BrokerMetrics.partitionSegments, dimensions: dimensions)
    }

    /// Counts an append of `records` records in `bytes` bytes.
    func recordAppend(records: Int64, bytes: Int) {
        appendedRecords.increment(by: records)
        appendedBytes.increment(by: Int64(bytes))
    }

    /// Counts `bytes` bytes returned by a fetch.
    func recordFetch(bytes: Int) {
        fetchedBytes.increment(by: Int64(bytes))
    }

    /// Updates the gauges from `log` (after an append, a roll or retention).
    func update(from log: PartitionLog) {
        logEndOffset.record(log.logEndOffset)
        logStartOffset.record(log.logStartOffset)
        sizeBytes.record(log.sizeInBytes)
        segments.record(log.segmentCount)
    }

    /// Removes every series of this partition.
    func destroy() {
        appendedRecords.destroy()
        appendedBytes.destroy()
        fetchedBytes.destroy()
        logEndOffset.destroy()
        logStartOffset.destroy()
        sizeBytes.destroy()
        segments.destroy()
    }
}
