import Foundation

@testable import Broker

/// A deliberately simple model of one group on one partition for the property test of
/// ``PartitionDispatch``: sets and dictionaries scanned in full, no lanes, queues or heaps. It
/// knows the log (records and gaps), which offsets are finished, who holds what and until when,
/// and, for a message waiting after a failure, the earliest time it may be delivered again and the
/// time by which it must be dispatchable (the jitter is not modelled, only its bounds).
struct DispatchModel {
    /// What the model knows about a message read from the log and not finished.
    struct Tracked {
        var keyHash: UInt64?
        var holder: String?
        var deadline: Int64 = 0
        /// Not dispatchable before this time (monotonic ms).
        var earliest: Int64 = .min
        /// Dispatchable from this time at the latest.
        var latest: Int64 = .min
        var isDeadLettering = false
    }

    let settings: GroupSettings
    /// The records of the log by offset (absent: a gap), and where the log ends and starts.
    var log: [Int64: UInt64?] = [:]
    var logEnd: Int64 = 0
    var logStart: Int64 = 0
    /// Every offset below it is finished.
    var committed: Int64 = 0
    /// Finished offsets at or above `committed`.
    var finished: Set<Int64> = []
    /// Delivery records of unfinished messages.
    var records: [Int64: DeliveryRecord] = [:]
    /// Unfinished messages read from the log.
    var tracked: [Int64: Tracked] = [:]
    /// The next offset to read.
    var readOffset: Int64 = 0
    /// Dead letters expected since the last check.
    var expectedDeadLetters: [Int64] = []

    init(settings: GroupSettings) {
        self.settings = settings
    }

    var window: Int { settings.maxUnfinishedPerPartition }

    func isFinished(_ offset: Int64) -> Bool { offset < committed || finished.contains(offset) }

    mutating func finish(_ offset: Int64) {
        tracked[offset] = nil
        records[offset] = nil
        guard offset >= committed else { return }
        finished.insert(offset)
        while finished.remove(committed) != nil { committed += 1 }
    }

    /// The lane a message must respect, or nil.
    func lane(_ keyHash: UInt64?) -> UInt64? {
        switch settings.ordering {
        case .key: return keyHash
        case .partition: return 0
        case .none: return nil
        }
    }

    /// What the dispatcher may hand out at `now` (`possible`) and what it must be able to
    /// (`certain`: backoff certainly over).
    func candidates(now: Int64) -> (certain: Set<Int64>, possible: Set<Int64>) {
        var certain: Set<Int64> = []
        var possible: Set<Int64> = []
        var lanesSeen: Set<UInt64> = []
        for offset in tracked.keys.sorted() {
            let message = tracked[offset]!
            if let lane = lane(message.keyHash) {
                guard lanesSeen.insert(lane).inserted else { continue }
            }
            guard message.holder == nil, !message.isDeadLettering else { continue }
            if now >= message.latest {
                certain.insert(offset)
                possible.insert(offset)
            } else if now >= message.earliest {
                possible.insert(offset)
            }
        }
        return (certain, possible)
    }

    /// Reads up to `end` as `add(records:readUpTo:)` does, returning the records to feed.
    mutating func read(upTo end: Int64) -> [(offset: Int64, keyHash: UInt64?)] {
        var feed: [(offset: Int64, keyHash: UInt64?)] = []
        for offset in readOffset..<max(readOffset, end) where offset >= logStart {
            if let keyHash = log[offset] { feed.append((offset, keyHash)) }
        }
        var offset = readOffset
        while offset < end {
            guard offset >= logStart, let keyHash = log[offset] else {
                finish(offset)
                offset += 1
                readOffset = offset
                continue
            }
            guard tracked.count < window else { break }
            readOffset = offset + 1
            if !isFinished(offset) {
                var message = Tracked(keyHash: keyHash)
                if let record = records[offset], record.failureCount >= settings.maxDeliveries {
                    message.isDeadLettering = true
                    expectedDeadLetters.append(offset)
                }
                tracked[offset] = message
            }
            offset += 1
        }
        return feed
    }

    /// `min(initial × multiplier^(n-1), max)`, the backoff before jitter.
    func baseBackoff(afterFailure failures: Int) -> Int64 {
        let cap = max(0, settings.backoffMaxMilliseconds)
        let value =
            Double(max(0, settings.backoffInitialMilliseconds))
            * pow(Double(settings.backoffMultiplierPercent) / 100, Double(failures - 1))
        return value >= Double(cap) ? cap : Int64(value.rounded(.down))
    }

    /// A failed delivery of the held message at `offset`.
    mutating func fail(_ offset: Int64, reason: String?, now: Int64, immediately: Bool, delay: Int64?) {
        var record = records[offset]!
        record.failureCount += 1
        record.lastFailureReason = reason
        records[offset] = record
        tracked[offset]!.holder = nil
        if record.failureCount >= settings.maxDeliveries {
            tracked[offset]!.isDeadLettering = true
            expectedDeadLetters.append(offset)
        } else if immediately {
            tracked[offset]!.earliest = .min
            tracked[offset]!.latest = .min
        } else if let delay {
            tracked[offset]!.earliest = now + max(0, delay)
            tracked[offset]!.latest = now + max(0, delay)
        } else {
            let base = baseBackoff(afterFailure: record.failureCount)
            tracked[offset]!.earliest = now + base - base / 2
            tracked[offset]!.latest = now + base
        }
    }

    /// The offsets `member` holds, increasing.
    func held(by member: String) -> [Int64] {
        tracked.filter { $0.value.holder == member }.keys.sorted()
    }

    /// The expected outcome of acknowledging `range` by `member`, acknowledging what it holds.
    mutating func ack(_ range: ClosedRange<Int64>, by member: String) -> PartitionDispatch<String>.Outcome {
        var isComplete = range.lowerBound >= 0
        let low = max(range.lowerBound, committed)
        if low <= range.upperBound {
            let heldInRange = tracked.filter { $0.value.holder == member && (low...range.upperBound).contains($0.key) }
            let finishedInRange = finished.filter { (low...range.upperBound).contains($0) }.count
            let (span, overflow) = range.upperBound.subtractingReportingOverflow(low)
            if overflow || span == .max || span + 1 != Int64(heldInRange.count + finishedInRange) {
                isComplete = false
            }
            for offset in heldInRange.keys { finish(offset) }
        }
        return isComplete ? .accepted : .notDelivered
    }

    /// The durable state the model expects.
    var persistedState: PersistedPartitionState {
        var ranges: [ClosedRange<Int64>] = []
        for offset in finished.sorted() {
            if let last = ranges.last, last.upperBound + 1 == offset {
                ranges[ranges.count - 1] = last.lowerBound...offset
            } else {
                ranges.append(offset...offset)
            }
        }
        return PersistedPartitionState(committedOffset: committed, finished: ranges, deliveries: records)
    }

    /// The members' in-flight counts.
    var inFlightByMember: [String: Int] {
        var counts: [String: Int] = [:]
        for message in tracked.values {
            if let holder = message.holder { counts[holder, default: 0] += 1 }
        }
        return counts
    }

    /// An administrator's reset to `offset`: everything is forgotten.
    mutating func reset(to offset: Int64) {
        committed = offset
        finished = []
        records = [:]
        tracked = [:]
        readOffset = offset
        expectedDeadLetters = []
    }

    /// A restart: everything not durable is gone; the log is read again from the committed offset.
    mutating func restart() {
        tracked = [:]
        readOffset = committed
        expectedDeadLetters = []
    }
}
