import Synchronization

/// What the members of `broker-bench group` acknowledged: one bit per planned offset, the
/// delivery-to-ack latencies, the first delivery and the last acknowledgement. Shared by every
/// member's tasks (one lock, held for a few instructions per message).
final class GroupBenchmarkTracker: Sendable {
    struct Outcome {
        /// Distinct planned offsets acknowledged.
        var acknowledged: Int
        /// Acknowledgements of an offset already acknowledged (a redelivery).
        var duplicates: Int
        var ackErrors: Int
        /// From the first delivery to the last acknowledgement.
        var seconds: Double
        var latencies: [Double]
    }

    private struct State {
        var bits: [Int32: (start: Int64, words: [UInt64])] = [:]
        var acknowledged = 0
        var duplicates = 0
        var outside = 0
        var ackErrors = 0
        var firstDelivery: ContinuousClock.Instant?
        var lastAck: ContinuousClock.Instant?
        var latencies: [Double] = []
        var waiter: CheckedContinuation<Void, Never>?
        var isComplete = false
    }

    private let total: Int
    private let state: Mutex<State>

    init(plan: GroupBenchmarkPlan) {
        total = plan.total
        var state = State()
        for (partition, range) in plan.ranges {
            state.bits[partition] = (range.lowerBound, [UInt64](repeating: 0, count: (range.count + 63) / 64))
        }
        state.latencies.reserveCapacity(plan.total)
        state.isComplete = plan.total == 0
        self.state = Mutex(state)
    }

    /// Whether a delivery was seen (checked before taking the lock for the first one).
    private let hasDelivery = Atomic<Bool>(false)

    func delivered(at instant: ContinuousClock.Instant) {
        guard !hasDelivery.load(ordering: .relaxed) else { return }
        state.withLock { state in
            if state.firstDelivery == nil { state.firstDelivery = instant }
        }
        hasDelivery.store(true, ordering: .relaxed)
    }

    /// Records an acknowledgement made at `now` of a message delivered at `deliveredAt`; returns
    /// how many distinct offsets are acknowledged.
    func acknowledged(
        partition: Int32,
        offset: Int64,
        deliveredAt: ContinuousClock.Instant,
        now: ContinuousClock.Instant
    ) -> Int {
        let latency = (now - deliveredAt).milliseconds
        let (count, waiter) = state.withLock { state -> (Int, CheckedContinuation<Void, Never>?) in
            state.latencies.append(latency)
            state.lastAck = now
            guard let (start, words) = state.bits[partition], offset >= start,
                offset - start < Int64(words.count) * 64
            else {
                state.outside += 1
                return (state.acknowledged, nil)
            }
            let index = Int(offset - start)
            let mask = UInt64(1) << UInt64(index % 64)
            if words[index / 64] & mask != 0 {
                state.duplicates += 1
                return (state.acknowledged, nil)
            }
            state.bits[partition]!.words[index / 64] |= mask
            state.acknowledged += 1
            guard state.acknowledged == total else { return (state.acknowledged, nil) }
            state.isComplete = true
            defer { state.waiter = nil }
            return (state.acknowledged, state.waiter)
        }
        waiter?.resume()
        return count
    }

    func ackFailed() {
        state.withLock { $0.ackErrors += 1 }
    }

    /// Returns once every planned offset is acknowledged, or after `limit`.
    func waitUntilComplete(orAfter limit: Duration?) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let now = self.state.withLock { state -> Bool in
                        if state.isComplete { return true }
                        state.waiter = continuation
                        return false
                    }
                    if now { continuation.resume() }
                }
            }
            if let limit {
                group.addTask {
                    try? await Task.sleep(for: limit)
                    let waiter = self.state.withLock { state -> CheckedContinuation<Void, Never>? in
                        defer { state.waiter = nil }
                        state.isComplete = true
                        return state.waiter
                    }
                    waiter?.resume()
                }
            }
            await group.next()
            group.cancelAll()
        }
    }

    func outcome() -> Outcome {
        state.withLock { state in
            var seconds = 0.0
            if let first = state.firstDelivery, let last = state.lastAck { seconds = (last - first).seconds }
            return Outcome(
                acknowledged: state.acknowledged,
                duplicates: state.duplicates + state.outside,
                ackErrors: state.ackErrors,
                seconds: seconds,
                latencies: state.latencies
            )
        }
    }
}
