import Foundation

/// A position in a partition of the crash suite's group topic.
struct LogPosition: Hashable, CustomStringConvertible {
    var partition: Int32
    var offset: Int64
    var description: String { "\(partition)/\(offset)" }
}

/// What the producers of one topic were told, checked against what its log holds. Every value is
/// `<producer>-<sequence>`, unique; each producer sends one request at a time, so its sequences
/// must appear in increasing order in every partition.
struct ProduceLedger {
    let topic: String
    let partitions: Int32
    /// Value → where its durable acknowledgement put it; not yet read back.
    var unverified: [String: LogPosition] = [:]
    /// Value → where the log holds it, for every record read so far.
    var located: [String: LogPosition] = [:]
    /// Per partition, the offset reading resumes from.
    var frontier: [Int32: Int64] = [:]
    private var lastSequence: [String: Int] = [:]
    var acknowledged = 0

    init(topic: String, partitions: Int32) {
        self.topic = topic
        self.partitions = partitions
    }

    /// Records an acknowledgement (offset answered durable).
    mutating func acknowledge(_ value: String, at position: LogPosition) {
        unverified[value] = position
        acknowledged += 1
    }

    /// Takes in the records read past the frontier of `partition`; findings for duplicates and
    /// order. Then ``checkAcknowledged()``.
    mutating func absorb(_ records: [LoggedRecord], partition: Int32) -> [String] {
        var findings: [String] = []
        for record in records {
            let position = LogPosition(partition: partition, offset: record.offset)
            if let earlier = located[record.value] {
                findings.append("\(topic): \(record.value) is in the log twice, at \(earlier) and \(position)")
            }
            located[record.value] = position
            let parts = record.value.split(separator: "-")
            if parts.count == 2, let sequence = Int(parts[1]) {
                let stream = "\(parts[0])@\(partition)"
                if let last = lastSequence[stream], sequence <= last {
                    findings.append("\(topic): \(record.value) at \(position) after sequence \(last) of its producer")
                }
                lastSequence[stream] = sequence
            } else {
                findings.append("\(topic): a record no producer sent at \(position): \(record.value)")
            }
            frontier[partition] = record.offset + 1
        }
        return findings
    }

    /// Every acknowledged value is where its acknowledgement said (once the whole log was read).
    mutating func checkAcknowledged() -> [String] {
        var findings: [String] = []
        for (value, position) in unverified {
            if let found = located[value] {
                if found != position {
                    findings.append("\(topic): \(value) acknowledged at \(position), found at \(found)")
                }
            } else {
                findings.append("\(topic): \(value) acknowledged at \(position) is not in the log (lost)")
            }
        }
        unverified = [:]
        return findings
    }
}

/// What the Sluice group member saw and was told, and the dead letters read back.
struct GroupLedger {
    /// Highest delivery count seen per message.
    var deliveryCount: [LogPosition: Int32] = [:]
    /// Acks answered without error: never delivered again.
    var acked: Set<LogPosition> = []
    /// Acks sent and never answered (the broker died first): may come back once.
    var ackedUnanswered: Set<LogPosition> = []
    /// Rejects answered: in the dead-letter topic, never delivered again.
    var rejected: Set<LogPosition> = []
    /// Source position → how many dead letters name it.
    var deadLetters: [LogPosition: Int] = [:]
    var deadLetterFrontier: [Int32: Int64] = [:]
    var deliveries = 0
    var redeliveries = 0
    var nacks = 0
    var slowAcks = 0

    /// A delivery: findings if it breaks a promise.
    mutating func deliver(_ position: LogPosition, count: Int32) -> [String] {
        var findings: [String] = []
        if acked.contains(position) { findings.append("group: \(position) delivered again after its ack was answered") }
        if rejected.contains(position) {
            findings.append("group: \(position) delivered again after its reject was answered")
        }
        if deadLetters[position] != nil {
            findings.append("group: \(position) delivered while in the dead-letter topic")
        }
        if let last = deliveryCount[position] {
            if count <= last { findings.append("group: \(position) delivered with count \(count) after \(last)") }
            redeliveries += 1
        }
        ackedUnanswered.remove(position)
        deliveryCount[position] = count
        deliveries += 1
        return findings
    }

    /// Takes in dead letters read from the dead-letter topic.
    mutating func absorbDeadLetters(_ records: [LoggedRecord], partition: Int32) -> [String] {
        var findings: [String] = []
        for record in records {
            deadLetterFrontier[partition] = record.offset + 1
            guard let sourcePartition = record.headers["sluice.dlq.partition"].flatMap({ Int32($0) }),
                let sourceOffset = record.headers["sluice.dlq.offset"].flatMap({ Int64($0) })
            else {
                findings.append("dead letter \(partition)/\(record.offset) without its source headers")
                continue
            }
            let source = LogPosition(partition: sourcePartition, offset: sourceOffset)
            deadLetters[source, default: 0] += 1
            if deadLetters[source]! > 1 {
                findings.append("dead letter for \(source) written \(deadLetters[source]!) times")
            }
            if acked.contains(source) { findings.append("\(source) is dead-lettered but its ack was answered") }
        }
        return findings
    }

    /// After the dead letters were read: every answered reject has its dead letter.
    func checkRejects() -> [String] {
        rejected.filter { deadLetters[$0] == nil }.sorted { $0.description < $1.description }.prefix(10).map {
            "group: reject of \($0) was answered but its dead letter is missing"
        }
    }

    func isFinished(_ position: LogPosition) -> Bool { acked.contains(position) || deadLetters[position] != nil }
}

/// Offsets the Kafka classic group committed.
struct KafkaCommitLedger {
    /// Highest offset whose commit was answered without error, per partition.
    var answered: [Int32: Int64] = [:]
    /// Every offset sent in a commit, per partition (an unanswered one may be what is stored).
    var sent: [Int32: Set<Int64>] = [:]
    var commits = 0
    var joins = 0

    /// An offset read back: never behind an answered commit, never one nobody sent.
    func check(partition: Int32, fetched: Int64) -> [String] {
        var findings: [String] = []
        if let answered = answered[partition], fetched < answered {
            findings.append("kafka: committed offset of partition \(partition) went back: \(fetched) < \(answered)")
        }
        if fetched != -1 && !(sent[partition]?.contains(fetched) ?? false) {
            findings.append("kafka: committed offset \(fetched) of partition \(partition) was never sent")
        }
        return findings
    }
}

/// The schedules: every version sent, what the answers said about them, and the fired messages
/// read back. Message values are `<id>|<version>`.
struct ScheduleLedger {
    enum Fate: Equatable {
        /// Pending or fired: fires exactly once, when due.
        case live
        /// Replaced by the next version (answered `replaced`): never fires.
        case replaced
        /// Cancelled (answered `cancelled`): never fires.
        case cancelled
        /// Fired before a later answer said so (not replaced, or `alreadyDelivered`): fired once.
        case firedBefore
    }

    struct Version {
        var due: Int64
        var fate: Fate
    }

    /// Id → its versions (index = version - 1); only versions whose schedule was answered.
    var versions: [String: [Int: Version]] = [:]
    /// Ids with an operation that was never answered: what it did is unknown, so only the
    /// always-true rules (at most once, never early) are checked for them.
    var uncertain: Set<String> = []
    /// Ids cancelled or given up: no more operations.
    var closed: Set<String> = []
    /// `<id>|<version>` → times fired.
    var fired: [String: Int] = [:]
    var frontier: [Int32: Int64] = [:]
    var created = 0
    var rescheduled = 0
    var cancels = 0

    /// Ids an operation may still act on: every operation answered, not cancelled.
    var open: [String] { versions.keys.filter { !uncertain.contains($0) && !closed.contains($0) }.sorted() }

    func latest(_ id: String) -> Int { versions[id]?.keys.max() ?? 0 }

    /// A schedule of `id` version `version` was answered: `replaced` tells what became of the one
    /// before. A finding if it replaced a version that had already fired.
    mutating func scheduled(_ id: String, version: Int, due: Int64, replaced: Bool) -> [String] {
        var findings: [String] = []
        if let previous = versions[id]?[version - 1], previous.fate == .live {
            versions[id]![version - 1]!.fate = replaced ? .replaced : .firedBefore
            if replaced && fired["\(id)|\(version - 1)"] != nil {
                findings.append("schedules: \(id)|\(version) replaced \(id)|\(version - 1), which had fired")
            }
        }
        versions[id, default: [:]][version] = Version(due: due, fate: .live)
        return findings
    }

    /// A cancel of `id` was answered with `outcome`. A finding if it cancelled a version that had
    /// already fired.
    mutating func cancelled(_ id: String, outcome: String) -> [String] {
        let version = latest(id)
        closed.insert(id)
        guard versions[id]?[version]?.fate == .live else { return [] }
        versions[id]![version]!.fate = outcome == "cancelled" ? .cancelled : .firedBefore
        if outcome == "cancelled" && fired["\(id)|\(version)"] != nil {
            return ["schedules: \(id)|\(version) answered cancelled, but it had fired"]
        }
        return []
    }

    /// Takes in fired messages read from the target topic.
    mutating func absorb(_ records: [LoggedRecord], partition: Int32) -> [String] {
        var findings: [String] = []
        for record in records {
            frontier[partition] = record.offset + 1
            fired[record.value, default: 0] += 1
            let parts = record.value.split(separator: "|")
            guard parts.count == 2, let version = Int(parts[1]) else {
                findings.append("schedules: a message nobody scheduled: \(record.value)")
                continue
            }
            let id = String(parts[0])
            if fired[record.value]! > 1 {
                findings.append("schedules: \(record.value) fired \(fired[record.value]!) times")
            }
            guard let due = record.headers["sluice.schedule.due"].flatMap({ Int64($0) }) else {
                findings.append("schedules: \(record.value) without its due header")
                continue
            }
            if record.timestamp < due {
                findings.append("schedules: \(record.value) fired early: at \(record.timestamp), due \(due)")
            }
            guard !uncertain.contains(id), let known = versions[id]?[version] else { continue }
            if known.due != due { findings.append("schedules: \(record.value) due \(due), answered \(known.due)") }
            if known.fate == .replaced || known.fate == .cancelled {
                findings.append("schedules: \(record.value) fired although \(known.fate)")
            }
        }
        return findings
    }

    /// What must have fired by now: versions an answer said had fired, and (with `dueBefore`) live
    /// versions due before that time.
    func checkFired(dueBefore: Int64?) -> [String] {
        var findings: [String] = []
        for (id, byVersion) in versions where !uncertain.contains(id) {
            for (version, known) in byVersion {
                let key = "\(id)|\(version)"
                let mustHaveFired =
                    known.fate == .firedBefore || (known.fate == .live && dueBefore.map { known.due < $0 } == true)
                if mustHaveFired && fired[key] == nil {
                    findings.append("schedules: \(key) (\(known.fate), due \(known.due)) never fired")
                }
            }
        }
        return findings.sorted().prefix(10).map { $0 }
    }

    /// The latest due time of a live version.
    var lastDue: Int64 {
        versions.values.flatMap { $0.values }.filter { $0.fate == .live }.map(\.due).max() ?? 0
    }
}
