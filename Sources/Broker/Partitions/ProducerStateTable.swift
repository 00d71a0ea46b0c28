import BrokerProtocol
import DequeModule

/// The idempotent-producer state of one partition, as Kafka keeps it: per producer id, the epoch,
/// the next expected sequence number and the last five batches, so that a retried batch is
/// answered with its first offsets instead of being appended twice.
///
/// Owned by the partition's event loop. Bounded: at most `capacity` producers, the least recently
/// used dropped first, in O(1) amortised time per batch.
struct ProducerStateTable: Sendable {
    /// A batch appended (or answered entirely from message ids) for a producer.
    struct BatchEntry: Hashable, Sendable {
        var firstSequence: Int32
        var lastSequence: Int32
        var baseOffset: Int64
        var lastOffset: Int64
        /// One offset per record when the records did not get `baseOffset...lastOffset` in order
        /// (some were message-id duplicates); empty otherwise.
        var recordOffsets: [Int64] = []

        /// The offset of each record of the batch, `count` of them.
        func offsets(count: Int) -> [Int64] {
            if !recordOffsets.isEmpty { return recordOffsets }
            return (0..<count).map { baseOffset + Int64($0) }
        }
    }

    struct ProducerState: Sendable {
        var epoch: Int16
        var recent: [BatchEntry] = []
        var lastUsed: UInt64
        /// Rebuilt from the log at start-up and not used since: see ``check(_:issued:pending:)``.
        var isRecovered = false
    }

    /// The producer fields of one incoming batch.
    struct BatchHeader: Sendable {
        var producerID: Int64
        var epoch: Int16
        var firstSequence: Int32
        var recordCount: Int32

        var lastSequence: Int32 { ProducerStateTable.sequence(firstSequence, plus: max(recordCount, 1) - 1) }
    }

    /// What earlier batches of the same produce entry will have done to a producer's state once
    /// appended: the later batches of the entry are checked against it.
    struct Pending: Sendable {
        var epoch: Int16
        var lastSequence: Int32
    }

    /// What to do with an incoming batch.
    enum Decision: Equatable, Sendable {
        /// Append it.
        case append
        /// It was appended before: answer with this entry's offsets.
        case duplicate(BatchEntry)
        /// It was appended before with some records dropped as message-id duplicates, and the
        /// entry was rebuilt from the log, which holds only the records kept: answer from that
        /// entry and the message ids (``Partition`` does).
        case duplicateOfPartlyStored(BatchEntry)
    }

    static let batchesRemembered = 5

    let capacity: Int
    private(set) var producers: [Int64: ProducerState] = [:]
    /// Producer ids in the order they were last used, oldest first; an element whose stamp is
    /// older than the producer's `lastUsed` is stale and skipped (lazy deletion).
    private var usage: Deque<(producerID: Int64, stamp: UInt64)> = []
    private var clock: UInt64 = 0

    /// Elements in the usage queue, stale ones included (for tests of its bound).
    var usageCount: Int { usage.count }

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    /// Checks a batch's producer fields before anything of its produce entry is appended.
    ///
    /// - Parameters:
    ///   - issued: which producer ids and epochs the broker handed out (``ProducerIDAllocator``).
    ///   - pending: the state the entry's earlier batches leave behind; updated for this batch.
    /// - Throws: ``BrokerError`` `unknownProducer` (an id or epoch the broker never issued, a
    ///   stale epoch, or a producer this partition has no state for whose sequence does not start
    ///   at 0) or `outOfOrderSequence`.
    func check(_ batch: BatchHeader, issued: IssuedProducers, pending: inout [Int64: Pending]) throws -> Decision {
        let id = batch.producerID
        guard id >= 0 else { return .append }
        guard id < issued.idBound else {
            throw BrokerError(.unknownProducer, "producer id \(id) was not issued by this broker (call initProducer)")
        }
        guard batch.epoch == issued.epoch else {
            throw BrokerError(
                .unknownProducer,
                "producer \(id) epoch \(batch.epoch) was not issued by this broker (initProducer issues \(issued.epoch))"
            )
        }
        guard batch.firstSequence >= 0 else {
            throw BrokerError(.outOfOrderSequence, "producer \(id) sent the negative sequence \(batch.firstSequence)")
        }
        if let earlier = pending[id] {
            // A later batch of the same entry: it must follow the earlier one exactly.
            let expected = Self.sequence(earlier.lastSequence, plus: 1)
            guard batch.epoch == earlier.epoch, batch.firstSequence == expected else {
                throw BrokerError(
                    .outOfOrderSequence,
                    "producer \(id) sent sequence \(batch.firstSequence) after \(earlier.lastSequence) in one entry"
                )
            }
            pending[id] = Pending(epoch: batch.epoch, lastSequence: batch.lastSequence)
            return .append
        }
        guard let state = producers[id] else {
            guard batch.firstSequence == 0 else {
                throw BrokerError(
                    .unknownProducer,
                    "producer \(id) has no state on this partition (new, or forgotten), so sequence "
                        + "\(batch.firstSequence) cannot be checked; start again with initProducer"
                )
            }
            pending[id] = Pending(epoch: batch.epoch, lastSequence: batch.lastSequence)
            return .append
        }
        if batch.epoch < state.epoch {
            throw BrokerError(.unknownProducer, "producer \(id) epoch \(batch.epoch) is older than \(state.epoch)")
        }
        if batch.epoch > state.epoch {
            guard batch.firstSequence == 0 else {
                throw BrokerError(
                    .outOfOrderSequence,
                    "producer \(id) epoch \(batch.epoch) must start at sequence 0, not \(batch.firstSequence)"
                )
            }
            pending[id] = Pending(epoch: batch.epoch, lastSequence: batch.lastSequence)
            return .append
        }
        if let entry = state.recent.first(where: { $0.firstSequence == batch.firstSequence }) {
            guard entry.lastSequence == batch.lastSequence else {
                throw BrokerError(
                    .outOfOrderSequence,
                    "producer \(id) sent sequences \(batch.firstSequence)...\(batch.lastSequence); "
                        + "a batch with sequences \(entry.firstSequence)...\(entry.lastSequence) was appended"
                )
            }
            return .duplicate(entry)
        }
        // A batch stored re-encoded without its message-id duplicates keeps the original's last
        // sequence (see `Partition.reencode`); rebuilt from the log, its entry covers only the
        // records kept, so the original's retry ends on the entry's last sequence and starts
        // earlier by the number of records dropped.
        if let entry = state.recent.last(where: { $0.lastSequence == batch.lastSequence && $0.recordOffsets.isEmpty }) {
            let stored = entry.lastOffset - entry.baseOffset + 1
            let dropped = Int64(batch.recordCount) - stored
            if dropped > 0, Self.distance(from: batch.firstSequence, to: entry.firstSequence) == dropped {
                return .duplicateOfPartlyStored(entry)
            }
        }
        let expected = (state.recent.last?.lastSequence).map { Self.sequence($0, plus: 1) } ?? 0
        // A producer rebuilt from the log may have had batches whose records were all message-id
        // duplicates: they left nothing in the log, so its first batch after a restart may start
        // past the sequence the log shows (never before it).
        let isForwardAfterRestart =
            state.isRecovered && Self.distance(from: expected, to: batch.firstSequence) < 1 << 30
        guard batch.firstSequence == expected || isForwardAfterRestart else {
            throw BrokerError(
                .outOfOrderSequence,
                "producer \(id) sent sequence \(batch.firstSequence), expected \(expected)"
            )
        }
        pending[id] = Pending(epoch: batch.epoch, lastSequence: batch.lastSequence)
        return .append
    }

    /// Kafka's sequence arithmetic, as the client numbers records: sequences wrap from
    /// `Int32.max` to 0 (not to `Int32.min`).
    static func sequence(_ sequence: Int32, plus count: Int32) -> Int32 {
        Int32(truncatingIfNeeded: (Int64(sequence) + Int64(count)) % sequenceModulus)
    }

    /// The sequence `count` records before `sequence`, wrapping below 0 to `Int32.max`.
    static func sequence(_ sequence: Int32, minus count: Int32) -> Int32 {
        Int32(wrappedSequence(Int64(sequence) - Int64(count)))
    }

    /// How far `to` is ahead of `from` in the wrapping sequence space (0 ..< 2^31).
    static func distance(from: Int32, to: Int32) -> Int64 {
        wrappedSequence(Int64(to) - Int64(from))
    }

    /// The size of the sequence space: sequences run from 0 to `Int32.max`.
    private static let sequenceModulus = Int64(Int32.max) + 1

    /// `value` modulo the sequence space, never negative.
    private static func wrappedSequence(_ value: Int64) -> Int64 {
        (value % sequenceModulus + sequenceModulus) % sequenceModulus
    }

    /// Records an appended (or entirely deduplicated) batch.
    /// - Complexity: O(1) amortised.
    mutating func record(producerID: Int64, epoch: Int16, entry: BatchEntry, isRecovered: Bool = false) {
        guard producerID >= 0 else { return }
        clock &+= 1
        var state = producers[producerID] ?? ProducerState(epoch: epoch, lastUsed: clock)
        if epoch > state.epoch { state = ProducerState(epoch: epoch, lastUsed: clock) }
        state.recent.append(entry)
        if state.recent.count > Self.batchesRemembered { state.recent.removeFirst() }
        state.lastUsed = clock
        state.isRecovered = isRecovered
        producers[producerID] = state
        usage.append((producerID, clock))
        while producers.count > capacity, let oldest = usage.popFirst() {
            if producers[oldest.producerID]?.lastUsed == oldest.stamp { producers[oldest.producerID] = nil }
        }
        // Stale usage elements pile up for busy producers: drop them once they outnumber the live
        // ones (each pass is paid for by as many appends).
        if usage.count > 2 * producers.count + 16 {
            usage = Deque(usage.filter { producers[$0.producerID]?.lastUsed == $0.stamp })
        }
    }
}

/// Which idempotent producers the broker has handed out: ids below `idBound`, each with `epoch`.
struct IssuedProducers: Sendable, Hashable {
    var idBound: Int64
    var epoch: Int16
}
