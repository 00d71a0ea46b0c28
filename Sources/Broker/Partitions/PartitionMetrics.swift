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
    /// The values last recorded, so that an append does not walk every segment for the size.
    private var sizeInBytes: Int64 = 0
    private var segmentCount = -1

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

    /// Counts an append of `records` records in `bytes` bytes to `log`.
    mutating func recordAppend(records: Int64, bytes: Int, to log: PartitionLog) {
        appendedRecords.increment(by: records)
        appendedBytes.increment(by: Int64(bytes))
        guard log.segmentCount == segmentCount else { return update(from: log) }
        // No roll: the active segment grew by exactly the appended bytes.
        sizeInBytes += Int64(bytes)
        sizeBytes.record(sizeInBytes)
        logEndOffset.record(log.logEndOffset)
    }

    /// Counts `bytes` bytes returned by a fetch.
    func recordFetch(bytes: Int) {
        fetchedBytes.increment(by: Int64(bytes))
    }

    /// Updates the gauges from `log` (at open, after a roll or retention). Walks the segments.
    mutating func update(from log: PartitionLog) {
        sizeInBytes = log.sizeInBytes
        segmentCount = log.segmentCount
        logEndOffset.record(log.logEndOffset)
        logStartOffset.record(log.logStartOffset)
        sizeBytes.record(sizeInBytes)
        segments.record(segmentCount)
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
