import BrokerProtocol

/// The idempotent-producer state of one partition, as Kafka keeps it: per producer id, the epoch,
/// the next expected sequence number and the last five batches, so that a retried batch is
/// answered with its first offsets instead of being appended twice.
///
/// Owned by the partition's event loop. Bounded: at most `capacity` producers, the least recently
/// seen dropped first.
struct ProducerStateTable: Sendable {
    /// A batch appended for a producer.
    struct BatchEntry: Hashable {
        var firstSequence: Int32
        var lastSequence: Int32
        var baseOffset: Int64
        var lastOffset: Int64
    }

    struct ProducerState {
        var epoch: Int16
        var recent: [BatchEntry] = []
        var lastSeen: UInt64
    }

    /// What to do with an incoming batch.
    enum Decision: Equatable {
        /// Append it.
        case append
        /// It was appended before: answer with these offsets.
        case duplicate(BatchEntry)
    }

    static let batchesRemembered = 5

    let capacity: Int
    private(set) var producers: [Int64: ProducerState] = [:]
    private var clock: UInt64 = 0

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Checks a batch's producer fields before appending.
    /// - Throws: ``BrokerError`` `unknownProducer` (stale epoch) or `outOfOrderSequence`.
    func check(producerID: Int64, epoch: Int16, firstSequence: Int32, recordCount: Int32) throws -> Decision {
        guard producerID >= 0, let state = producers[producerID] else { return .append }
        if epoch < state.epoch {
            throw BrokerError(.unknownProducer, "producer \(producerID) epoch \(epoch) is older than \(state.epoch)")
        }
        if epoch > state.epoch { return .append }
        if let entry = state.recent.first(where: { $0.firstSequence == firstSequence }) {
            return .duplicate(entry)
        }
        let expected = (state.recent.last?.lastSequence).map { Self.sequence($0, plus: 1) } ?? firstSequence
        guard firstSequence == expected else {
            throw BrokerError(
                .outOfOrderSequence,
                "producer \(producerID) sent sequence \(firstSequence), expected \(expected)"
            )
        }
        return .append
    }

    /// Kafka's sequence arithmetic, as the client numbers records: sequences wrap from
    /// `Int32.max` to 0 (not to `Int32.min`).
    static func sequence(_ sequence: Int32, plus count: Int32) -> Int32 {
        Int32(truncatingIfNeeded: (Int64(sequence) + Int64(count)) % (Int64(Int32.max) + 1))
    }

    /// Records an appended batch.
    mutating func record(producerID: Int64, epoch: Int16, entry: BatchEntry) {
        guard producerID >= 0 else { return }
        clock &+= 1
        var state = producers[producerID] ?? ProducerState(epoch: epoch, lastSeen: clock)
        if epoch > state.epoch { state = ProducerState(epoch: epoch, lastSeen: clock) }
        state.recent.append(entry)
        if state.recent.count > Self.batchesRemembered { state.recent.removeFirst() }
        state.lastSeen = clock
        producers[producerID] = state
        if producers.count > capacity, let oldest = producers.min(by: { $0.value.lastSeen < $1.value.lastSeen }) {
            producers[oldest.key] = nil
        }
    }
}
