import Metrics

/// A running group's counters (label `group`): redeliveries and dead letters since the broker
/// started, as swift-metrics counters for `/metrics` and as plain counts for the status API.
/// Created with the group's ``GroupRuntime`` and destroyed when the group is deleted, so that a
/// deleted group's series leave `/metrics`. Loop-confined, like the runtime.
struct GroupMetrics {
    private let redeliveryCounter: Counter
    private let deadLetterCounter: Counter
    /// Messages delivered again after a failed delivery.
    private(set) var redeliveries: Int64 = 0
    /// Dead letters written.
    private(set) var deadLetters: Int64 = 0

    init(group: String) {
        let dimensions = [("group", group)]
        redeliveryCounter = Counter(label: BrokerMetrics.groupRedeliveries, dimensions: dimensions)
        deadLetterCounter = Counter(label: BrokerMetrics.groupDeadLetters, dimensions: dimensions)
    }

    /// Counts `count` redeliveries (deliveries whose delivery count is above 1).
    mutating func recordRedeliveries(_ count: Int) {
        guard count > 0 else { return }
        redeliveries += Int64(count)
        redeliveryCounter.increment(by: Int64(count))
    }

    /// Counts one dead letter written.
    mutating func recordDeadLetter() {
        deadLetters += 1
        deadLetterCounter.increment()
    }

    /// Removes the group's series.
    func destroy() {
        redeliveryCounter.destroy()
        deadLetterCounter.destroy()
    }
}
